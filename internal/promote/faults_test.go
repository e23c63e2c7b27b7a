package promote_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/github"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// These tests race promotion runs against each other and against people, and make Git and
// GitHub fail in the middle of a promotion. Each asserts what is left behind with real git
// on the server's bare repository and with the fake GitHub's own state.

// runFrom runs one promotion from checkout dir, as a workflow would, with the GitHub client
// tuned by ghOpts. Unlike gitops.propose it never stops the test, so goroutines may call it.
func (w *gitops) runFrom(t *testing.T, dir string, opts promote.ProposeOptions, ghOpts ...github.Option) (*promote.Result, error) {
	deps, _, err := promote.Connect(dir, gitopsToken, w.gh.URL, "chart-promoter-test", ghOpts...)
	if err != nil {
		return nil, err
	}
	deps.Log = testLog{t}
	opts.Plan.Dir = dir
	return promote.Propose(t.Context(), opts, deps)
}

// secondClone is another workflow's checkout of the repository, as actions/checkout leaves it.
func (w *gitops) secondClone() string {
	w.t.Helper()
	return w.git.Clone(w.t, gitopsName, testenv.CloneDepth(1))
}

// checkOneToolCommitOnMain asserts with git that branch holds exactly one commit main lacks,
// made by the tool directly on main's tip, and returns it.
func (w *gitops) checkOneToolCommitOnMain(branch string) string {
	w.t.Helper()
	tip := w.bare("rev-parse", "refs/heads/"+branch)
	if got, want := w.bare("log", "-1", "--format=%P", branch), w.bare("rev-parse", "refs/heads/main"); got != want {
		w.t.Errorf("%s's commit has parents %q, want main's tip %s", branch, got, want)
	}
	if got := w.bare("rev-list", "--count", "main.."+branch); got != "1" {
		w.t.Errorf("%s holds %s commits main lacks, want 1", branch, got)
	}
	if got := w.bare("log", "-1", "--format=%ce|%(trailers:key=Chart-Promoter-Fingerprint,valueonly)", branch); !strings.HasPrefix(got, promote.DefaultIdentity.Email+"|") || len(got) != len(promote.DefaultIdentity.Email)+1+16 {
		w.t.Errorf("%s's commit: committer|fingerprint %q; want the tool's", branch, got)
	}
	return tip
}

// gate holds the first Git request that matches pick at the server, once armed, until the
// test lets it go: a run is paused at that exact point while others act.
type gate struct {
	mu          sync.Mutex
	armed       bool
	pick        func(r *http.Request) bool
	intercepted chan struct{}
	resume      chan struct{}
}

func newGate(pick func(r *http.Request) bool) *gate {
	return &gate{pick: pick, intercepted: make(chan struct{}), resume: make(chan struct{})}
}

func (g *gate) arm() {
	g.mu.Lock()
	g.armed = true
	g.mu.Unlock()
}

func (g *gate) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		fire := g.armed && g.pick(r)
		if fire {
			g.armed = false
		}
		g.mu.Unlock()
		if fire {
			g.intercepted <- struct{}{}
			<-g.resume
		}
		next.ServeHTTP(rw, r)
	})
}

func isReceivePackPost(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack")
}

func isReceivePackAdvertisement(r *http.Request) bool {
	return r.Method == http.MethodGet && r.URL.Query().Get("service") == "git-receive-pack"
}

// outcome is what a run started in a goroutine ended with.
type outcome struct {
	res *promote.Result
	err error
}

// brief is a proposal without its body and changes, for failure messages.
func brief(p promote.Proposal) string {
	return fmt.Sprintf("{%s %s #%d commit %s; warnings %q; error %q}", p.Branch, p.Action, p.Number, p.Commit, p.Warnings, errText(p.Err))
}

// prSummary is the fake's pull requests without their bodies, for failure messages.
// errText is err's message, "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// isBlockedBy reports whether err says the branch was left alone because of a commit by committer.
func isBlockedBy(err error, committer string) bool {
	var blocked *promote.BlockedError
	return errors.As(err, &blocked) && blocked.Committer == committer
}

func prSummary(prs []testenv.FakePR) []string {
	var out []string
	for _, pr := range prs {
		out = append(out, fmt.Sprintf("#%d %s merged=%t %s: %s", pr.Number, pr.State, pr.Merged, pr.Head, pr.Title))
	}
	return out
}

