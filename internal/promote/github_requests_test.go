package promote_test

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/github"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// apiKinds names GitHub REST requests by what they do, from method and path.
var apiKinds = []struct {
	method string
	path   *regexp.Regexp
	kind   string
}{
	{http.MethodGet, regexp.MustCompile(`^/repos/[^/]+/[^/]+/pulls$`), "list pulls"},
	{http.MethodPost, regexp.MustCompile(`^/repos/[^/]+/[^/]+/pulls$`), "create pull"},
	{http.MethodPatch, regexp.MustCompile(`^/repos/[^/]+/[^/]+/pulls/\d+$`), "update pull"},
	{http.MethodPost, regexp.MustCompile(`^/repos/[^/]+/[^/]+/issues/\d+/labels$`), "add labels"},
	{http.MethodPost, regexp.MustCompile(`^/repos/[^/]+/[^/]+/pulls/\d+/requested_reviewers$`), "request reviewers"},
	{http.MethodPost, regexp.MustCompile(`^/repos/[^/]+/[^/]+/issues/\d+/assignees$`), "add assignees"},
	{http.MethodGet, regexp.MustCompile(`^/repos/[^/]+/[^/]+/issues/\d+/comments$`), "list comments"},
	{http.MethodPost, regexp.MustCompile(`^/repos/[^/]+/[^/]+/issues/\d+/comments$`), "comment"},
}

// apiRequestKinds counts the fake GitHub's requests by kind; a request of no known kind
// counts under its method and path.
func (w *gitops) apiRequestKinds() map[string]int {
	out := map[string]int{}
	for _, r := range w.gh.Requests.All() {
		method, target, _ := strings.Cut(r, " ")
		path, _, _ := strings.Cut(target, "?")
		kind := r
		for _, k := range apiKinds {
			if k.method == method && k.path.MatchString(path) {
				kind = k.kind
				break
			}
		}
		out[kind]++
	}
	return out
}

func total(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

func TestAPromotionMakesFewGitHubRequests(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "two-charts", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}, "charts/cache": {"0.9.0", "1.0.0"}})
	opts := w.options()
	opts.GroupBy = promote.GroupByApplication
	opts.PullRequest = promote.PullRequestOptions{Labels: []string{"promotion"}, Reviewers: []string{"alice"}}
	w.gh.Requests.Reset()

	res := w.propose(opts)
	if len(res.Proposals) != 3 || slices.ContainsFunc(res.Proposals, func(p promote.Proposal) bool { return p.Action != promote.Opened }) {
		t.Fatalf("proposals %+v; want three opened", res.Proposals)
	}
	first := w.apiRequestKinds()
	t.Logf("first run, 3 new pull requests: %d requests %v", total(first), first)
	// One list of the open pull requests before planning (for the digests they record, see
	// propose_gates_test.go), one list (of closed ones) and one create per new pull request,
	// and the labels and reviewers asked for.
	want := map[string]int{"list pulls": 1 + 3, "create pull": 3, "add labels": 3, "request reviewers": 3}
	for kind, n := range first {
		if n > want[kind] {
			t.Errorf("first run: %d × %s, want at most %d; all: %v", n, kind, want[kind], w.gh.Requests.All())
		}
	}

	w.gh.Requests.Reset()
	writes := w.gh.Writes()
	res = w.propose(opts)
	if slices.ContainsFunc(res.Proposals, func(p promote.Proposal) bool { return p.Action != promote.Unchanged }) {
		t.Fatalf("proposals %+v; want all unchanged", res.Proposals)
	}
	again := w.apiRequestKinds()
	t.Logf("re-run with nothing new: %d requests %v", total(again), again)
	if again["list pulls"] > 1 || total(again) != again["list pulls"] || w.gh.Writes() != writes {
		t.Errorf("re-run: %v (%d writes), want at most one list and nothing else; all: %v", again, w.gh.Writes()-writes, w.gh.Requests.All())
	}
}

func TestARateLimitAboutToRunOutHoldsTheRemainingPullRequestsWholeAndFailsTheRun(t *testing.T) {
	t.Parallel()
	// Six requests: the run lists the open pull requests before planning; the first group
	// takes a list, a create and a label; the second lists and would then need two more
	// (create, label) with one left.
	w := newGitOps(t, "two-charts", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}, "charts/cache": {"0.9.0", "1.0.0"}},
		withGitHubOptions(testenv.WithFakeGitHubRateLimit(6)))
	opts := w.options()
	opts.GroupBy = promote.GroupByApplication
	opts.PullRequest = promote.PullRequestOptions{Labels: []string{"promotion"}}

	res := w.propose(opts)
	var actions []promote.PullRequestAction
	for _, p := range res.Proposals {
		actions = append(actions, p.Action)
	}
	if !slices.Equal(actions, []promote.PullRequestAction{promote.Opened, promote.Held, promote.Held}) {
		t.Fatalf("actions %v; want the first opened and the rest held: %+v", actions, res.Proposals)
	}
	if !res.Failed() {
		t.Error("a run that held pull requests does not count as failed")
	}
	for _, p := range res.Proposals[1:] {
		var held *promote.RateLimitError
		if !errors.As(p.Err, &held) || !errors.Is(p.Err, github.ErrRateLimited) || held.Remaining != 1 || held.Needed != 2 {
			t.Errorf("%s: error %v; want a *RateLimitError (1 left, 2 needed)", p.Branch, p.Err)
		}
		if msg := errText(p.Err); !strings.Contains(msg, "nothing was pushed or opened") || !strings.Contains(msg, "re-run after") {
			t.Errorf("%s: message %q does not say what happened and what to do", p.Branch, msg)
		}
	}
	// Nothing half-made: the one pull request has its label, and no branch was pushed
	// for the groups held back.
	prs := w.pulls()
	if len(prs) != 1 || prs[0].Head != res.Proposals[0].Branch || !slices.Equal(prs[0].Labels, []string{"promotion"}) {
		t.Errorf("pull requests %+v; want the first group's, labelled", prs)
	}
	if got := w.branches(); !slices.Equal(got, []string{res.Proposals[0].Branch}) {
		t.Errorf("branches %q; want only %s", got, res.Proposals[0].Branch)
	}
	if n := w.gh.Requests.Count(nil); n > 6 {
		t.Errorf("%d requests, more than the rate limit of 6: %v", n, w.gh.Requests.All())
	}
}
