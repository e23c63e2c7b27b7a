package main

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// promoteToken is the token in GITHUB_TOKEN: the Git server and the fake GitHub accept
// exactly it.
const promoteToken = "ghs_cliPromoteToken0123456789abcdefghijklm"

func TestPromoteOpensAPullRequestPerChartThenUpdatesIt(t *testing.T) {
	isolateCLICredentials(t)
	reg, _ := fleetRegistry(t, true)
	in := snapshot(t, copyFixture(t, filepath.Join("fleet", "in"), reg.Host))
	out := snapshot(t, copyFixture(t, filepath.Join("fleet", "out"), reg.Host))
	git := testenv.StartGitServer(t, testenv.WithGitBasicAuth("x-access-token", promoteToken))
	git.CreateRepo(t, "gitops", in)
	clone := git.Clone(t, "gitops", testenv.CloneDepth(1))
	gh := testenv.StartFakeGitHub(t, promoteToken)
	gh.AddRepo("acme", "gitops", "main")
	t.Setenv("GITHUB_TOKEN", promoteToken)
	t.Setenv("GITHUB_API_URL", gh.URL)
	args := []string{"promote", "--dir", clone, "--repo", "acme/gitops", "--base", "main", "--ca-file", reg.CAFile, "--color", "never"}

	r := runCLI(t, "", args...)
	if r.code != exitOK {
		t.Fatalf("%s", r)
	}
	printed := r.stdout + r.stderr
	for _, want := range []string{
		"Pull requests (2):",
		"opened    Promote api to 1.0.0 #1 https://github.com/acme/gitops/pull/1",
		"opened    Promote webapp to 1.2.5 #2 https://github.com/acme/gitops/pull/2",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q\n%s", want, r)
		}
	}
	branch := func(chart string) string {
		return "chart-promoter/chart/" + strings.NewReplacer("/", "-", ":", "-").Replace(reg.Host+"/charts/"+chart)
	}
	// Each branch holds its chart's edit, exactly as apply writes it, and nothing else.
	for chart, edited := range map[string]string{"api": "apps/api.yaml", "webapp": "apps/webapp.yaml"} {
		for file := range in {
			want := in[file]
			if file == edited {
				want = out[file]
			}
			if got := git.Git(t, "gitops", "show", branch(chart)+":"+file) + "\n"; got != want {
				t.Errorf("%s on %s:\n%s\nwant\n%s", file, branch(chart), got, want)
			}
		}
	}
	if len(gh.PullRequests("acme", "gitops")) != 2 {
		t.Errorf("pull requests %+v", gh.PullRequests("acme", "gitops"))
	}

	// A newer webapp patch: --json says what happened to each pull request.
	reg.PushChart(t, "charts", "webapp", "1.2.6", testenv.WithAppVersion("5.0.2"))
	r = runCLI(t, "", append(args, "--json")...)
	if r.code != exitOK {
		t.Fatalf("%s", r)
	}
	var got struct {
		Changes []struct {
			Chart, To string
		} `json:"changes"`
		PullRequests []struct {
			Branch, Action, URL, Commit, Title string
			Number                             int
		} `json:"pullRequests"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Errorf("stdout holds more than one JSON object:\n%s", r.stdout)
	}
	if len(got.Changes) != 2 || len(got.PullRequests) != 2 {
		t.Fatalf("%+v", got)
	}
	api, webapp := got.PullRequests[0], got.PullRequests[1]
	if api.Action != "unchanged" || api.Number != 1 || api.Branch != branch("api") {
		t.Errorf("api's pull request %+v; want #1 unchanged", api)
	}
	if webapp.Action != "updated" || webapp.Number != 2 || webapp.Title != "Promote webapp to 1.2.6" ||
		webapp.URL != "https://github.com/acme/gitops/pull/2" || webapp.Commit != git.Git(t, "gitops", "rev-parse", "refs/heads/"+branch("webapp")) {
		t.Errorf("webapp's pull request %+v; want #2 updated to 1.2.6 at its branch's tip", webapp)
	}
	if prs := gh.PullRequests("acme", "gitops"); len(prs) != 2 || prs[1].Title != "Promote webapp to 1.2.6" {
		t.Errorf("pull requests %+v", prs)
	}
	if strings.Contains(printed+r.stdout+r.stderr, promoteToken) {
		t.Errorf("the token was printed:\n%s", r)
	}
}

func TestPromoteHoldsWhatTheGitHubRateLimitCannotFinishAndExitsOne(t *testing.T) {
	isolateCLICredentials(t)
	reg, _ := fleetRegistry(t, true)
	git := testenv.StartGitServer(t, testenv.WithGitBasicAuth("x-access-token", promoteToken))
	git.CreateRepo(t, "gitops", snapshot(t, copyFixture(t, filepath.Join("fleet", "in"), reg.Host)))
	clone := git.Clone(t, "gitops", testenv.CloneDepth(1))
	// Four requests: the list of open pull requests (whose recorded digests planning
	// checks), api's look-up of closed pull requests and its create, then webapp's look-up,
	// which leaves none for its create.
	gh := testenv.StartFakeGitHub(t, promoteToken, testenv.WithFakeGitHubRateLimit(4))
	gh.AddRepo("acme", "gitops", "main")
	t.Setenv("GITHUB_TOKEN", promoteToken)
	t.Setenv("GITHUB_API_URL", gh.URL)

	r := runCLI(t, "", "promote", "--dir", clone, "--repo", "acme/gitops", "--base", "main", "--ca-file", reg.CAFile, "--color", "never")
	if r.code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s", r.code, exitFailed, r)
	}
	webapp := "chart-promoter/chart/" + strings.NewReplacer("/", "-", ":", "-").Replace(reg.Host+"/charts/webapp")
	want := "error: " + webapp + ": held: GitHub's API rate limit allows 0 more request(s) until "
	if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "re-run after") {
		t.Errorf("stderr lacks %q…re-run after…\n%s", want, r)
	}
	if prs := gh.PullRequests("acme", "gitops"); len(prs) != 1 || prs[0].Title != "Promote api to 1.0.0" {
		t.Errorf("pull requests %+v; want api's only", prs)
	}
	if branches := git.Git(t, "gitops", "for-each-ref", "--format=%(refname:short)", "refs/heads/"); strings.Contains(branches, webapp) {
		t.Errorf("a branch was pushed for the held pull request: %s", branches)
	}
}