func briefs(res *promote.Result) []string {
	var out []string
	if res == nil {
		return nil
	}
	for _, p := range res.Proposals {
		out = append(out, brief(p))
	}
	return out
}

func (o outcome) only(t *testing.T) promote.Proposal {
	t.Helper()
	if o.err != nil {
		t.Fatalf("Propose: %v", o.err)
	}
	return only(t, o.res)
}

func TestTwoRunsAtOnceForTheSameVersionOpenOnePullRequestWithOneCommitOnMain(t *testing.T) {
	t.Parallel()
	// Both runs ask for the branch's push advertisement; neither gets it until both have
	// asked, so both go on believing the branch absent and push at the same moment.
	var mu sync.Mutex
	waiting := 0
	both := make(chan struct{})
	barrier := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if isReceivePackAdvertisement(r) {
				mu.Lock()
				waiting++
				if waiting == 2 {
					close(both)
				}
				mu.Unlock()
				select {
				case <-both:
				case <-time.After(10 * time.Second): // never deadlock a broken run
				}
			}
			next.ServeHTTP(rw, r)
		})
	}
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}}, withGitMiddleware(barrier))
	dirs := []string{w.clone, w.secondClone()}
	branch := w.chartBranch("charts/webapp")

	outcomes := make([]outcome, 2)
	var wg sync.WaitGroup
	for i, dir := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opts := w.options()
			// A minute apart, so the two runs build different commits for the same change.
			opts.Now = func() time.Time { return proposeNow.Add(time.Duration(i) * time.Minute) }
			res, err := w.runFrom(t, dir, opts)
			outcomes[i] = outcome{res, err}
		}()
	}
	wg.Wait()
	select {
	case <-both:
	default:
		mu.Lock()
		t.Errorf("the two runs did not push at the same time (%d reached the push)", waiting)
		mu.Unlock()
	}

	tip := w.checkOneToolCommitOnMain(branch)
	w.checkDiffMovesOnly("main", branch, webappLines("1.2.4"))
	prs := w.pulls()
	if len(prs) != 1 || prs[0].State != "open" || prs[0].Head != branch || prs[0].Title != "Promote webapp to 1.2.4" {
		t.Fatalf("pull requests %q; want exactly one, open, for 1.2.4", prSummary(prs))
	}
	var actions []string
	for i, o := range outcomes {
		p := o.only(t)
		actions = append(actions, string(p.Action))
		if p.Number != prs[0].Number || p.Commit != tip || p.Err != nil {
			t.Errorf("run %d: %s; want PR #%d at the branch's tip %s", i, brief(p), prs[0].Number, tip)
		}
	}
	slices.Sort(actions)
	if !slices.Equal(actions, []string{"opened", "unchanged"}) && !slices.Equal(actions, []string{"opened", "updated"}) {
		t.Errorf("actions %q; want one run to open the PR and the other to find (or adopt) it", actions)
	}
	// Both pushed at once and one lost the race; the loser found the winner's commit
	// proposing the same changes and pushed nothing more.
	if n := w.pushes(); n != 2 {
		t.Errorf("%d pushes, want 2: one per run", n)
	}
	if got := len(w.gh.Comments(gitopsOwner, gitopsName, prs[0].Number)); got != 0 {
		t.Errorf("%d comments on the PR", got)
	}
}

