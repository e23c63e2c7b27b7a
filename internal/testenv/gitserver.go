package testenv

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// GitServer is a real Git server for tests: git's own http-backend, run as a
// CGI program behind an httptest server on 127.0.0.1, serving bare
// repositories over the smart HTTP protocol that GitHub speaks. Fakes of the
// Git protocol get shallow negotiation, ref advertisement and receive-pack's
// compare-and-swap wrong; git http-backend cannot.
type GitServer struct {
	URL      string      // base URL without trailing slash, e.g. "http://127.0.0.1:PORT"
	Requests *RequestLog // every HTTP request the server received, rejected ones included

	root           string   // GIT_PROJECT_ROOT: the bare repositories live here
	env            []string // environment of every git command the server runs
	user, password string   // empty unless WithGitBasicAuth was given

	mu   sync.Mutex
	tick int // commits made by the server so far, to give each a later date
}

// GitServerOption configures StartGitServer.
type GitServerOption func(*gitServerConfig)

type gitServerConfig struct {
	user, password string
	middlewares    []func(http.Handler) http.Handler
}

// WithGitBasicAuth makes the server answer every request without exactly these basic-auth credentials with 401 and a Basic challenge, as GitHub does for a missing or wrong token.
func WithGitBasicAuth(user, password string) GitServerOption {
	return func(c *gitServerConfig) { c.user, c.password = user, password }
}

// WithGitMiddleware wraps the server's handler, for example to inject faults; the first middleware given is the outermost, inside the request log.
func WithGitMiddleware(mw func(http.Handler) http.Handler) GitServerOption {
	return func(c *gitServerConfig) { c.middlewares = append(c.middlewares, mw) }
}

// gitEpoch is the date of the first commit the server makes; later commits
// are one minute apart so that dates are both reproducible and ordered.
var gitEpoch = time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)

// StartGitServer starts git http-backend behind an httptest server, stopped by tb.Cleanup; it skips the test when git is not installed.
func StartGitServer(tb testing.TB, opts ...GitServerOption) *GitServer {
	tb.Helper()
	var cfg gitServerConfig
	for _, o := range opts {
		o(&cfg)
	}
	gitPath, err := exec.LookPath("git")
	if err != nil {
		tb.Skipf("testenv: git is not installed: %v", err)
	}
	home, root := tb.TempDir(), tb.TempDir()
	s := &GitServer{
		Requests: &RequestLog{},
		root:     root,
		user:     cfg.user,
		password: cfg.password,
		// Built from scratch rather than inherited so that a developer's
		// ~/.gitconfig, /etc/gitconfig or a GIT_DIR exported by a hook
		// cannot change what the tests see.
		env: []string{
			"PATH=" + os.Getenv("PATH"),
			"HOME=" + home,
			"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_TERMINAL_PROMPT=0", // a 401 must fail, not wait for a password
			"GIT_AUTHOR_NAME=testenv",
			"GIT_AUTHOR_EMAIL=testenv@example.com",
			"GIT_COMMITTER_NAME=testenv",
			"GIT_COMMITTER_EMAIL=testenv@example.com",
			"LC_ALL=C",
		},
	}
	execPath, err := s.command("", "--exec-path").Output()
	if err != nil {
		tb.Fatalf("testenv: %s --exec-path: %v", gitPath, err)
	}
	backend := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Dir:  root,
		Env: append(s.env,
			"GIT_PROJECT_ROOT="+root,
			"GIT_HTTP_EXPORT_ALL=1",
		),
		Logger: log.New(io.Discard, "", 0),
		Stderr: io.Discard, // http-backend reports refused pushes there too; the client sees them anyway
	}
	var handler http.Handler = backend
	if cfg.user != "" || cfg.password != "" {
		handler = basicAuth(cfg.user, cfg.password, handler)
	}
	for i := len(cfg.middlewares) - 1; i >= 0; i-- {
		handler = cfg.middlewares[i](handler)
	}
	srv := httptest.NewUnstartedServer(s.Requests.wrap(handler))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	tb.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// basicAuth stands in for the forge's authentication: git http-backend has
