package action

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestReadTrigger(t *testing.T) {
	tests := []struct {
		name    string
		event   string
		fixture string
		want    Trigger
	}{
		{
			name:    "a Helm chart pushed to GHCR names its repository and tag, not the digest",
			event:   "registry_package",
			fixture: "registry_package_published.json",
			want: Trigger{Chart: "ghcr.io/acme/charts/webapp", Version: "1.2.5",
				Source: "ghcr.io/acme/charts/webapp:1.2.5 published by release-bot"},
		},
		{
			name:    "an owner spelled in mixed case is lower-cased, as GHCR repository paths are",
			event:   "registry_package",
			fixture: "registry_package_mixed_case_owner.json",
			want: Trigger{Chart: "ghcr.io/acme-corp/charts/api", Version: "2.1.0_b.6",
				Source: "ghcr.io/acme-corp/charts/api:2.1.0_b.6 published by github-actions[bot]"},
		},
		{
			name:    "an untagged push names the chart but no version",
			event:   "registry_package",
			fixture: "registry_package_untagged.json",
			want: Trigger{Chart: "ghcr.io/acme/charts/webapp",
				Source: "ghcr.io/acme/charts/webapp published without a tag (sha256:77aa6c5b4e3d) by release-bot"},
		},
		{
			name:    "without package_url the chart is ghcr.io/namespace/name",
			event:   "registry_package",
			fixture: "registry_package_without_url.json",
			want: Trigger{Chart: "ghcr.io/acme/charts/worker", Version: "0.9.1",
				Source: "ghcr.io/acme/charts/worker:0.9.1 updated"},
		},
		{
			name:    "an npm package is ignored with a reason",
			event:   "registry_package",
			fixture: "registry_package_npm.json",
			want:    Trigger{Ignore: `registry_package event for npm package "hello-world-npm": only container packages (Helm charts in GHCR) are promoted`},
		},
		{
			name:    "a repository dispatch names the chart and version of its client payload",
			event:   "repository_dispatch",
			fixture: "repository_dispatch.json",
			want: Trigger{Chart: "ghcr.io/acme/charts/webapp", Version: "1.2.5",
				Source: `repository_dispatch "chart-published" for ghcr.io/acme/charts/webapp:1.2.5 by release-bot`},
		},
		{
			name:    "a repository dispatch without a chart scans everything",
			event:   "repository_dispatch",
			fixture: "repository_dispatch_scan.json",
			want:    Trigger{Source: `repository_dispatch "promote-everything" by octocat`},
		},
		{
			name:    "a manual run names the chart and version of its inputs",
			event:   "workflow_dispatch",
			fixture: "workflow_dispatch.json",
			want: Trigger{Chart: "ghcr.io/acme/charts/worker", Version: "0.9.1",
				Source: "workflow_dispatch for ghcr.io/acme/charts/worker:0.9.1 by octocat"},
		},
		{
			name:    "a manual run with empty inputs scans everything",
			event:   "workflow_dispatch",
			fixture: "workflow_dispatch_empty_inputs.json",
			want:    Trigger{Source: "workflow_dispatch by octocat"},
		},
		{
			name:    "a manual run of a workflow without inputs scans everything",
			event:   "workflow_dispatch",
			fixture: "workflow_dispatch_no_inputs.json",
			want:    Trigger{Source: "workflow_dispatch by octocat"},
		},
		{
			name:    "a schedule scans everything and shows its cron line",
			event:   "schedule",
			fixture: "schedule.json",
			want:    Trigger{Source: `schedule (cron "17 6 * * 1-5")`},
		},
		{
			name:  "a schedule needs no payload",
			event: "schedule",
			want:  Trigger{Source: "schedule"},
		},
		{
			name:    "a push scans everything and shows the commit",
			event:   "push",
			fixture: "push.json",
			want:    Trigger{Source: "push to refs/heads/main (0d1a26e)"},
		},
		{
			name:    "any other event scans everything",
			event:   "pull_request",
			fixture: "pull_request.json",
			want:    Trigger{Source: "pull_request event"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.fixture != "" {
				path = filepath.Join("testdata", "events", tt.fixture)
			}
			got, err := ReadTrigger(tt.event, path)
			if err != nil {
				t.Fatalf("ReadTrigger: %v", err)
			}
			tt.want.Event = tt.event
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReadTriggerErrors(t *testing.T) {
	tests := []struct {
		name    string
		event   string
		fixture string
		want    string
	}{
		{"a registry_package payload without the package says so", "registry_package", "registry_package_missing_package.json",
			"registry_package event payload has no registry_package object"},
		{"a package without a version names the missing field", "registry_package", "registry_package_missing_version.json",
			"registry_package.package_version is missing"},
		{"a version sent as a number must be quoted", "repository_dispatch", "repository_dispatch_number_version.json",
			"client_payload.version must be a string, not 1.10: quote it"},
		{"a version without a chart asks for the chart", "repository_dispatch", "repository_dispatch_version_only.json",
			`client_payload.version "1.2.5" needs client_payload.chart`},
		{"a chart with a tag is refused, naming the field", "repository_dispatch", "repository_dispatch_tagged_chart.json",
			"client_payload.chart: chart reference \"oci://ghcr.io/acme/charts/webapp:1.2.5\" names a tag or digest"},
		{"a repository dispatch without client_payload shows what to send", "repository_dispatch", "repository_dispatch_without_client_payload.json",
			"has no client_payload: send {\"chart\""},
		{"a payload that is not JSON is reported", "registry_package", "truncated.json",
			"is not a JSON object"},
		{"a missing payload file is reported", "workflow_dispatch", "no-such-file.json",
			"read the event payload"},
		{"an event that needs a payload fails without one", "registry_package", "",
			"GITHUB_EVENT_PATH is empty"},
		{"no event name means the action runs outside GitHub Actions", "", "",
			"GITHUB_EVENT_NAME is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.fixture != "" {
				path = filepath.Join("testdata", "events", tt.fixture)
			}
			_, err := ReadTrigger(tt.event, path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}