func TestARunThatSawAnOlderVersionNeverReplacesTheNewerProposalOfAParallelRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		about string
		// pause picks the Git request at which the older run waits while the newer one runs.
		pause      func(r *http.Request) bool
		wantPushes int
	}{
		{about: "the older run's push loses the lease to the newer run's", pause: isReceivePackPost, wantPushes: 2},
		{about: "the older run reads the branch after the newer run finished", pause: func(*http.Request) bool { return true }, wantPushes: 1},
	} {
		t.Run(tc.about, func(t *testing.T) {
			t.Parallel()
			g := newGate(tc.pause)
			w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}}, withGitMiddleware(g.middleware))
			branch := w.chartBranch("charts/webapp")
			newerClone := w.secondClone()
			w.git.Requests.Reset()

			// The older run plans 1.2.4, the newest version it sees, and is held at Git.
			g.arm()
			older := make(chan outcome, 1)
			go func() {
				res, err := w.runFrom(t, w.clone, w.options())
				older <- outcome{res, err}
			}()
			select {
			case <-g.intercepted:
			case o := <-older:
				t.Fatalf("the older run ended before reaching Git: %v, %v", briefs(o.res), o.err)
			}

			// Meanwhile 1.2.5 is pushed and a second workflow proposes it, start to end.
			digest := w.push("charts/webapp", "1.2.5")
			newer, err := w.runFrom(t, newerClone, w.options())
			if err != nil {
				t.Fatal(err)
			}
			np := only(t, newer)
			if np.Action != promote.Opened || np.Title != "Promote webapp to 1.2.5" {
				t.Fatalf("the newer run: %s", brief(np))
			}
			writes := w.gh.Writes()

			close(g.resume)
			op := (<-older).only(t)
			if op.Action != promote.Unchanged || op.Number != np.Number || op.Commit != np.Commit ||
				len(op.Warnings) != 1 || !strings.Contains(op.Warnings[0], "newer versions (webapp 1.2.5)") {
				t.Errorf("the older run: %s; want PR #%d left unchanged at %s, with a warning naming 1.2.5", brief(op), np.Number, np.Commit)
			}

			// The branch and the PR still propose 1.2.5: nothing regressed, silently or not.
			if got := w.checkOneToolCommitOnMain(branch); got != np.Commit {
				t.Errorf("%s is at %s, want the newer run's %s", branch, got, np.Commit)
			}
			w.checkDiffMovesOnly("main", branch, webappLines("1.2.5"))
			prs := w.pulls()
			if len(prs) != 1 || prs[0].Title != "Promote webapp to 1.2.5" || !strings.Contains(prs[0].Body, digest) ||
				strings.Contains(prs[0].Body, "`1.2.4`") {
				t.Errorf("pull requests %q; want the one proposing 1.2.5", prSummary(prs))
			}
			if got := w.gh.Writes(); got != writes {
				t.Errorf("the older run made %d GitHub writes, want none", got-writes)
			}
			if got := w.pushes(); got != tc.wantPushes {
				t.Errorf("%d pushes reached the server, want %d", got, tc.wantPushes)
			}
		})
	}
}

func TestAPullRequestClosedWithoutMergingIsNotProposedAgainButANewerVersionIs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// personDeletes deletes the branch with the PR; keep sets KeepBranches.
		personDeletes, keep bool
		wantPushes          int // the tool's deletion of the branch the PR left
	}{
		{name: "the branch is deleted with the PR", personDeletes: true},
		{name: "the branch the PR left is deleted by the tool", wantPushes: 1},
		{name: "the branch is kept when the options keep branches", keep: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}})
			branch := w.chartBranch("charts/webapp")
			opts := w.options()
			opts.KeepBranches = tc.keep
			first := only(t, w.propose(opts))
			w.gh.SetPRState(gitopsOwner, gitopsName, first.Number, "closed", false)
			if tc.personDeletes {
				w.bare("update-ref", "-d", "refs/heads/"+branch)
			}
			writes := w.gh.Writes()
			w.git.Requests.Reset()

			again := only(t, w.propose(opts))
			if again.Action != promote.Unchanged || again.Number != first.Number || len(again.Warnings) != 1 ||
				!strings.Contains(again.Warnings[0], "closed without merging") {
				t.Errorf("the same versions again: %s; want PR #%d's no respected, with a warning saying so", brief(again), first.Number)
			}
			if got := w.gh.Writes(); got != writes || w.pushes() != tc.wantPushes {
				t.Errorf("%d GitHub writes and %d pushes; want none and %d", got-writes, w.pushes(), tc.wantPushes)
			}
			if got := w.branches(); tc.keep != (len(got) == 1) {
				t.Errorf("branches %v; want the branch kept only when the options keep branches", got)
			}

			w.push("charts/webapp", "1.2.5")
			newer := only(t, w.propose(w.options()))
			if newer.Action != promote.Opened || newer.Number == first.Number {
				t.Fatalf("a newer version: %s; want a new PR", brief(newer))
			}
			w.checkOneToolCommitOnMain(branch)
			w.checkDiffMovesOnly("main", branch, webappLines("1.2.5"))
			state := map[int]string{}
			for _, pr := range w.pulls() {
				state[pr.Number] = pr.State + " " + pr.Title
			}
			if want := map[int]string{first.Number: "closed Promote webapp to 1.2.4", newer.Number: "open Promote webapp to 1.2.5"}; !maps.Equal(state, want) {
				t.Errorf("pull requests %v, want %v", state, want)
			}
			if c := w.gh.Comments(gitopsOwner, gitopsName, first.Number); len(c) != 0 {
				t.Errorf("the closed PR got comments %q", c)
			}
		})
	}
}

