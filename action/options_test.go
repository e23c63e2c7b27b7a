package action

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/promote"
)

func TestCharts(t *testing.T) {
	webapp, api := "ghcr.io/acme/charts/webapp", "ghcr.io/acme/charts/api"
	tests := []struct {
		name   string
		input  []string
		event  string
		want   []string
		wantOK bool
	}{
		{"a scan without a chart input covers every chart", nil, "", nil, true},
		{"a scan with a chart input covers those charts", []string{webapp, api}, "", []string{webapp, api}, true},
		{"an event's chart is promoted alone", nil, webapp, []string{webapp}, true},
		{"an event's chart in the chart input is promoted alone", []string{webapp, api}, api, []string{api}, true},
		{"an event's chart outside the chart input leaves nothing to do", []string{api}, webapp, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Inputs{Chart: tt.input}.Charts(Trigger{Chart: tt.event})
			if !slices.Equal(got, tt.want) || ok != tt.wantOK {
				t.Errorf("Charts = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestProposeOptionsCarryEveryInput(t *testing.T) {
	env := baseEnv()
	for k, v := range map[string]string{
		input("repository"): "acme/fleet", input("base"): "trunk", input("working-directory"): "deploy",
		input("paths"): "apps/**", input("exclude"): "tmp/**", input("constraint"): "~1.2",
		input("group-by"): "all", input("commit-via"): "api", input("branch-prefix"): "promote/",
		input("labels"): "chart-promotion", input("reviewers"): "alice", input("team-reviewers"): "sre",
		input("assignees"): "bob", input("draft"): "true", input("auto-merge"): "squash", input("sign-off"): "true",
		input("author-name"): "Release Bot", input("author-email"): "release@acme.example", input("dry-run"): "true",
	} {
		env[k] = v
	}
	a, _ := newAction(env)
	in, err := ReadInputs(a)
	if err != nil {
		t.Fatal(err)
	}
	got := in.ProposeOptions(Trigger{Chart: "ghcr.io/acme/charts/webapp"})
	want := promote.ProposeOptions{
		Plan: promote.Options{
			Dir: "deploy", Include: []string{"apps/**"}, Exclude: []string{"tmp/**"},
			Charts: []string{"ghcr.io/acme/charts/webapp"}, DefaultConstraint: "~1.2",
		},
		Owner: "acme", Repo: "fleet", Base: "trunk",
		GroupBy: promote.GroupByAll, BranchPrefix: "promote/", CommitVia: promote.CommitViaAPI,
		Author: promote.Identity{Name: "Release Bot", Email: "release@acme.example"}, SignOff: true,
		PullRequest: promote.PullRequestOptions{
			Labels: []string{"chart-promotion"}, Reviewers: []string{"alice"}, TeamReviewers: []string{"sre"},
			Assignees: []string{"bob"}, Draft: true, AutoMerge: "squash",
		},
		DryRun: true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestProposeOptionsLeaveTheAuthorToPromoteByDefault(t *testing.T) {
	a, _ := newAction(baseEnv())
	in, err := ReadInputs(a)
	if err != nil {
		t.Fatal(err)
	}
	if got := in.ProposeOptions(Trigger{}).Author; got != (promote.Identity{}) {
		t.Errorf("Author = %+v, want zero so that promote uses github-actions[bot]", got)
	}
}

func TestCredentialOptions(t *testing.T) {
	tests := []struct {
		name      string
		in        Inputs
		trig      Trigger
		wantHosts []string
		wantErr   string
	}{
		{"no explicit credentials need no host", Inputs{}, Trigger{}, nil, ""},
		{"registry-host scopes the credentials",
			Inputs{RegistryUsername: "robot", RegistryPassword: "p", RegistryHosts: []string{"registry.acme.example"}},
			Trigger{Chart: "ghcr.io/acme/charts/webapp"}, []string{"registry.acme.example"}, ""},
		{"else the hosts of the charts the run is about, once each",
			Inputs{RegistryUsername: "robot", RegistryPassword: "p", Chart: []string{"ghcr.io/acme/charts/webapp", "ghcr.io/acme/charts/api", "registry.acme.example:5000/charts/x"}},
			Trigger{}, []string{"ghcr.io", "registry.acme.example:5000"}, ""},
		{"an event's chart names the host",
			Inputs{RegistryUsername: "robot", RegistryPassword: "p"},
			Trigger{Chart: "ghcr.io/acme/charts/webapp"}, []string{"ghcr.io"}, ""},
		{"a scan of everything must name the host",
			Inputs{RegistryUsername: "robot", RegistryPassword: "p"},
			Trigger{}, nil, "set `registry-host`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.CredentialOptions(tt.trig)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Hosts, tt.wantHosts) || got.Username != tt.in.RegistryUsername || got.Password != tt.in.RegistryPassword {
				t.Errorf("got %+v, want hosts %q", got, tt.wantHosts)
			}
		})
	}
}
