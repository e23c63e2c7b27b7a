package promote_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// withApplications adds n generated Applications of chart repository repo at revision
// to the repository, as apps/<prefix>-NNNN.yaml.
func withApplications(n int, prefix, repo, revision string) gitopsOption {
	return func(c *gitopsConfig) {
		c.files = append(c.files, func(t *testing.T, files map[string]string) {
			tmpl, err := os.ReadFile(filepath.Join("testdata", "propose", "templates", "application.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			dir, chart := filepath.Split(repo)
			for i := 0; i < n; i++ {
				name := fmt.Sprintf("%s-%04d", prefix, i)
				text := strings.Replace(fmt.Sprintf(string(tmpl), name, chart, revision), "registry.test/charts", fixtureHost+"/"+strings.TrimSuffix(dir, "/"), 1)
				files["apps/"+name+".yaml"] = text
			}
		})
	}
}

// loadConfig reads the clone's chart-promoter.yaml into opts, as the CLI and the Action do.
func (w *gitops) loadConfig(opts *promote.ProposeOptions) {
	w.t.Helper()
	cfg, err := config.Load(w.clone, "")
	if err != nil {
		w.t.Fatal(err)
	}
	opts.Plan.Config = cfg
}

// merge fast-forwards main to the branch of pull request number, marks it merged, and
// checks the repository out again, as the next workflow run would.
func (w *gitops) merge(number int) {
	w.t.Helper()
	for _, p := range w.pulls() {
		if p.Number == number {
			w.bare("update-ref", "refs/heads/main", "refs/heads/"+p.Head)
			w.gh.SetPRState(gitopsOwner, gitopsName, number, "closed", true)
			w.clone = w.git.Clone(w.t, gitopsName, testenv.CloneDepth(1))
			return
		}
	}
	w.t.Fatalf("no pull request #%d", number)
}

// countActions counts a run's proposals by action, and its held ones by limit.
func countActions(res *promote.Result) map[string]int {
	out := map[string]int{}
	for _, p := range res.Proposals {
		k := string(p.Action)
		if le := (*promote.LimitError)(nil); errors.As(p.Err, &le) {
			k += " by " + le.Limit
		}
		out[k]++
	}
	return out
}

func TestLimitsHoldWhatIsOverThemAndLaterRunsOpenTheRest(t *testing.T) {
	t.Parallel()
	const fleet = 2000
	w := newGitOps(t, "fleet", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}}, withApplications(fleet, "webapp", "charts/webapp", "1.2.3"))
	opts := w.options()
	opts.GroupBy = promote.GroupByApplication
	w.loadConfig(&opts)

	// A first run on 2,000 outdated Applications opens maxNewPullRequestsPerRun of them,
	// and asks GitHub nothing about the rest.
	w.gh.Requests.Reset()
	res := w.propose(opts)
	got := countActions(res)
	if got["opened"] != 5 || got["held by maxNewPullRequestsPerRun"] != fleet-5 || len(w.pulls()) != 5 || w.pushes() != 5 {
		t.Fatalf("first run: %v, %d pull requests, %d pushes; want 5 opened and %d held", got, len(w.pulls()), w.pushes(), fleet-5)
	}
	if n := len(w.gh.Requests.All()); n > 5*3+2 {
		t.Errorf("first run made %d GitHub requests, want a few per opened pull request and none per held group: %v", n, w.apiRequestKinds())
	}
	if res.Failed() {
		t.Error("groups held by a limit fail the run; they are waiting")
	}
	for _, p := range res.Proposals {
		if p.Action == promote.Held && !strings.Contains(p.Err.Error(), "maxNewPullRequestsPerRun is 5") {
			t.Fatalf("held proposal says %q", p.Err)
		}
	}
	// Oldest release first, then the usual order: the first five Applications.
	for i, p := range w.pulls() {
		if want := fmt.Sprintf("webapp-%04d", i); !strings.HasSuffix(p.Head, "/"+want) {
			t.Errorf("pull request %d is from %s, want one for %s", i, p.Head, want)
		}
	}

	// The next run: 5 open, maxOpenPullRequests 8 lets 3 more open.
	res = w.propose(opts)
	got = countActions(res)
	if got["opened"] != 3 || got["unchanged"] != 5 || got["held by maxOpenPullRequests"] != fleet-8 || len(w.pulls()) != 8 {
		t.Fatalf("second run: %v, %d pull requests; want 3 opened, 5 unchanged, the rest held by maxOpenPullRequests", got, len(w.pulls()))
	}

	// A merge makes room for one more.
	w.merge(w.pulls()[0].Number)
	opts.Plan.Dir = w.clone
	res = w.propose(opts)
	got = countActions(res)
	if got["opened"] != 1 || got["held by maxOpenPullRequests"] != fleet-9 || len(w.pulls()) != 9 {
		t.Fatalf("after a merge: %v, %d pull requests; want one more opened", got, len(w.pulls()))
	}
}

func TestADryRunCountsEveryGroupAsNew(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "fleet", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}}, withApplications(7, "webapp", "charts/webapp", "1.2.3"))
	opts := w.options()
	opts.GroupBy, opts.DryRun = promote.GroupByApplication, true
	w.loadConfig(&opts)
	got := countActions(w.propose(opts))
	if got["planned"] != 5 || got["held by maxNewPullRequestsPerRun"] != 2 {
		t.Fatalf("dry run: %v, want 5 planned and 2 held", got)
	}
}
