package testenv_test

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

func TestGitServerClonesAndAcceptsPushesFromRealGit(t *testing.T) {
	t.Parallel()
	srv := testenv.StartGitServer(t)
	url := srv.CreateRepo(t, "fleet", map[string]string{
		"README.md":          "fleet\n",
		"apps/web/app.yaml":  "targetRevision: 1.0.0\n",
		"apps/api/app.yaml":  "targetRevision: 2.0.0\n",
		"apps/api/notes.txt": "",
	})
	if want := srv.URL + "/fleet.git"; url != want {
		t.Errorf("CreateRepo returned %q, want %q", url, want)
	}
	if got := srv.Git(t, "fleet", "ls-tree", "-r", "--name-only", "main"); got != "README.md\napps/api/app.yaml\napps/api/notes.txt\napps/web/app.yaml" {
		t.Errorf("initial tree:\n%s", got)
	}

	dir := srv.Clone(t, "fleet")
	if got := readFile(t, filepath.Join(dir, "apps/web/app.yaml")); got != "targetRevision: 1.0.0\n" {
		t.Errorf("cloned file = %q", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "apps/web/app.yaml"), []byte("targetRevision: 1.1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv.GitIn(t, dir, "commit", "--quiet", "--all", "-m", "Promote web")
	srv.GitIn(t, dir, "push", "--quiet", "origin", "HEAD:refs/heads/promote")

	if got, want := srv.Git(t, "fleet", "rev-parse", "refs/heads/promote"), srv.GitIn(t, dir, "rev-parse", "HEAD"); got != want {
		t.Errorf("server has promote at %s, pushed %s", got, want)
	}
	if got := srv.Git(t, "fleet", "show", "refs/heads/promote:apps/web/app.yaml"); got != "targetRevision: 1.1.0" {
		t.Errorf("pushed file = %q", got)
	}
}

func TestGitServerShallowCloneHasOnlyTheTipCommit(t *testing.T) {
	t.Parallel()
	srv := testenv.StartGitServer(t)
	srv.CreateRepo(t, "fleet", map[string]string{"a.txt": "1\n"})
	srv.CommitAs(t, "fleet", "main", map[string]string{"a.txt": "2\n"}, "Second", "Ada", "ada@example.com")

	dir := srv.Clone(t, "fleet", testenv.CloneDepth(1))
	if got := srv.GitIn(t, dir, "rev-parse", "--is-shallow-repository"); got != "true" {
		t.Errorf("is-shallow-repository = %s, want true", got)
	}
	if got := srv.GitIn(t, dir, "rev-list", "--count", "HEAD"); got != "1" {
		t.Errorf("commits in shallow clone = %s, want 1", got)
	}
}

func TestCommitAsBranchesOffMainWithTheGivenIdentity(t *testing.T) {
	t.Parallel()
	srv := testenv.StartGitServer(t)
	srv.CreateRepo(t, "fleet", map[string]string{"a.txt": "1\n", "b.txt": "b\n"})
	main := srv.Git(t, "fleet", "rev-parse", "refs/heads/main")

	first := srv.CommitAs(t, "fleet", "feature", map[string]string{"a.txt": "2\n"}, "Change a", "Ada", "ada@example.com")
	second := srv.CommitAs(t, "fleet", "feature", map[string]string{"c/d.txt": "new\n"}, "Add d", "Bob", "bob@example.com")

	if got := srv.Git(t, "fleet", "rev-parse", "refs/heads/feature"); got != second {
		t.Errorf("feature = %s, want the second commit %s", got, second)
	}
	if got := srv.Git(t, "fleet", "rev-parse", first+"^"); got != main {
		t.Errorf("parent of the first commit = %s, want main %s", got, main)
	}
	if got := srv.Git(t, "fleet", "log", "-1", "--format=%an <%ae> / %cn <%ce> / %s", second); got != "Bob <bob@example.com> / Bob <bob@example.com> / Add d" {
		t.Errorf("second commit = %q", got)
	}
	if got := srv.Git(t, "fleet", "ls-tree", "-r", "--name-only", "feature"); got != "a.txt\nb.txt\nc/d.txt" {
		t.Errorf("feature tree:\n%s", got)
	}
	if got := srv.Git(t, "fleet", "rev-parse", "refs/heads/main"); got != main {
		t.Errorf("main moved from %s to %s", main, got)
	}
}

func TestGitBasicAuthRejectsEveryoneWithoutTheCredentials(t *testing.T) {
	t.Parallel()
	srv := testenv.StartGitServer(t, testenv.WithGitBasicAuth("x-access-token", "s3cret"))
	srv.CreateRepo(t, "fleet", map[string]string{"a.txt": "1\n"})
	infoRefs := srv.URL + "/fleet.git/info/refs?service=git-receive-pack"

	tests := []struct {
		name           string
		user, password string
		anonymous      bool
		wantStatus     int
	}{
		{name: "an anonymous request gets a Basic challenge", anonymous: true, wantStatus: http.StatusUnauthorized},
		{name: "a wrong password is refused", user: "x-access-token", password: "wrong", wantStatus: http.StatusUnauthorized},
		{name: "a wrong user is refused", user: "someone", password: "s3cret", wantStatus: http.StatusUnauthorized},
		{name: "the right credentials reach git", user: "x-access-token", password: "s3cret", wantStatus: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, infoRefs, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.anonymous {
				req.SetBasicAuth(tt.user, tt.password)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("WWW-Authenticate = %q, want a Basic challenge", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}

	t.Run("an anonymous git push fails and changes nothing", func(t *testing.T) {
		dir := srv.Clone(t, "fleet") // with credentials, which the clone does not keep
		srv.GitIn(t, dir, "commit", "--quiet", "--allow-empty", "-m", "Anonymous")
		out, err := anonymousGit(t, dir, "push", "origin", "HEAD:refs/heads/anon")
		if err == nil {
			t.Fatalf("anonymous push succeeded:\n%s", out)
		}
		if !strings.Contains(out, "401") && !strings.Contains(out, "Authentication failed") && !strings.Contains(out, "could not read Username") {
			t.Errorf("anonymous push failed for another reason than auth:\n%s", out)
		}
		if refs := srv.Git(t, "fleet", "for-each-ref", "--format=%(refname)"); refs != "refs/heads/main" {
			t.Errorf("server refs after refused push:\n%s", refs)
		}
	})
}

func TestGitMiddlewareSeesEveryRequestAndCanFailThem(t *testing.T) {
	t.Parallel()
	var seen, failPushes atomic.Int32
	srv := testenv.StartGitServer(t, testenv.WithGitMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen.Add(1)
			if failPushes.Load() == 1 && strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
				http.Error(w, "injected fault", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	}))
	srv.CreateRepo(t, "fleet", map[string]string{"a.txt": "1\n"})
	dir := srv.Clone(t, "fleet")
	if seen.Load() == 0 || int(seen.Load()) != srv.Requests.Count(nil) {
		t.Errorf("middleware saw %d requests, request log has %d", seen.Load(), srv.Requests.Count(nil))
	}

	failPushes.Store(1)
	srv.GitIn(t, dir, "commit", "--quiet", "--allow-empty", "-m", "Doomed")
	if out, err := anonymousGit(t, dir, "push", "origin", "HEAD:refs/heads/doomed"); err == nil {
		t.Fatalf("push through a failing middleware succeeded:\n%s", out)
	}
	if n := srv.Requests.Count(func(method, path string) bool {
		return method == http.MethodPost && strings.HasSuffix(path, "/git-receive-pack")
	}); n != 1 {
		t.Errorf("logged %d receive-pack POSTs, want the one that was failed", n)
	}
}

// anonymousGit runs git with no credentials and no prompt, and returns its
// combined output.
func anonymousGit(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "LC_ALL=C"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
