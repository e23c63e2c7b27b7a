package github

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// testToken is recognisable, so a leak into an error message is easy to spot.
const testToken = "ghp_TESTTOKEN_must_never_leak_0123456789"

const owner, repo = "acme", "fleet"

// waits records the delays the client asked for instead of sleeping them.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.d)
}

// newClient returns a client for apiURL that retries with tiny delays and records its waits.
func newClient(t *testing.T, apiURL string, opts ...Option) (*Client, *waits) {
	t.Helper()
	w := &waits{}
	c, err := New(apiURL, testToken, append([]Option{WithRetry(4, time.Millisecond), WithSleep(w.sleep)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, w
}

func startFake(t *testing.T, opts ...testenv.FakeGitHubOption) *testenv.FakeGitHub {
	t.Helper()
	f := testenv.StartFakeGitHub(t, testToken, opts...)
	f.AddRepo(owner, repo, "main")
	return f
}

func countRequests(f *testenv.FakeGitHub, method, path string) int {
	return f.Requests.Count(func(m, p string) bool { return m == method && p == path })
}

func TestOpenFindAndUpdateAPullRequest(t *testing.T) {
	ctx := context.Background()
	f := startFake(t)
	c, _ := newClient(t, f.URL)

	pr, adopted, err := c.CreatePullRequest(ctx, owner, repo, NewPullRequest{
		Title: "Promote web to 1.2.3", Body: "web 1.2.2 → 1.2.3", Head: "promote/web", Base: "main",
	})
	if err != nil {
		t.Fatal(err)
	}
	if adopted || pr.Number != 1 || pr.Author != f.Login || pr.NodeID == "" || pr.URL != "https://github.com/acme/fleet/pull/1" || pr.Head != "promote/web" || pr.Base != "main" || pr.State != "open" {
		t.Fatalf("created %+v (adopted %v), want open #1 by %s with a node ID and URL", pr, adopted, f.Login)
	}

	found, err := c.FindPullRequest(ctx, owner, repo, "promote/web", "main")
	if err != nil || found == nil || found.Number != pr.Number {
		t.Fatalf("FindPullRequest = %+v, %v; want #%d", found, err, pr.Number)
	}
	if none, err := c.FindPullRequest(ctx, owner, repo, "promote/api", "main"); err != nil || none != nil {
		t.Fatalf("FindPullRequest for a branch without a pull request = %+v, %v; want nil, nil", none, err)
	}

	updated, err := c.UpdatePullRequest(ctx, owner, repo, pr.Number, "Promote web to 1.2.4", "web 1.2.2 → 1.2.4")
	if err != nil || updated.Title != "Promote web to 1.2.4" || updated.Body != "web 1.2.2 → 1.2.4" {
		t.Fatalf("UpdatePullRequest = %+v, %v", updated, err)
	}
	for _, step := range []error{
		c.AddLabels(ctx, owner, repo, pr.Number, []string{"promotion", "web"}),
		c.RequestReviewers(ctx, owner, repo, pr.Number, []string{"alice"}, []string{"platform"}),
		c.AddAssignees(ctx, owner, repo, pr.Number, []string{"bob"}),
		c.Comment(ctx, owner, repo, pr.Number, "Superseded by a newer version."),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	got := f.PullRequests(owner, repo)[0]
	if got.Title != "Promote web to 1.2.4" || !slices.Equal(got.Labels, []string{"promotion", "web"}) ||
		!slices.Equal(got.Reviewers, []string{"alice"}) || !slices.Equal(got.TeamReviewers, []string{"platform"}) ||
		!slices.Equal(got.Assignees, []string{"bob"}) {
		t.Errorf("fake holds %+v, want the new title, labels, reviewers and assignee", got)
	}
	comments, err := c.ListComments(ctx, owner, repo, pr.Number)
	if err != nil || len(comments) != 1 || comments[0].Body != "Superseded by a newer version." || comments[0].Author != f.Login || comments[0].ID == 0 {
		t.Errorf("ListComments = %+v, %v", comments, err)
	}

	if err := c.ClosePullRequest(ctx, owner, repo, pr.Number); err != nil {
		t.Fatal(err)
	}
	if open, err := c.FindPullRequest(ctx, owner, repo, "promote/web", "main"); err != nil || open != nil {
		t.Errorf("FindPullRequest after closing = %+v, %v; want nil", open, err)
	}
	f.SetPRState(owner, repo, pr.Number, "closed", true)
	all, err := c.ListPullRequests(ctx, owner, repo, ListOptions{State: "all"})
	if err != nil || len(all) != 1 || all[0].State != "closed" || !all[0].Merged {
		t.Errorf("ListPullRequests(all) = %+v, %v; want one merged pull request (the list has merged_at, not merged)", all, err)
	}
}

func TestCreatePullRequestAdoptsTheOneAParallelRunOpened(t *testing.T) {
	ctx := context.Background()
	f := startFake(t)
	c, _ := newClient(t, f.URL)
	// The other run opened it a moment ago, with the same bot identity.
	number := f.OpenPR(owner, repo, testenv.FakePR{Title: "Promote web", Head: "promote/web", Base: "main", Author: f.Login})
	f.Requests.Reset()

	pr, adopted, err := c.CreatePullRequest(ctx, owner, repo, NewPullRequest{Title: "Promote web", Head: "promote/web", Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if !adopted || pr.Number != number {
		t.Errorf("CreatePullRequest = #%d adopted %v, want #%d adopted", pr.Number, adopted, number)
	}
	if n := len(f.PullRequests(owner, repo)); n != 1 {
		t.Errorf("the fake has %d pull requests, want 1", n)
	}
	if got, want := f.Requests.All(), []string{
		"POST /repos/acme/fleet/pulls",
		"GET /repos/acme/fleet/pulls?base=main&head=acme%3Apromote%2Fweb&per_page=100&state=open",
	}; !slices.Equal(got, want) {
		t.Errorf("requests = %q, want %q", got, want)
	}
}

func TestCreatePullRequestReportsOtherValidationErrors(t *testing.T) {
	f := startFake(t)
	c, _ := newClient(t, f.URL)
	_, adopted, err := c.CreatePullRequest(context.Background(), owner, repo, NewPullRequest{Title: "Nothing", Head: "main", Base: "main"})
	if err == nil || adopted || !strings.Contains(err.Error(), "No commits between main and main") {
		t.Errorf("CreatePullRequest from main into main = adopted %v, %v; want GitHub's validation message", adopted, err)
	}
}

func TestGitHubListingsReadEveryPage(t *testing.T) {
	ctx := context.Background()
	f := startFake(t)
	c, _ := newClient(t, f.URL)
	// 250 promotion pull requests and 20 others: three pages of 100.
	for i := range 270 {
		head := fmt.Sprintf("promote/app-%d", i)
		if i >= 250 {
			head = fmt.Sprintf("feature/%d", i)
		}
		f.OpenPR(owner, repo, testenv.FakePR{Title: head, Head: head, Base: "main"})
	}
	for i := range 250 {
		f.AddComment(owner, repo, 1, "octocat", fmt.Sprintf("comment %d", i))
	}
	f.Requests.Reset()

	tests := []struct {
		name      string
		list      func() (int, error)
		path      string
		wantItems int
	}{
		{
			name: "pull requests over three pages, filtered by head prefix on our side",
			list: func() (int, error) {
				prs, err := c.ListPullRequests(ctx, owner, repo, ListOptions{Base: "main", HeadPrefix: "promote/"})
				return len(prs), err
			},
			path:      "/repos/acme/fleet/pulls",
			wantItems: 250,
		},
		{
			name: "comments over three pages, oldest first",
			list: func() (int, error) {
				cs, err := c.ListComments(ctx, owner, repo, 1)
				if err == nil && (cs[0].Body != "comment 0" || cs[249].Body != "comment 249") {
					return 0, fmt.Errorf("comments out of order: first %q, last %q", cs[0].Body, cs[249].Body)
				}
				return len(cs), err
			},
			path:      "/repos/acme/fleet/issues/1/comments",
			wantItems: 250,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.Requests.Reset()
			n, err := tt.list()
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.wantItems {
				t.Errorf("got %d items, want %d", n, tt.wantItems)
			}
			if reqs := countRequests(f, http.MethodGet, tt.path); reqs != 3 {
				t.Errorf("%d requests, want 3 pages: %q", reqs, f.Requests.All())
			}
		})
	}
}

// fault is one scripted answer of a faultServer.
type fault struct {
	status int
	header map[string]string
	body   string
	abort  bool // drop the connection instead of answering
}

const secondaryRateLimitBody = `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`

// faultServer answers with faults in order, then succeeds; it counts requests per method.
func faultServer(t *testing.T, faults []fault) (*httptest.Server, func(method string) int) {
	t.Helper()
	var mu sync.Mutex
	counts := map[string]int{}
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		counts[r.Method]++
		i := n
		n++
		mu.Unlock()
		if i < len(faults) {
			ft := faults[i]
			if ft.abort {
				panic(http.ErrAbortHandler)
			}
			for k, v := range ft.header {
				w.Header().Set(k, v)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(ft.status)
			fmt.Fprint(w, ft.body)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"number":7,"state":"open","head":{"ref":"promote/web"},"base":{"ref":"main"}}`)
			return
		}
		fmt.Fprint(w, `[]`)
	}))
	t.Cleanup(srv.Close)
	return srv, func(method string) int {
		mu.Lock()
		defer mu.Unlock()
		return counts[method]
	}
}

func TestGitHubTransportRetriesWhatIsSafeAndWaitsOutRateLimits(t *testing.T) {
	inSeconds := func(d time.Duration) string { return strconv.FormatInt(time.Now().Add(d).Unix(), 10) }
	read := func(ctx context.Context, c *Client) error {
		_, err := c.FindPullRequest(ctx, owner, repo, "promote/web", "main")
		return err
	}
	create := func(ctx context.Context, c *Client) error {
		_, _, err := c.CreatePullRequest(ctx, owner, repo, NewPullRequest{Title: "t", Head: "promote/web", Base: "main"})
		return err
	}
	tests := []struct {
		name         string
		call         func(context.Context, *Client) error
		method       string
		faults       []fault
		wantRequests int
		wantWaits    []time.Duration // each within ±2 s, as reset times have whole seconds
		wantErr      error           // nil: success; errAny: any error
	}{
		{
			name:         "a 502 on a read is retried and the read succeeds",
			call:         read,
			method:       http.MethodGet,
			faults:       []fault{{status: 502, body: `{"message":"Server Error"}`}},
			wantRequests: 2,
			wantWaits:    []time.Duration{0},
		},
		{
			name:         "a dropped connection on a read is retried",
			call:         read,
			method:       http.MethodGet,
			faults:       []fault{{abort: true}},
			wantRequests: 2,
			wantWaits:    []time.Duration{0},
		},
		{
			name:         "a read that keeps failing stops after the last attempt",
			call:         read,
			method:       http.MethodGet,
			faults:       []fault{{status: 503}, {status: 503}, {status: 503}, {status: 503}, {status: 503}},
			wantRequests: 4,
			wantWaits:    []time.Duration{0, 0, 0},
			wantErr:      errAny,
		},
		{
			name:         "a create is not retried after a 500, since it may have taken effect",
			call:         create,
			method:       http.MethodPost,
			faults:       []fault{{status: 500, body: `{"message":"Server Error"}`}},
			wantRequests: 1,
			wantErr:      errAny,
		},
		{
			name:   "a secondary rate limit with Retry-After is waited out, even for a create",
			call:   create,
			method: http.MethodPost,
			faults: []fault{{status: 403, header: map[string]string{"Retry-After": "1"}, body: secondaryRateLimitBody}},
			// GitHub did not process the first request, so sending it again is safe.
			wantRequests: 2,
			wantWaits:    []time.Duration{time.Second},
		},
		{
			name:         "a secondary rate limit without headers waits the minute GitHub asks for",
			call:         read,
			method:       http.MethodGet,
			faults:       []fault{{status: 403, body: secondaryRateLimitBody}},
			wantRequests: 2,
			wantWaits:    []time.Duration{time.Minute},
		},
		{
			name:         "a 429 with x-ratelimit-reset waits until the reset",
			call:         read,
			method:       http.MethodGet,
			faults:       []fault{{status: 429, header: map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": inSeconds(30 * time.Second)}}},
			wantRequests: 2,
			wantWaits:    []time.Duration{31 * time.Second},
		},
		{
			name:   "an exhausted primary rate limit waits until the reset",
			call:   create,
			method: http.MethodPost,
			faults: []fault{{status: 403, header: map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": inSeconds(20 * time.Second)},
				body: `{"message":"API rate limit exceeded for installation ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`}},
			wantRequests: 2,
			wantWaits:    []time.Duration{21 * time.Second},
		},
		{
			name:         "a rate limit that lasts longer than the client waits fails at once",
			call:         read,
			method:       http.MethodGet,
			faults:       []fault{{status: 403, header: map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": inSeconds(2 * time.Hour)}}},
			wantRequests: 1,
			wantErr:      ErrRateLimited,
		},
		{
			name:         "a 403 that is no rate limit is not retried",
			call:         read,
			method:       http.MethodGet,
			faults:       []fault{{status: 403, body: `{"message":"Resource not accessible by integration"}`}},
			wantRequests: 1,
			wantErr:      errAny,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, count := faultServer(t, tt.faults)
			c, w := newClient(t, srv.URL)
			err := tt.call(context.Background(), c)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != nil && err == nil:
				t.Fatalf("succeeded, want an error")
			case tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
				t.Fatalf("error %v, want one wrapping %v", err, tt.wantErr)
			}
			if n := count(tt.method); n != tt.wantRequests {
				t.Errorf("%d %s requests, want %d", n, tt.method, tt.wantRequests)
			}
			got := w.all()
			if len(got) != len(tt.wantWaits) {
				t.Fatalf("waits %v, want %v", got, tt.wantWaits)
			}
			for i := range got {
				if d := got[i] - tt.wantWaits[i]; d < -2*time.Second || d > 2*time.Second {
					t.Errorf("wait %d = %v, want about %v", i, got[i], tt.wantWaits[i])
				}
			}
		})
	}
}

// errAny stands for "some error" in tables.
var errAny = errors.New("any error")

func TestGitHubRateLimitWaitEndsWithTheContext(t *testing.T) {
	srv, _ := faultServer(t, []fault{{status: 429, header: map[string]string{"Retry-After": "30"}}})
	c, err := New(srv.URL, testToken) // the real sleep
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c.FindPullRequest(ctx, owner, repo, "promote/web", "main")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want the context's deadline", err)
	}
}

func TestGitHubEnableAutoMerge(t *testing.T) {
	tests := []struct {
		name            string
		allowed         bool
		draft           bool
		nodeID          string // "" means the pull request's
		method          string
		enterprise      bool
		wantUnavailable bool
		wantErr         bool
		wantMethod      string
	}{
		{name: "auto-merge goes on with the method asked for", allowed: true, method: "squash", wantMethod: "SQUASH"},
		{name: "it works through GitHub Enterprise Server's /api/graphql", allowed: true, method: "REBASE", enterprise: true, wantMethod: "REBASE"},
		{name: "a repository that does not allow auto-merge makes it unavailable", allowed: false, method: "MERGE", wantUnavailable: true, wantErr: true},
		{name: "a draft pull request makes it unavailable", allowed: true, draft: true, method: "MERGE", wantUnavailable: true, wantErr: true},
		{name: "an unknown pull request is an error, not unavailability", allowed: true, nodeID: "PR_nope", method: "MERGE", wantErr: true},
		{name: "an unknown merge method is refused without a request", allowed: true, method: "octopus", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t)
			f.SetAutoMergeAllowed(owner, repo, tt.allowed)
			number := f.OpenPR(owner, repo, testenv.FakePR{Title: "t", Head: "promote/web", Base: "main", Draft: tt.draft})
			nodeID := tt.nodeID
			if nodeID == "" {
				nodeID = f.PullRequests(owner, repo)[0].NodeID
			}
			apiURL := f.URL
			if tt.enterprise {
				apiURL = f.EnterpriseURL
			}
			c, _ := newClient(t, apiURL)
			f.Requests.Reset()

			err := c.EnableAutoMerge(context.Background(), nodeID, tt.method)
			if (err != nil) != tt.wantErr || errors.Is(err, ErrAutoMergeUnavailable) != tt.wantUnavailable {
				t.Fatalf("EnableAutoMerge = %v; want error %v, unavailable %v", err, tt.wantErr, tt.wantUnavailable)
			}
			if got := f.PullRequests(owner, repo)[number-1].AutoMerge; got != tt.wantMethod {
				t.Errorf("auto-merge method = %q, want %q", got, tt.wantMethod)
			}
			if tt.method == "octopus" && f.Requests.Count(nil) != 0 {
				t.Errorf("requests %q, want none", f.Requests.All())
			}
		})
	}
}

func TestGitHubCreateCommitWritesASignedCommitOnTopOfTheParent(t *testing.T) {
	ctx := context.Background()
	f := startFake(t)
	c, _ := newClient(t, f.URL)
	main, exists, err := c.GetRef(ctx, owner, repo, "main")
	if err != nil || !exists {
		t.Fatalf("GetRef(main) = %q, %v, %v", main, exists, err)
	}
	binary := []byte{0, 0xff, 0xfe, '\n'}
	sha, err := c.CreateCommit(ctx, owner, repo, main, map[string][]byte{
		"apps/web.yaml": []byte("targetRevision: 1.2.3\n"),
		"bin/blob":      binary,
	}, "Promote web to 1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	commit, ok := f.Commit(owner, repo, sha)
	if !ok || !commit.Verified || !slices.Equal(commit.Parents, []string{main}) || commit.Message != "Promote web to 1.2.3" {
		t.Fatalf("commit %+v (found %v), want a verified commit on %s", commit, ok, main)
	}
	for path, want := range map[string]string{
		"apps/web.yaml": "targetRevision: 1.2.3\n",
		"bin/blob":      string(binary),
		"README.md":     "# fleet\n", // kept from the parent's tree
	} {
		if got, ok := f.File(owner, repo, sha, path); !ok || string(got) != want {
			t.Errorf("%s = %q (found %v), want %q", path, got, ok, want)
		}
	}
	if _, exists, err := c.GetRef(ctx, owner, repo, "promote/web"); err != nil || exists {
		t.Errorf("GetRef of a missing branch = exists %v, %v; want false, nil", exists, err)
	}
}

func TestGitHubCreateCommitChangesRemovesFilesWithANullSHA(t *testing.T) {
	ctx := context.Background()
	f := startFake(t)
	c, _ := newClient(t, f.URL)
	main, _, err := c.GetRef(ctx, owner, repo, "main")
	if err != nil {
		t.Fatal(err)
	}
	old := []byte{0x1f, 0x8b, 0, 1}
	first, err := c.CreateCommit(ctx, owner, repo, main, map[string][]byte{"charts/redis-1.0.0.tgz": old}, "vendor redis 1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	archive := []byte{0x1f, 0x8b, 0, 0xff, '\r', '\n'}
	sha, err := c.CreateCommitChanges(ctx, owner, repo, first, map[string][]byte{"charts/redis-1.1.0.tgz": archive}, []string{"charts/redis-1.0.0.tgz"}, "vendor redis 1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := f.File(owner, repo, sha, "charts/redis-1.1.0.tgz"); !ok || !bytes.Equal(got, archive) {
		t.Errorf("the new archive on GitHub = %q (found %v), want its bytes intact", got, ok)
	}
	if _, ok := f.File(owner, repo, sha, "charts/redis-1.0.0.tgz"); ok {
		t.Error("the removed archive is still in the commit's tree")
	}
	if _, ok := f.File(owner, repo, sha, "README.md"); !ok {
		t.Error("the parent's other files are gone")
	}
	if _, err := c.CreateCommitChanges(ctx, owner, repo, first, map[string][]byte{"a": nil}, []string{"a"}, "m"); err == nil {
		t.Error("a path both written and removed was committed")
	}
}

func TestGitHubUpdateRefHoldsTheLease(t *testing.T) {
	ctx := context.Background()
	const branch = "promote/web"
	tests := []struct {
		name        string
		branchAt    string // "": no branch; "c1", "main": that commit
		sha         string
		expected    string
		wantErr     error
		wantFinalAt string
	}{
		{name: "a new branch is created when none was expected", branchAt: "", sha: "c1", expected: "", wantFinalAt: "c1"},
		{name: "creating a branch that exists is rejected", branchAt: "main", sha: "c1", expected: "", wantErr: ErrLeaseRejected, wantFinalAt: "main"},
		{name: "a branch where we left it is moved, even when history is replaced", branchAt: "c1", sha: "c2", expected: "c1", wantFinalAt: "c2"},
		{name: "a branch someone else moved is left alone", branchAt: "main", sha: "c2", expected: "c1", wantErr: ErrLeaseRejected, wantFinalAt: "main"},
		{name: "a branch someone deleted is not recreated", branchAt: "", sha: "c2", expected: "c1", wantErr: ErrLeaseRejected, wantFinalAt: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t)
			c, _ := newClient(t, f.URL)
			shas := map[string]string{"": "", "main": f.Ref(owner, repo, "main")}
			var err error
			// c1 and c2 are both children of main, so c1 → c2 is not a fast-forward.
			for _, name := range []string{"c1", "c2"} {
				if shas[name], err = c.CreateCommit(ctx, owner, repo, shas["main"], map[string][]byte{"v": []byte(name)}, name); err != nil {
					t.Fatal(err)
				}
			}
			f.SetRef(owner, repo, branch, shas[tt.branchAt])

			err = c.UpdateRef(ctx, owner, repo, branch, shas[tt.sha], shas[tt.expected])
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("UpdateRef = %v, want %v", err, tt.wantErr)
			}
			if got := f.Ref(owner, repo, branch); got != shas[tt.wantFinalAt] {
				t.Errorf("branch at %q, want %s (%q)", got, tt.wantFinalAt, shas[tt.wantFinalAt])
			}
		})
	}
}

func TestGitHubTokenNeverAppearsInErrors(t *testing.T) {
	calls := map[string]func(*Client) error{
		"FindPullRequest": func(c *Client) error {
			_, err := c.FindPullRequest(context.Background(), owner, repo, "b", "main")
			return err
		},
		"CreatePullRequest": func(c *Client) error {
			_, _, err := c.CreatePullRequest(context.Background(), owner, repo, NewPullRequest{Title: "t", Head: "b", Base: "main"})
			return err
		},
		"UpdatePullRequest": func(c *Client) error {
			_, err := c.UpdatePullRequest(context.Background(), owner, repo, 1, "t", "b")
			return err
		},
		"Comment":         func(c *Client) error { return c.Comment(context.Background(), owner, repo, 1, "hi") },
		"EnableAutoMerge": func(c *Client) error { return c.EnableAutoMerge(context.Background(), "PR_x", "MERGE") },
		"CreateCommit": func(c *Client) error {
			_, err := c.CreateCommit(context.Background(), owner, repo, "abc", map[string][]byte{"f": nil}, "m")
			return err
		},
		"UpdateRef": func(c *Client) error { return c.UpdateRef(context.Background(), owner, repo, "b", "abc", "def") },
	}
	answers := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{name: "a fake GitHub that expects another token", url: func(t *testing.T) string {
			return testenv.StartFakeGitHub(t, "another-token").URL
		}},
		{name: "a server that keeps failing", url: func(t *testing.T) string {
			srv, _ := faultServer(t, slices.Repeat([]fault{{status: 500, body: `{"message":"Server Error"}`}}, 100))
			return srv.URL
		}},
		{name: "a rate limit longer than the client waits", url: func(t *testing.T) string {
			srv, _ := faultServer(t, slices.Repeat([]fault{{status: 429, header: map[string]string{"Retry-After": "3600"}}}, 100))
			return srv.URL
		}},
		{name: "a server that is gone", url: func(t *testing.T) string {
			srv := httptest.NewServer(http.NotFoundHandler())
			srv.Close()
			return srv.URL
		}},
	}
	for _, a := range answers {
		t.Run(a.name, func(t *testing.T) {
			c, _ := newClient(t, a.url(t))
			for name, call := range calls {
				err := call(c)
				if err == nil {
					t.Errorf("%s succeeded, want an error", name)
					continue
				}
				if strings.Contains(err.Error(), testToken) || strings.Contains(fmt.Sprintf("%+v", err), testToken) {
					t.Errorf("%s error contains the token: %v", name, err)
				}
			}
		})
	}
}

