package gitrepo_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// redirectToken guards the origin in the redirect tests; it must never reach another host.
const redirectToken = "ghs_redirectTestToken0123456789abcdefghij"

// seen records every request a server was sent, with its Authorization header.
type seen struct {
	mu       sync.Mutex
	requests []string
	auth     []string
}

func (s *seen) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.RequestURI())
		if a := r.Header.Get("Authorization"); a != "" {
			s.auth = append(s.auth, a)
		}
		s.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (s *seen) all() (requests, auth []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...), append([]string(nil), s.auth...)
}

// redirecting wraps a Git server: once armed, requests whose path starts with from and
// which match pick are answered with 302 to target (a base URL) and the same path,
// rewritten to to.
type redirecting struct {
	armed    atomic.Bool
	from, to string
	target   atomic.Value // string: the base URL to redirect to
	pick     func(r *http.Request) bool
}

func (d *redirecting) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.armed.Load() && strings.HasPrefix(r.URL.Path, d.from) && (d.pick == nil || d.pick(r)) {
			base, _ := d.target.Load().(string)
			http.Redirect(w, r, base+d.to+strings.TrimPrefix(r.URL.RequestURI(), d.from), http.StatusFound)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func TestGitRedirectsToAnotherHostAreRefusedAndReachNothingThere(t *testing.T) {
	t.Parallel()
	receivePack := func(r *http.Request) bool {
		return strings.HasSuffix(r.URL.Path, "/git-receive-pack") || r.URL.Query().Get("service") == "git-receive-pack"
	}
	for _, tc := range []struct {
		about string
		pick  func(r *http.Request) bool
	}{
		{about: "every request of the repository is redirected"},
		{about: "only the push is redirected", pick: receivePack},
	} {
		t.Run(tc.about, func(t *testing.T) {
			t.Parallel()
			// The other host is a working, writable Git server holding a repository of the
			// same name: if the redirect were followed, fetches would succeed from it and
			// pushes land on it. Only refusing keeps the promotion away from it.
			var elsewhere seen
			other := testenv.StartGitServer(t, testenv.WithGitMiddleware(elsewhere.middleware))
			other.CreateRepo(t, repoName, map[string]string{"README.md": "# not the fleet\n"})

			d := &redirecting{from: "/" + repoName + ".git/", to: "/" + repoName + ".git/", pick: tc.pick}
			d.target.Store(other.URL)
			origin := startFleet(t, testenv.WithGitMiddleware(d.middleware), testenv.WithGitBasicAuth("x-access-token", redirectToken))
			dir := origin.Clone(t, repoName, testenv.CloneDepth(1))
			repo := open(t, dir, gitrepo.WithAuth(gitrepo.TokenAuth(redirectToken)))
			c := commitFiles(t, repo, head(t, repo), map[string]string{"apps/web/app.yaml": "targetRevision: 1.1.0\n"})
			ctx := context.Background()

			d.armed.Store(true)
			otherHost := strings.TrimPrefix(other.URL, "http://")
			var errs []error
			if tc.pick == nil {
				_, _, err := repo.RemoteBranch(ctx, "main")
				errs = append(errs, err, repo.Fetch(ctx, "main"))
			}
			errs = append(errs, repo.Push(ctx, "chart-promoter/redirected", c, plumbing.ZeroHash))
			for i, err := range errs {
				if err == nil {
					t.Errorf("operation %d succeeded; want it refused because the remote redirects to %s", i, otherHost)
					continue
				}
				msg := err.Error()
				t.Logf("operation %d: %v", i, err)
				if !strings.Contains(msg, "redirect") || !strings.Contains(msg, otherHost) {
					t.Errorf("operation %d: %v; want an error saying it refused a redirect to %s", i, err, otherHost)
				}
				if strings.Contains(msg, redirectToken) {
					t.Errorf("operation %d error shows the token: %v", i, err)
				}
			}
			requests, auth := elsewhere.all()
			if len(requests) != 0 || len(auth) != 0 {
				t.Errorf("the other host was sent %q with Authorization %q; want nothing", requests, auth)
			}
			if got := other.Git(t, repoName, "for-each-ref", "--format=%(refname)", "refs/heads/chart-promoter/"); got != "" {
				t.Errorf("the other host gained %s", got)
			}
			if got := serverTip(t, origin, "chart-promoter/redirected"); got != "" {
				t.Errorf("the origin gained the branch at %s", got)
			}
		})
	}
}

func TestGitRedirectsWithinTheRemotesOwnHostAreFollowedWithCredentials(t *testing.T) {
	t.Parallel()
	// A renamed repository: the old path answers with a redirect to the new one on the
	// same host, as GitHub does.
	d := &redirecting{from: "/old-fleet.git/", to: "/" + repoName + ".git/"}
	d.target.Store("")
	var log seen
	origin := startFleet(t, testenv.WithGitMiddleware(log.middleware), testenv.WithGitMiddleware(d.middleware),
		testenv.WithGitBasicAuth("x-access-token", redirectToken))
	dir := origin.Clone(t, repoName, testenv.CloneDepth(1))
	origin.GitIn(t, dir, "remote", "set-url", "origin", origin.URL+"/old-fleet.git")
	d.armed.Store(true)

	repo := open(t, dir, gitrepo.WithAuth(gitrepo.TokenAuth(redirectToken)))
	ctx := context.Background()
	if err := repo.Fetch(ctx, "main"); err != nil {
		t.Fatalf("fetch through a same-host redirect: %v", err)
	}
	c := commitFiles(t, repo, head(t, repo), map[string]string{"apps/web/app.yaml": "targetRevision: 1.1.0\n"})
	if err := repo.Push(ctx, "chart-promoter/renamed", c, plumbing.ZeroHash); err != nil {
		t.Fatalf("push through a same-host redirect: %v", err)
	}
	if got := serverTip(t, origin, "chart-promoter/renamed"); got != c.String() {
		t.Errorf("the branch is at %q, want %s", got, c)
	}
	requests, auth := log.all()
	redirected := 0
	for _, r := range requests {
		if strings.Contains(r, "/old-fleet.git/") {
			redirected++
		}
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+redirectToken))
	if redirected == 0 || len(auth) != len(requests) {
		t.Errorf("requests %q, %d with Authorization; want the old path redirected and every request authenticated", requests, len(auth))
	}
	for _, a := range auth {
		if a != want {
			t.Errorf("Authorization %q, want the token's", a)
		}
	}
}