func TestAMergedPromotionIsNotProposedAgain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		about string
		// fresh: the next run checks out main after the merge; otherwise it runs from a
		// checkout taken before (a run queued meanwhile), which still says 1.2.3.
		fresh, deleteBranch bool
	}{
		{about: "from a checkout of the merged main", fresh: true},
		{about: "from a checkout taken before the merge, the branch kept"},
		{about: "from a checkout taken before the merge, the branch deleted", deleteBranch: true},
	} {
		t.Run(tc.about, func(t *testing.T) {
			t.Parallel()
			w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}})
			branch := w.chartBranch("charts/webapp")
			first := only(t, w.propose(w.options()))
			// Merged as GitHub fast-forwards it: main moves to the promotion commit.
			w.bare("update-ref", "refs/heads/main", first.Commit, w.bare("rev-parse", "refs/heads/main"))
			w.gh.SetPRState(gitopsOwner, gitopsName, first.Number, "closed", true)
			if tc.deleteBranch {
				w.bare("update-ref", "-d", "refs/heads/"+branch)
			}
			dir := w.clone
			if tc.fresh {
				dir = w.secondClone()
			}
			writes := w.gh.Writes()
			w.git.Requests.Reset()
			branchesBefore := w.branches()

			res, err := w.runFrom(t, dir, w.options())
			if err != nil {
				t.Fatal(err)
			}
			if res.Failed() || res.Changed() {
				t.Errorf("proposals %v; want nothing failed and nothing changed", briefs(res))
			}
			switch {
			case tc.fresh && len(res.Proposals) != 0:
				t.Errorf("proposals %v; want none: main already holds 1.2.4", briefs(res))
			case !tc.fresh && (len(res.Proposals) != 1 || res.Proposals[0].Action != promote.Unchanged):
				t.Errorf("proposals %v; want the group unchanged", briefs(res))
			}
			if got := w.gh.Writes(); got != writes || w.pushes() != 0 {
				t.Errorf("%d GitHub writes and %d pushes; want none", got-writes, w.pushes())
			}
			if prs := w.pulls(); len(prs) != 1 || !prs[0].Merged {
				t.Errorf("pull requests %q; want only the merged one", prSummary(prs))
			}
			if got := w.branches(); !slices.Equal(got, branchesBefore) {
				t.Errorf("branches %v, want %v", got, branchesBefore)
			}
			if got := w.bare("rev-parse", "refs/heads/main"); got != first.Commit {
				t.Errorf("main moved to %s", got)
			}
		})
	}
}

// githubFault answers a GitHub API request as GitHub does when it fails: a status, the
// given header pairs, and GitHub's JSON error body.
func githubFault(code int, message string, header ...string) testenv.FaultAction {
	return func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
		_, _ = io.Copy(io.Discard, r.Body)
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(code)
		_, _ = fmt.Fprintf(w, `{"message":%q,"documentation_url":"https://docs.github.com/rest","status":"%d"}`, message, code)
	}
}

// recordedWaits stands in for the GitHub client's sleep: it records the waits and returns
// at once.
type recordedWaits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (r *recordedWaits) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.d = append(r.d, d)
	r.mu.Unlock()
	return ctx.Err()
}

func (r *recordedWaits) all() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.d)
}

