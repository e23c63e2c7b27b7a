package config

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

func TestReadDecodesRenderAndPullRequestWithTheirPlaces(t *testing.T) {
	cfg := load(t, filepath.Join("testdata", "blocks", FileName))
	r, p := cfg.Render, cfg.PullRequest
	if r == nil || p == nil {
		t.Fatalf("render %+v, pullRequest %+v; want both decoded", r, p)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"render position", r.Pos, Pos{4, 3}},
		{"render.enabled", *r.Enabled, Setting[bool]{true, Pos{4, 3}}},
		{"render.kubeVersion, as written", *r.KubeVersion, Setting[string]{"v1.31.2", Pos{5, 3}}},
		{"render.apiVersions", *r.APIVersions, Setting[[]string]{[]string{"monitoring.coreos.com/v1", "cert-manager.io/v1"}, Pos{6, 3}}},
		{"render.timeout", *r.Timeout, Setting[time.Duration]{90 * time.Second, Pos{7, 3}}},
		{"render.maxBytes", *r.MaxBytes, Setting[int]{1 << 20, Pos{8, 3}}},
		{"render is tuned", r.Tuned(), true},
		{"pullRequest.titleTemplate", *p.TitleTemplate, Setting[string]{"deploy({{ .Chart }}): {{ index .Versions 0 }}", Pos{10, 3}}},
		{"pullRequest.bodyTemplate, a block", *p.BodyTemplate, Setting[string]{"Tracked in OPS-1.\n\n{{ .Default }}\n", Pos{11, 3}}},
		{"pullRequest.commitMessageTemplate", p.CommitMessageTemplate.Value, `chore({{ .Group }}): {{ join .Versions ", " }}`},
		{"pullRequest.Template finds each template", p.Template("bodyTemplate") == p.BodyTemplate && p.Template("commitMessageTemplate") == p.CommitMessageTemplate, true},
		{"pullRequest.milestone", *p.Milestone, Setting[int]{3, Pos{16, 3}}},
		{"pullRequest.deleteBranch", *p.DeleteBranch, Setting[bool]{false, Pos{17, 3}}},
		{"pullRequest.draft", p.Draft.Value, true},
		{"pullRequest.labels", p.Labels.Value, []string{"promotion", "area/deploy"}},
		{"pullRequest.reviewers, without @", p.Reviewers.Value, []string{"octocat", "hubot"}},
		{"pullRequest.teamReviewers, as slugs", p.TeamReviewers.Value, []string{"platform", "sre"}},
		{"pullRequest.assignees", *p.Assignees, Setting[[]string]{[]string{"octocat"}, Pos{22, 3}}},
	}
	for _, c := range checks {
		if fmt.Sprintf("%#v", c.got) != fmt.Sprintf("%#v", c.want) {
			t.Errorf("%s = %#v, want %#v", c.what, c.got, c.want)
		}
	}
}

func TestAFileWithoutTheBlocksLeavesEverySettingToFlagsAndDefaults(t *testing.T) {
	cfg := load(t, filepath.Join("testdata", "full", FileName))
	if cfg.Render != nil || cfg.PullRequest != nil {
		t.Errorf("render %+v, pullRequest %+v; want nil for a file without them", cfg.Render, cfg.PullRequest)
	}
	var none *PullRequest
	if none.Template("titleTemplate") != nil || (*Render)(nil).Tuned() {
		t.Error("a missing block sets a template or tunes rendering")
	}
	only, err := Parse("chart-promoter.yaml", []byte("render:\n  enabled: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	if only.Render.Tuned() || only.Render.Enabled.Value {
		t.Errorf("render: {enabled: false} read as %+v", only.Render)
	}
}