func TestGitHubEndpointsAreDerivedFromTheAPIURL(t *testing.T) {
	tests := []struct {
		name        string
		apiURL      string
		wantREST    string
		wantGraphQL string
		wantErr     bool
	}{
		{name: "github.com serves GraphQL beside REST", apiURL: "https://api.github.com", wantREST: "https://api.github.com/", wantGraphQL: "https://api.github.com/graphql"},
		{name: "a trailing slash is fine", apiURL: "https://api.github.com/", wantREST: "https://api.github.com/", wantGraphQL: "https://api.github.com/graphql"},
		{name: "GitHub Enterprise Server serves GraphQL at /api/graphql", apiURL: "https://ghe.example.com/api/v3", wantREST: "https://ghe.example.com/api/v3/", wantGraphQL: "https://ghe.example.com/api/graphql"},
		{name: "GitHub Enterprise Server with a trailing slash and a port", apiURL: "https://ghe.example.com:8443/api/v3/", wantREST: "https://ghe.example.com:8443/api/v3/", wantGraphQL: "https://ghe.example.com:8443/api/graphql"},
		{name: "GitHub Enterprise Cloud with data residency is laid out like github.com", apiURL: "https://api.acme.ghe.com", wantREST: "https://api.acme.ghe.com/", wantGraphQL: "https://api.acme.ghe.com/graphql"},
		{name: "a plain-HTTP test server works", apiURL: "http://127.0.0.1:8080", wantREST: "http://127.0.0.1:8080/", wantGraphQL: "http://127.0.0.1:8080/graphql"},
		{name: "a URL without a scheme is refused", apiURL: "api.github.com", wantErr: true},
		{name: "an empty URL is refused", apiURL: "", wantErr: true},
		{name: "credentials in the URL are refused", apiURL: "https://user:secret@ghe.example.com/api/v3", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rest, graphQL, err := endpoints(tt.apiURL)
			if (err != nil) != tt.wantErr {
				t.Fatalf("endpoints(%q) error = %v, want error %v", tt.apiURL, err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("error repeats the password: %v", err)
			}
			if rest != tt.wantREST || graphQL != tt.wantGraphQL {
				t.Errorf("endpoints(%q) = %q, %q; want %q, %q", tt.apiURL, rest, graphQL, tt.wantREST, tt.wantGraphQL)
			}
		})
	}
}

func TestGitHubClientNeedsAToken(t *testing.T) {
	if _, err := New("https://api.github.com", ""); err == nil {
		t.Error("New without a token succeeded, want an error saying a token is needed")
	}
}
