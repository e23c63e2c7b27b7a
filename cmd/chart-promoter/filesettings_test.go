package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// configText reads a config fixture of testdata/config.
func configText(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "config", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestPromoteWritesThePullRequestAsTheConfigFileSaysAndAFlagWinsOverIt(t *testing.T) {
	isolateCLICredentials(t)
	reg, _ := fleetRegistry(t, true)
	files := snapshot(t, copyFixture(t, filepath.Join("fleet", "in"), reg.Host))
	files["chart-promoter.yaml"] = configText(t, "pull-request.yaml")
	git := testenv.StartGitServer(t, testenv.WithGitBasicAuth("x-access-token", promoteToken))
	gh := testenv.StartFakeGitHub(t, promoteToken)
	clones := map[string]string{}
	for _, repo := range []string{"gitops", "flagged"} {
		git.CreateRepo(t, repo, files)
		clones[repo] = git.Clone(t, repo, testenv.CloneDepth(1))
		gh.AddRepo("acme", repo, "main")
		gh.AddMilestone("acme", repo, 3, "Q3 deploys")
		gh.AddMilestone("acme", repo, 4, "Q4 deploys")
	}
	t.Setenv("GITHUB_TOKEN", promoteToken)
	t.Setenv("GITHUB_API_URL", gh.URL)
	promote := func(repo string, flags ...string) {
		t.Helper()
		args := []string{"promote", "--dir", clones[repo], "--repo", "acme/" + repo, "--base", "main", "--ca-file", reg.CAFile, "--color", "never", "--render=false"}
		if r := runCLI(t, "", append(args, flags...)...); r.code != exitOK {
			t.Fatalf("%s", r)
		}
	}
	webappBranch := "chart-promoter/chart/" + strings.NewReplacer("/", "-", ":", "-").Replace(reg.Host+"/charts/webapp")

	// Without flags the file wins over the defaults: title, body, commit message,
	// milestone and labels.
	promote("gitops")
	prs := gh.PullRequests("acme", "gitops")
	if len(prs) != 2 {
		t.Fatalf("pull requests %+v, want api's and webapp's", prs)
	}
	for _, pr := range prs {
		if !strings.HasPrefix(pr.Title, "deploy(") || !strings.HasPrefix(pr.Body, "Tracked in OPS-7.\n\n") || pr.Milestone != 3 || strings.Join(pr.Labels, ",") != "promotion" {
			t.Errorf("pull request %q: milestone %d, labels %q, body:\n%s\nwant the file's title, body, milestone 3 and label promotion", pr.Title, pr.Milestone, pr.Labels, pr.Body)
		}
	}
	if prs[1].Title != "deploy(webapp): 1.2.5" || !strings.Contains(prs[1].Body, "apps/webapp.yaml") {
		t.Errorf("webapp's pull request %q; want the file's template, deploy(webapp): 1.2.5, around the default body", prs[1].Title)
	}
	msg := git.Git(t, "gitops", "log", "-1", "--format=%B", webappBranch)
	if !strings.HasPrefix(msg, "deploy(webapp): 1.2.5 from the file\n") || !strings.Contains(msg, "Chart-Promoter-Fingerprint:") {
		t.Errorf("commit message is not the file's template with the tool's trailer:\n%s", msg)
	}

	// Flags given win over the file; what no flag gives still comes from it.
	promote("flagged", "--milestone", "4", "--title-template", "flagged {{ .Chart }}")
	for _, pr := range gh.PullRequests("acme", "flagged") {
		if !strings.HasPrefix(pr.Title, "flagged ") || pr.Milestone != 4 || !strings.HasPrefix(pr.Body, "Tracked in OPS-7.") {
			t.Errorf("pull request %q with milestone %d; want --title-template's title and --milestone 4 over the file, and the file's body:\n%s", pr.Title, pr.Milestone, pr.Body)
		}
	}
	if msg := git.Git(t, "flagged", "log", "-1", "--format=%B", webappBranch); !strings.HasPrefix(msg, "deploy(webapp): 1.2.5 from the file\n") {
		t.Errorf("commit message without --commit-message-template is not the file's:\n%s", msg)
	}
}

func TestAConfigTemplateWithAFieldTheDataLacksIsAConfigErrorOnItsLine(t *testing.T) {
	isolateCLICredentials(t)
	dir := withConfig(t, cliFixtureHost, "bad-template-field.yaml", "chart-promoter.yaml")
	for _, cmd := range [][]string{{"plan"}, {"promote", "--repo", "acme/gitops", "--dry-run"}} {
		r := runCLI(t, "", append(cmd, "--dir", dir)...)
		want := "error: " + filepath.Join(dir, "chart-promoter.yaml") + `:3:3: pullRequest.titleTemplate: the template does not fit the data it is given: template: pullRequest.titleTemplate:1:10: executing at <.Version>: can't evaluate field Version`
		if r.code != exitUsage || !strings.Contains(r.stderr, want) {
			t.Errorf("%s: exit %d, want %d and %q\n%s", cmd[0], r.code, exitUsage, want, r)
		}
	}
}

// renderFleet is one Application over two versions of the render package's test chart.
func renderFleet(t *testing.T, configFixture string) (*testenv.Registry, string) {
	t.Helper()
	t.Setenv("GITHUB_TOKEN", "")
	t.Setenv("GH_TOKEN", "")
	reg := testenv.StartRegistry(t)
	for _, v := range []string{"1.0.0", "1.1.0"} {
		reg.PushChartDir(t, "charts", filepath.Join("..", "..", "internal", "render", "testdata", "charts", "webapp-"+v))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "webapp.yaml"), []byte(strings.ReplaceAll(renderApplication, "HOST", reg.Host)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "chart-promoter.yaml"), []byte(configText(t, configFixture)), 0o644); err != nil {
		t.Fatal(err)
	}
	return reg, dir
}