func TestAFailedPullRequestCreateIsNotRepeatedAndARerunOpensExactlyOne(t *testing.T) {
	t.Parallel()
	faults := testenv.NewFaults()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}}, withGitHubMiddleware(faults.Middleware))
	branch := w.chartBranch("charts/webapp")
	bad := faults.Add(http.MethodPost, `^/repos/acme/gitops/pulls$`, 1, githubFault(http.StatusBadGateway, "Server Error"))
	var waits recordedWaits

	res, err := w.runFrom(t, w.clone, w.options(), github.WithSleep(waits.sleep))
	if err != nil {
		t.Fatal(err)
	}
	p := only(t, res)
	if p.Action != promote.Failed || !res.Failed() || !strings.Contains(errText(p.Err), "502") || !strings.Contains(errText(p.Err), "re-run") {
		t.Errorf("%s; want the group failed with the 502 and what to do", brief(p))
	}
	creates := w.gh.Requests.Count(func(m, path string) bool { return m == http.MethodPost && path == "/repos/acme/gitops/pulls" })
	if bad.Hits() != 1 || creates != 1 || len(w.pulls()) != 0 {
		t.Errorf("%d create requests (%d failed), pull requests %q; want one request, not repeated, and no PR", creates, bad.Hits(), prSummary(w.pulls()))
	}
	// The branch was pushed before GitHub failed, and stays.
	tip := w.checkOneToolCommitOnMain(branch)
	if p.Commit != tip {
		t.Errorf("proposal commit %s, branch at %s", p.Commit, tip)
	}

	w.git.Requests.Reset()
	again := only(t, w.propose(w.options()))
	if again.Action != promote.Opened || again.Commit != tip {
		t.Errorf("the re-run: %s; want the PR opened for the commit already pushed", brief(again))
	}
	if n := w.pushes(); n != 0 {
		t.Errorf("the re-run pushed %d times; the branch was already right", n)
	}
	if prs := w.pulls(); len(prs) != 1 || prs[0].Head != branch || prs[0].Title != "Promote webapp to 1.2.4" {
		t.Errorf("pull requests %q; want exactly one", prSummary(prs))
	}
}

func TestASecondaryRateLimitOnReadingPullRequestsIsWaitedOut(t *testing.T) {
	t.Parallel()
	faults := testenv.NewFaults()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}}, withGitHubMiddleware(faults.Middleware))
	limited := faults.Add(http.MethodGet, `^/repos/acme/gitops/pulls$`, 1,
		githubFault(http.StatusForbidden, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", "Retry-After", "1"))
	var waits recordedWaits

	res, err := w.runFrom(t, w.clone, w.options(), github.WithSleep(waits.sleep))
	if err != nil {
		t.Fatal(err)
	}
	p := only(t, res)
	if p.Action != promote.Opened || res.Failed() || len(w.pulls()) != 1 {
		t.Errorf("%s, pull requests %q; want one opened", brief(p), prSummary(w.pulls()))
	}
	if got := waits.all(); limited.Hits() != 1 || !slices.Equal(got, []time.Duration{time.Second}) {
		t.Errorf("%d rate-limited answers, waits %v; want one, waited out for the 1s GitHub asked", limited.Hits(), got)
	}
}

func TestAFailedPullRequestUpdateIsRetriedAndSucceeds(t *testing.T) {
	t.Parallel()
	faults := testenv.NewFaults()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}}, withGitHubMiddleware(faults.Middleware))
	first := only(t, w.propose(w.options()))
	w.push("charts/webapp", "1.2.5")
	patch := fmt.Sprintf(`^/repos/acme/gitops/pulls/%d$`, first.Number)
	bad := faults.Add(http.MethodPatch, patch, 1, githubFault(http.StatusInternalServerError, "Server Error"))
	w.gh.Requests.Reset()
	var waits recordedWaits

	res, err := w.runFrom(t, w.clone, w.options(), github.WithSleep(waits.sleep))
	if err != nil {
		t.Fatal(err)
	}
	p := only(t, res)
	if p.Action != promote.Updated || p.Number != first.Number || res.Failed() {
		t.Errorf("%s; want PR #%d updated", brief(p), first.Number)
	}
	patches := w.gh.Requests.Count(func(m, path string) bool {
		return m == http.MethodPatch && strings.HasSuffix(path, fmt.Sprintf("/pulls/%d", first.Number))
	})
	if bad.Hits() != 1 || patches != 2 || len(waits.all()) != 1 {
		t.Errorf("%d PATCH requests (%d failed), waits %v; want the failed one retried once after a backoff", patches, bad.Hits(), waits.all())
	}
	if prs := w.pulls(); len(prs) != 1 || prs[0].Title != "Promote webapp to 1.2.5" || !strings.Contains(prs[0].Body, "`1.2.3` → `1.2.5`") {
		t.Errorf("pull requests %q", prSummary(prs))
	}
}