// none of its own and leaves it to the web server in front of it.
func basicAuth(user, password string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="testenv-git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// RepoURL returns the clone URL of repository name, without credentials.
func (s *GitServer) RepoURL(name string) string {
	return s.URL + "/" + name + ".git"
}

// CreateRepo creates the bare repository NAME.git whose main branch holds one commit with files (paths with slashes make directories), accepts pushes over HTTP, and returns its clone URL.
func (s *GitServer) CreateRepo(tb testing.TB, name string, files map[string]string) string {
	tb.Helper()
	bare := s.barePath(name)
	s.run(tb, "", "init", "--quiet", "--bare", "--initial-branch=main", bare)
	// http-backend refuses anonymous pushes unless told otherwise;
	// WithGitBasicAuth is what guards the repository here.
	s.run(tb, "", "--git-dir", bare, "config", "http.receivepack", "true")

	// Stage and commit straight into the bare repository from a scratch
	// work tree with its own index file, so no clone is needed.
	work := tb.TempDir()
	writeFiles(tb, work, files)
	env := []string{"GIT_INDEX_FILE=" + filepath.Join(tb.TempDir(), "index")}
	s.runEnv(tb, "", env, "--git-dir", bare, "--work-tree", work, "add", "--all")
	s.runEnv(tb, "", append(env, s.dates()...), "--git-dir", bare, "--work-tree", work,
		"commit", "--quiet", "--allow-empty", "-m", "Initial commit")
	return s.RepoURL(name)
}

// CloneOption configures Clone.
type CloneOption func(*cloneConfig)

type cloneConfig struct {
	depth  int
	branch string
}

// CloneDepth makes Clone shallow, as actions/checkout does with its default fetch-depth of 1.
func CloneDepth(depth int) CloneOption {
	return func(c *cloneConfig) { c.depth = depth }
}

// CloneBranch makes Clone check out branch instead of the remote's default branch.
func CloneBranch(branch string) CloneOption {
	return func(c *cloneConfig) { c.branch = branch }
}

// Clone clones repository name over HTTP with real git into a new temporary directory and returns the work tree; credentials, if the server wants any, are passed per command and never stored in the clone, as actions/checkout does.
func (s *GitServer) Clone(tb testing.TB, name string, opts ...CloneOption) string {
	tb.Helper()
	var cfg cloneConfig
	for _, o := range opts {
		o(&cfg)
	}
	dir := filepath.Join(tb.TempDir(), name)
	args := []string{"clone", "--quiet"}
	if cfg.depth > 0 {
		// --depth implies --single-branch, like actions/checkout's fetch.
		args = append(args, "--depth", fmt.Sprint(cfg.depth))
	}
	if cfg.branch != "" {
		args = append(args, "--branch", cfg.branch)
	}
	s.GitIn(tb, "", append(args, s.RepoURL(name), dir)...)
	return dir
}

// GitIn runs real git in work tree dir (or the current directory if dir is empty) with the server's environment and credentials, returning trimmed stdout; it fails the test on error.
func (s *GitServer) GitIn(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	// Like actions/checkout, send the credentials as an extra header for
	// this one command only. go-git reads no such setting, so code under
	// test must bring its own credentials, as it must in a workflow.
	if s.user != "" || s.password != "" {
		header := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(s.user+":"+s.password))
		args = append([]string{"-c", "http.extraHeader=" + header}, args...)
	}
	return s.runEnv(tb, dir, s.dates(), args...)
}

// Git runs real git against the bare repository NAME.git, e.g. Git(t, "fleet", "rev-parse", "refs/heads/main"), returning trimmed stdout; it fails the test on error.
func (s *GitServer) Git(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	return s.run(tb, "", append([]string{"--git-dir", s.barePath(name)}, args...)...)
}

// CommitAs pushes a commit by someone other than the code under test onto branch of repository name (branching off main if branch does not exist yet), writing files over the branch's tree, and returns the new commit's SHA.
func (s *GitServer) CommitAs(tb testing.TB, name, branch string, files map[string]string, message, authorName, authorEmail string) string {
	tb.Helper()
	start := branch
	if _, err := s.command("", "--git-dir", s.barePath(name), "rev-parse", "--verify", "--quiet", "refs/heads/"+branch).Output(); err != nil {
		start = "main"
	}
	dir := s.Clone(tb, name, CloneDepth(1), CloneBranch(start))
	writeFiles(tb, dir, files)
	s.GitIn(tb, dir, "add", "--all")
	// The environment outranks git config, so the identity goes there.
	who := []string{
		"GIT_AUTHOR_NAME=" + authorName, "GIT_AUTHOR_EMAIL=" + authorEmail,
		"GIT_COMMITTER_NAME=" + authorName, "GIT_COMMITTER_EMAIL=" + authorEmail,
	}
	s.runEnv(tb, dir, append(s.dates(), who...), "commit", "--quiet", "--allow-empty", "-m", message)
	s.GitIn(tb, dir, "push", "--quiet", "origin", "HEAD:refs/heads/"+branch)
	return s.GitIn(tb, dir, "rev-parse", "HEAD")
}

func (s *GitServer) barePath(name string) string {
	return filepath.Join(s.root, name+".git")
}

// dates returns author and committer dates one minute after the previous
// commit's.
func (s *GitServer) dates() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	when := gitEpoch.Add(time.Duration(s.tick) * time.Minute).Format(time.RFC3339)
	s.tick++
	return []string{"GIT_AUTHOR_DATE=" + when, "GIT_COMMITTER_DATE=" + when}
}

func (s *GitServer) command(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = s.env
	return cmd
}

func (s *GitServer) run(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	return s.runEnv(tb, dir, nil, args...)
}

func (s *GitServer) runEnv(tb testing.TB, dir string, env []string, args ...string) string {
	tb.Helper()
	cmd := s.command(dir, args...)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("testenv: git %s: %v\n%s", redactArgs(args), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// redactArgs hides the Authorization header in failure messages, so test
// logs never show credentials even when they are test-only.
func redactArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.HasPrefix(a, "http.extraHeader=") {
			a = "http.extraHeader=Authorization: ***"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

func writeFiles(tb testing.TB, dir string, files map[string]string) {
	tb.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatalf("testenv: %v", err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			tb.Fatalf("testenv: %v", err)
		}
	}
}