// rendered reports whether each change of a JSON plan or promotion carries render.
func rendered(t *testing.T, stdout string) []bool {
	t.Helper()
	var out struct {
		Changes []map[string]json.RawMessage `json:"changes"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	var got []bool
	for _, c := range out.Changes {
		_, ok := c["render"]
		got = append(got, ok)
	}
	return got
}

func TestRenderOffInTheConfigFileLeavesRenderOutOfTheJSONAndTheRenderFlagWinsOverIt(t *testing.T) {
	isolateCLICredentials(t)
	reg, dir := renderFleet(t, "render-off.yaml")
	promote := []string{"promote", "--dir", dir, "--repo", "acme/gitops", "--dry-run", "--json", "--ca-file", reg.CAFile}

	r := runCLI(t, "", promote...)
	if r.code != exitOK {
		t.Fatalf("%s", r)
	}
	if got := rendered(t, r.stdout); len(got) != 1 || got[0] {
		t.Errorf("render per change %v; want one change without render: the file turns it off over promote's default", got)
	}
	// The file's kubeVersion does nothing while the file turns rendering off: a warning
	// on its line.
	if want := "warning: chart-promoter.yaml:4: render.kubeVersion has no effect: render.enabled is false (line 3)"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q\n%s", want, r)
	}
	var warnings struct {
		Warnings []struct {
			File    string `json:"file"`
			Line    int    `json:"line"`
			Message string `json:"message"`
		} `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &warnings); err != nil || len(warnings.Warnings) != 1 || warnings.Warnings[0].File != "chart-promoter.yaml" || warnings.Warnings[0].Line != 4 {
		t.Errorf("warnings %+v (%v); want the one about render.kubeVersion, at chart-promoter.yaml:4", warnings.Warnings, err)
	}

	r = runCLI(t, "", append(promote, "--render")...)
	if r.code != exitOK {
		t.Fatalf("%s", r)
	}
	if got := rendered(t, r.stdout); len(got) != 1 || !got[0] {
		t.Errorf("render per change %v with --render; want it rendered: a flag given wins over the file", got)
	}
	if strings.Contains(r.stderr, "has no effect") {
		t.Errorf("with --render the file's kubeVersion counts, yet it is warned about:\n%s", r.stderr)
	}
}

func TestRenderOnInTheConfigFileRendersPlanTooUnlessTheFlagSaysNo(t *testing.T) {
	isolateCLICredentials(t)
	reg, dir := renderFleet(t, "render-on.yaml")
	plan := []string{"plan", "--dir", dir, "--json", "--ca-file", reg.CAFile}
	for _, tt := range []struct {
		name  string
		extra []string
		want  bool
	}{
		{"the file wins over plan's default", nil, true},
		{"--render=false wins over the file", []string{"--render=false"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", append(plan, tt.extra...)...)
			if r.code != exitOK {
				t.Fatalf("%s", r)
			}
			if got := rendered(t, r.stdout); len(got) != 1 || got[0] != tt.want {
				t.Errorf("render per change %v, want [%v]", got, tt.want)
			}
		})
	}
}

func TestExplainShowsWhereEachRenderAndPullRequestSettingComesFrom(t *testing.T) {
	isolateCLICredentials(t)
	dir := withConfig(t, cliFixtureHost, "pull-request.yaml", "chart-promoter.yaml")
	r := runCLI(t, "", "explain", "--dir", dir, "--offline", "--color", "never", "webapp")
	if r.code != exitOK {
		t.Fatalf("%s", r)
	}
	for _, want := range []string{
		"Settings of promote and the Action (a flag (--render, --kube-version, --milestone, …) or Action input given explicitly, then the config file, then the default):",
		`pullRequest.titleTemplate          "deploy({{ .Chart }}): {{ index .Versions 0 }}"  ← chart-promoter.yaml:3`,
		"pullRequest.milestone              3  ← chart-promoter.yaml:9",
		"pullRequest.deleteBranch           true  ← default",
		"render.enabled                     true  ← default of promote and the Action; plan and apply render with --render",
		"render.timeout                     30s  ← default",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("explain lacks %q\n%s", want, r.stdout)
		}
	}
	j := runCLI(t, "", "explain", "--dir", dir, "--offline", "--json", "webapp")
	var e struct {
		Settings []struct{ Key, Value, From string } `json:"settings"`
	}
	if err := json.Unmarshal([]byte(j.stdout), &e); err != nil {
		t.Fatalf("%v\n%s", err, j)
	}
	found := false
	for _, s := range e.Settings {
		if s.Key == "pullRequest.labels" && s.Value == "promotion" && s.From == "chart-promoter.yaml:10" {
			found = true
		}
	}
	if !found {
		t.Errorf("explain --json settings %+v lack pullRequest.labels = promotion from chart-promoter.yaml:10", e.Settings)
	}
}