func TestAPersonsPushBetweenTheToolsReadAndItsPushIsKeptAndTheGroupBlocked(t *testing.T) {
	t.Parallel()
	g := newGate(isReceivePackPost)
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}}, withGitMiddleware(g.middleware))
	branch := w.chartBranch("charts/webapp")
	first := only(t, w.propose(w.options()))
	toolCommit := first.Commit
	w.push("charts/webapp", "1.2.5")

	// The run reads the branch (the tool's 1.2.4 commit) and builds 1.2.5 on it; as its
	// push reaches the server, a person pushes their commit on top of the tool's first.
	g.arm()
	done := make(chan outcome, 1)
	go func() {
		res, err := w.runFrom(t, w.clone, w.options())
		done <- outcome{res, err}
	}()
	select {
	case <-g.intercepted:
	case o := <-done:
		t.Fatalf("the run ended without pushing: %v, %v", briefs(o.res), o.err)
	}
	staging := strings.Replace(w.bare("show", branch+":apps/staging/webapp.yaml")+"\n", "replicas: 1", "replicas: 2", 1)
	human := w.commitAs(branch, map[string]string{"apps/staging/webapp.yaml": staging}, "Scale staging for the 1.2.4 test")
	close(g.resume)
	p := (<-done).only(t)

	if p.Action != promote.Blocked || p.Number != first.Number || !isBlockedBy(p.Err, "Dana Reviewer") {
		t.Errorf("%s; want PR #%d blocked by the person's commit", brief(p), first.Number)
	}
	if got := w.bare("rev-parse", "refs/heads/"+branch); got != human {
		t.Errorf("%s is at %s, want the person's %s", branch, got, human)
	}
	if got := w.bare("log", "--format=%H", branch); got != human+"\n"+toolCommit+"\n"+w.bare("rev-parse", toolCommit+"^") {
		t.Errorf("%s's history:\n%s\nwant the person's commit on the tool's, on main", branch, got)
	}
	if got := w.bare("show", branch+":apps/staging/webapp.yaml") + "\n"; got != staging || !strings.Contains(got, "targetRevision: 1.2.4") {
		t.Errorf("staging on %s:\n%s", branch, got)
	}
	// A later run leaves it alone too, and says so once.
	again := only(t, w.propose(w.options()))
	if again.Action != promote.Blocked || w.bare("rev-parse", "refs/heads/"+branch) != human {
		t.Errorf("the next run: %s", brief(again))
	}
	if c := w.gh.Comments(gitopsOwner, gitopsName, first.Number); len(c) != 1 || !strings.Contains(c[0], "did not make") {
		t.Errorf("comments %q; want one saying the branch is left alone", c)
	}
	if prs := w.pulls(); len(prs) != 1 || prs[0].Title != "Promote webapp to 1.2.4" {
		t.Errorf("pull requests %q; want the first, untouched", prSummary(prs))
	}
}

func TestABranchAheadOfTheRunIsMovedBackOnlyWhenItsVersionIsNoLongerAllowedOrAvailable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		about string
		// then changes the world after the first run proposed 1.2.5, and returns the
		// options of the second run.
		then func(t *testing.T, w *gitops) promote.ProposeOptions
	}{{
		about: "the policy was narrowed",
		then: func(_ *testing.T, w *gitops) promote.ProposeOptions {
			opts := w.options()
			opts.Plan.DefaultConstraint = "~1.2.0, <1.2.5"
			return opts
		},
	}, {
		about: "the version was withdrawn from the registry",
		then: func(t *testing.T, w *gitops) promote.ProposeOptions {
			repo := w.reg.Repository(t, "charts/webapp")
			desc, err := repo.Resolve(t.Context(), "1.2.5")
			if err != nil {
				t.Fatal(err)
			}
			if err := repo.Delete(t.Context(), desc); err != nil {
				t.Fatal(err)
			}
			return w.options()
		},
	}} {
		t.Run(tc.about, func(t *testing.T) {
			t.Parallel()
			w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4", "1.2.5"}})
			branch := w.chartBranch("charts/webapp")
			first := only(t, w.propose(w.options()))
			if first.Title != "Promote webapp to 1.2.5" {
				t.Fatalf("first run: %s", brief(first))
			}

			second := only(t, w.propose(tc.then(t, w)))
			if second.Action != promote.Updated || second.Number != first.Number || len(second.Warnings) != 0 {
				t.Errorf("second run: %s; want PR #%d moved to 1.2.4", brief(second), first.Number)
			}
			w.checkOneToolCommitOnMain(branch)
			w.checkDiffMovesOnly("main", branch, webappLines("1.2.4"))
			if prs := w.pulls(); len(prs) != 1 || prs[0].Title != "Promote webapp to 1.2.4" {
				t.Errorf("pull requests %q; want the one, now proposing 1.2.4", prSummary(prs))
			}
		})
	}
}
