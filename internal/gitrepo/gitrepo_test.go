package gitrepo_test

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

const repoName = "fleet"

var (
	bot   = gitrepo.Signature{Name: "github-actions[bot]", Email: "41898282+github-actions[bot]@users.noreply.github.com", When: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	human = gitrepo.Signature{Name: "Ada", Email: "ada@example.com", When: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
)

// startFleet starts a Git server with a small Argo CD fleet repository whose
// main branch also holds an executable script and a symbolic link, which
// CreateRepo alone cannot make.
func startFleet(t *testing.T, opts ...testenv.GitServerOption) *testenv.GitServer {
	t.Helper()
	srv := testenv.StartGitServer(t, opts...)
	srv.CreateRepo(t, repoName, map[string]string{
		"README.md":            "# fleet\n",
		"apps/web/app.yaml":    "targetRevision: 1.0.0\n",
		"apps/api/app.yaml":    "targetRevision: 2.0.0\n",
		"apps/api/values.yaml": "replicas: 2\n",
		"scripts/bump.sh":      "#!/bin/sh\necho bump\n",
	})
	dir := srv.Clone(t, repoName)
	srv.GitIn(t, dir, "update-index", "--chmod=+x", "scripts/bump.sh")
	if err := os.Symlink("web/app.yaml", filepath.Join(dir, "apps", "current.yaml")); err != nil {
		t.Fatal(err)
	}
	srv.GitIn(t, dir, "add", "apps/current.yaml")
	srv.GitIn(t, dir, "commit", "--quiet", "-m", "Executable script and a link")
	srv.GitIn(t, dir, "push", "--quiet", "origin", "HEAD:main")
	return srv
}

// checkout is a clone as a workflow would have it.
type checkout struct {
	name string
	opts []testenv.CloneOption
	// detach leaves HEAD detached, as actions/checkout does for pull_request events.
	detach bool
}

var checkouts = []checkout{
	{name: "a full clone on main"},
	{name: "a depth-1 clone", opts: []testenv.CloneOption{testenv.CloneDepth(1)}},
	{name: "a depth-1 clone with a detached HEAD", opts: []testenv.CloneOption{testenv.CloneDepth(1)}, detach: true},
}

func (c checkout) clone(t *testing.T, srv *testenv.GitServer) string {
	t.Helper()
	dir := srv.Clone(t, repoName, c.opts...)
	if c.detach {
		srv.GitIn(t, dir, "checkout", "--quiet", "--detach")
	}
	return dir
}

func open(t *testing.T, dir string, opts ...gitrepo.Option) *gitrepo.Repo {
	t.Helper()
	repo, err := gitrepo.Open(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func head(t *testing.T, repo *gitrepo.Repo) plumbing.Hash {
	t.Helper()
	h, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func commitFiles(t *testing.T, repo *gitrepo.Repo, parent plumbing.Hash, files map[string]string) plumbing.Hash {
	t.Helper()
	b := make(map[string][]byte, len(files))
	for k, v := range files {
		b[k] = []byte(v)
	}
	c, err := repo.CommitFiles(parent, b, "Promote web to 1.1.0", bot, bot)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// serverTip returns the server's branch tip, "" when it does not exist.
func serverTip(t *testing.T, srv *testenv.GitServer, branch string) string {
	t.Helper()
	refs := srv.Git(t, repoName, "for-each-ref", "--format=%(objectname)", "refs/heads/"+branch)
	return refs
}

func TestOpenFindsTheRepositoryFromASubdirectory(t *testing.T) {
	t.Parallel()
	srv := startFleet(t)
	dir := srv.Clone(t, repoName)

	tests := []struct {
		name, sub, file string
		wantPrefix      string
		wantPath        string
	}{
		{name: "the work tree root has an empty prefix", sub: ".", file: "apps/web/app.yaml", wantPrefix: "", wantPath: "apps/web/app.yaml"},
		{name: "a subdirectory's files are addressed from the root", sub: "apps/web", file: "app.yaml", wantPrefix: "apps/web", wantPath: "apps/web/app.yaml"},
		{name: "a path may climb to a sibling directory", sub: "apps/web", file: "../api/values.yaml", wantPrefix: "apps/web", wantPath: "apps/api/values.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := open(t, filepath.Join(dir, tt.sub))
			if repo.Root() != dir {
				t.Errorf("Root() = %q, want %q", repo.Root(), dir)
			}
			if repo.Prefix() != tt.wantPrefix {
				t.Errorf("Prefix() = %q, want %q", repo.Prefix(), tt.wantPrefix)
			}
			got := repo.RelToRoot(tt.file)
			if got != tt.wantPath {
				t.Fatalf("RelToRoot(%q) = %q, want %q", tt.file, got, tt.wantPath)
			}
			if _, err := repo.ReadFile(head(t, repo), got); err != nil {
				t.Errorf("ReadFile(%q): %v", got, err)
			}
		})
	}

	t.Run("a directory outside any repository is an error", func(t *testing.T) {
		if _, err := gitrepo.Open(t.TempDir()); err == nil {
			t.Error("Open succeeded outside a repository")
		}
	})
	t.Run("a remote that does not exist is an error naming it", func(t *testing.T) {
		_, err := gitrepo.Open(dir, gitrepo.WithRemote("upstream"))
		if err == nil || !strings.Contains(err.Error(), `"upstream"`) {
			t.Errorf("Open with a missing remote: %v", err)
		}
	})
}

func TestReadFileReadsCommittedContentNotTheWorkTree(t *testing.T) {
	t.Parallel()
	srv := startFleet(t)
	dir := srv.Clone(t, repoName, testenv.CloneDepth(1))
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("edited, not committed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	repo := open(t, dir)
	tip := head(t, repo)

	tests := []struct {
		name, path string
		want       string
		wantErr    error  // checked with errors.Is
		wantErrMsg string // checked with strings.Contains
	}{
		{name: "a file reads as committed", path: "README.md", want: "# fleet\n"},
		{name: "a nested file reads", path: "apps/api/values.yaml", want: "replicas: 2\n"},
		{name: "a missing file is fs.ErrNotExist", path: "apps/web/missing.yaml", wantErr: fs.ErrNotExist},
		{name: "a file in a missing directory is fs.ErrNotExist", path: "nope/app.yaml", wantErr: fs.ErrNotExist},
		{name: "a directory is not a file", path: "apps/web", wantErrMsg: "directory"},
		{name: "a path escaping the repository is refused", path: "../etc/passwd", wantErrMsg: "inside the repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := repo.ReadFile(tip, tt.path)
			switch {
			case tt.wantErr != nil || tt.wantErrMsg != "":
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.wantErrMsg) {
					t.Errorf("ReadFile(%q) error = %v, want %v %q", tt.path, err, tt.wantErr, tt.wantErrMsg)
				}
			case err != nil:
				t.Errorf("ReadFile(%q): %v", tt.path, err)
			case string(got) != tt.want:
				t.Errorf("ReadFile(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestCommitFilesReplacesExactlyTheGivenFilesAndPushes(t *testing.T) {
	t.Parallel()
	for _, co := range checkouts {
		t.Run("from "+co.name, func(t *testing.T) {
			t.Parallel()
			srv := startFleet(t)
			dir := co.clone(t, srv)
			refsBefore := srv.GitIn(t, dir, "for-each-ref")
			headBefore := srv.GitIn(t, dir, "rev-parse", "HEAD")
			repo := open(t, filepath.Join(dir, "apps"))
			parent := head(t, repo)

			commit := commitFiles(t, repo, parent, map[string]string{
				repo.RelToRoot("web/app.yaml"): "targetRevision: 1.1.0\n",
				"scripts/bump.sh":              "#!/bin/sh\necho bumped\n",
				// Names that sort differently once directories count as
				// "web/": git fsck rejects a tree in the wrong order.
				"apps/web.yaml":    "kind: Application\n",
				"apps/web-x.yaml":  "kind: Application\n",
				"new/dir/app.yaml": "targetRevision: 0.1.0\n",
			})

			// Real git reads the commit from the checkout's object store.
			c := commit.String()
			if got, want := srv.GitIn(t, dir, "diff-tree", "--no-commit-id", "--name-status", "-r", parent.String(), c),
				"A\tapps/web-x.yaml\nA\tapps/web.yaml\nM\tapps/web/app.yaml\nA\tnew/dir/app.yaml\nM\tscripts/bump.sh"; got != want {
				t.Errorf("git diff-tree %s %s:\n%s\nwant:\n%s", parent, c, got, want)
			}
			if got := srv.GitIn(t, dir, "ls-tree", c, "scripts/bump.sh"); !strings.HasPrefix(got, "100755 ") {
				t.Errorf("replaced executable: %s, want mode 100755", got)
			}
			if got := srv.GitIn(t, dir, "ls-tree", c, "apps/current.yaml"); !strings.HasPrefix(got, "120000 ") {
				t.Errorf("untouched symlink: %s, want mode 120000", got)
			}
			if got := srv.GitIn(t, dir, "ls-tree", c, "new/dir/app.yaml"); !strings.HasPrefix(got, "100644 ") {
				t.Errorf("new file: %s, want mode 100644", got)
			}
			if got, want := srv.GitIn(t, dir, "log", "-1", "--format=%an <%ae>|%cn|%aI|%P|%B", c),
				bot.Name+" <"+bot.Email+">|"+bot.Name+"|2025-03-01T10:00:00+00:00|"+parent.String()+"|Promote web to 1.1.0"; got != want {
				t.Errorf("commit:\n%s\nwant:\n%s", got, want)
			}

			// Nothing in the checkout moved.
			if got := srv.GitIn(t, dir, "status", "--porcelain"); got != "" {
				t.Errorf("git status --porcelain after CommitFiles:\n%s", got)
			}
			if got := srv.GitIn(t, dir, "rev-parse", "HEAD"); got != headBefore {
				t.Errorf("HEAD moved from %s to %s", headBefore, got)
			}
			if got := srv.GitIn(t, dir, "for-each-ref"); got != refsBefore {
				t.Errorf("refs changed:\n%s\nwant:\n%s", got, refsBefore)
			}

			if err := repo.Push(context.Background(), "chart-promoter/web-1.1.0", commit, plumbing.ZeroHash); err != nil {
				t.Fatal(err)
			}
			if got := serverTip(t, srv, "chart-promoter/web-1.1.0"); got != c {
				t.Errorf("server branch at %q, want %s", got, c)
			}
			srv.Git(t, repoName, "fsck", "--strict", "--no-progress")
			if got := srv.Git(t, repoName, "show", "chart-promoter/web-1.1.0:apps/web/app.yaml"); got != "targetRevision: 1.1.0" {
				t.Errorf("pushed app.yaml = %q", got)
			}
			if got := srv.GitIn(t, dir, "status", "--porcelain"); got != "" {
				t.Errorf("git status --porcelain after Push:\n%s", got)
			}
		})
	}
}

func TestCommitChangesRemovesFilesAndTheDirectoriesTheyEmpty(t *testing.T) {
	t.Parallel()
	srv := startFleet(t)
	dir := srv.Clone(t, repoName)
	repo := open(t, dir)
	parent := head(t, repo)
	archive := []byte{0x1f, 0x8b, 0x08, 0, 0xff, '\r', '\n', 0}
	commit, err := repo.CommitChanges(parent, map[string][]byte{"apps/api/charts/redis-1.1.0.tgz": archive},
		[]string{"apps/api/values.yaml", "scripts/bump.sh"}, "Replace the archive", bot, bot)
	if err != nil {
		t.Fatal(err)
	}
	c := commit.String()
	if got, want := srv.GitIn(t, dir, "diff-tree", "--no-commit-id", "--name-status", "-r", parent.String(), c),
		"A\tapps/api/charts/redis-1.1.0.tgz\nD\tapps/api/values.yaml\nD\tscripts/bump.sh"; got != want {
		t.Errorf("git diff-tree:\n%s\nwant:\n%s", got, want)
	}
	if got := srv.GitIn(t, dir, "ls-tree", "--name-only", c); strings.Contains(got, "scripts") {
		t.Errorf("the emptied directory scripts/ is still in the tree:\n%s", got)
	}
	if got := srv.GitIn(t, dir, "cat-file", "-s", c+":apps/api/charts/redis-1.1.0.tgz"); got != strconv.Itoa(len(archive)) {
		t.Errorf("the binary blob is %s bytes, want %d", got, len(archive))
	}
	srv.GitIn(t, dir, "fsck", "--strict", "--no-progress")

	for _, bad := range []struct {
		name    string
		files   map[string][]byte
		removed []string
		wantErr string
	}{
		{"a file the parent does not have", nil, []string{"apps/gone.yaml"}, "not a file in the parent commit"},
		{"a directory", nil, []string{"apps/api"}, "not a file in the parent commit"},
		{"a path written and removed at once", map[string][]byte{"README.md": nil}, []string{"README.md"}, "both written and removed"},
	} {
		if _, err := repo.CommitChanges(parent, bad.files, bad.removed, "m", bot, bot); err == nil || !strings.Contains(err.Error(), bad.wantErr) {
			t.Errorf("removing %s: %v, want an error containing %q", bad.name, err, bad.wantErr)
		}
	}
}

func TestCommitFilesRefusesWhatWouldCorruptOrSurprise(t *testing.T) {
	t.Parallel()
	srv := startFleet(t)
	repo := open(t, srv.Clone(t, repoName, testenv.CloneDepth(1)))
	tip := head(t, repo)

	tests := []struct {
		name    string
		parent  plumbing.Hash
		files   map[string][]byte
		author  gitrepo.Signature
		wantErr string
	}{
		{name: "a path climbing out of the repository", files: map[string][]byte{"../x": nil}, wantErr: "inside the repository"},
		{name: "an absolute path", files: map[string][]byte{"/etc/x": nil}, wantErr: "inside the repository"},
		{name: "an unclean path", files: map[string][]byte{"apps//web/app.yaml": nil}, wantErr: "clean"},
		{name: "a file under .git", files: map[string][]byte{".git/config": nil}, wantErr: ".git"},
		{name: "a file where a directory is", files: map[string][]byte{"apps/web": nil}, wantErr: "is a directory"},
		{name: "a file under a file", files: map[string][]byte{"README.md/x": nil}, wantErr: "not a directory"},
		{name: "a symbolic link's content", files: map[string][]byte{"apps/current.yaml": []byte("x")}, wantErr: "symbolic link"},
		{name: "an author with a newline in the name", author: gitrepo.Signature{Name: "a\nb", Email: "a@b"}, wantErr: "newline"},
		{name: "a parent the clone does not have", parent: plumbing.NewHash("0123456789012345678901234567890123456789"), wantErr: "fetch"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			parent, author := tip, bot
			if !tt.parent.IsZero() {
				parent = tt.parent
			}
			if tt.author.Name != "" {
				author = tt.author
			}
			_, err := repo.CommitFiles(parent, tt.files, "msg", author, bot)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CommitFiles error = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestPushHonoursTheLease(t *testing.T) {
	t.Parallel()
	const branch = "chart-promoter/web"
	tests := []struct {
		name string
		// before prepares the server and returns the lease to push with;
		// ours is the commit Push will send, its parent main.
		before    func(t *testing.T, srv *testenv.GitServer, repo *gitrepo.Repo, ours plumbing.Hash) plumbing.Hash
		wantLease bool   // ErrLeaseRejected expected
		wantTip   string // "ours", "absent", or "unchanged" (what before left)
	}{
		{
			name: "a new branch is created when the lease expects it absent",
			before: func(*testing.T, *testenv.GitServer, *gitrepo.Repo, plumbing.Hash) plumbing.Hash {
				return plumbing.ZeroHash
			},
			wantTip: "ours",
		},
		{
			name: "a branch is overwritten when it is still where the lease expects",
			before: func(t *testing.T, srv *testenv.GitServer, _ *gitrepo.Repo, _ plumbing.Hash) plumbing.Hash {
				return plumbing.NewHash(srv.CommitAs(t, repoName, branch, map[string]string{"x": "1"}, "Earlier promotion", bot.Name, bot.Email))
			},
			wantTip: "ours",
		},
		{
			name: "a stale lease is rejected when someone pushed in between",
			before: func(t *testing.T, srv *testenv.GitServer, _ *gitrepo.Repo, _ plumbing.Hash) plumbing.Hash {
				lease := srv.CommitAs(t, repoName, branch, map[string]string{"x": "1"}, "Earlier promotion", bot.Name, bot.Email)
				srv.CommitAs(t, repoName, branch, map[string]string{"x": "2"}, "Fix by hand", human.Name, human.Email)
				return plumbing.NewHash(lease)
			},
			wantLease: true, wantTip: "unchanged",
		},
		{
			name: "creating a branch that already exists is refused",
			before: func(t *testing.T, srv *testenv.GitServer, _ *gitrepo.Repo, _ plumbing.Hash) plumbing.Hash {
				srv.CommitAs(t, repoName, branch, map[string]string{"x": "1"}, "Someone's branch", human.Name, human.Email)
				return plumbing.ZeroHash
			},
			wantLease: true, wantTip: "unchanged",
		},
		{
			name: "creating a branch is refused even when the push would fast-forward it",
			before: func(t *testing.T, srv *testenv.GitServer, _ *gitrepo.Repo, _ plumbing.Hash) plumbing.Hash {
				srv.Git(t, repoName, "branch", branch, "main") // at ours' parent
				return plumbing.ZeroHash
			},
			wantLease: true, wantTip: "unchanged",
		},
		{
			name: "a lease on a branch that was deleted meanwhile is rejected",
			before: func(t *testing.T, srv *testenv.GitServer, _ *gitrepo.Repo, _ plumbing.Hash) plumbing.Hash {
				lease := srv.CommitAs(t, repoName, branch, map[string]string{"x": "1"}, "Earlier promotion", bot.Name, bot.Email)
				srv.Git(t, repoName, "branch", "-D", branch)
				return plumbing.NewHash(lease)
			},
			wantLease: true, wantTip: "absent",
		},
		{
			name: "pushing the commit the branch already has succeeds, so retries are safe",
			before: func(t *testing.T, srv *testenv.GitServer, repo *gitrepo.Repo, ours plumbing.Hash) plumbing.Hash {
				if err := repo.Push(context.Background(), branch, ours, plumbing.ZeroHash); err != nil {
					t.Fatal(err)
				}
				return plumbing.ZeroHash
			},
			wantTip: "ours",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startFleet(t)
			repo := open(t, srv.Clone(t, repoName, testenv.CloneDepth(1)))
			ours := commitFiles(t, repo, head(t, repo), map[string]string{"apps/web/app.yaml": "targetRevision: 1.1.0\n"})
			lease := tt.before(t, srv, repo, ours)
			tipBefore := serverTip(t, srv, branch)

			err := repo.Push(context.Background(), branch, ours, lease)

			if got := errors.Is(err, gitrepo.ErrLeaseRejected); got != tt.wantLease || (err != nil && !tt.wantLease) {
				t.Errorf("Push error = %v, want lease rejected: %v", err, tt.wantLease)
			}
			want := map[string]string{"ours": ours.String(), "absent": "", "unchanged": tipBefore}[tt.wantTip]
			if got := serverTip(t, srv, branch); got != want {
				t.Errorf("server branch at %q, want %s %q", got, tt.wantTip, want)
			}
		})
	}
}

// TestPushLeaseHoldsWhenTheBranchMovesDuringThePush moves the branch inside
// the push itself: just before the server advertises its refs to the push,
// or just after, before the pack arrives, where only receive-pack's
// compare-and-swap can catch it.
func TestPushLeaseHoldsWhenTheBranchMovesDuringThePush(t *testing.T) {
	t.Parallel()
	const branch = "chart-promoter/web"
	tests := []struct {
		name    string
		atStart bool   // the branch exists before the push, and the lease is its tip
		move    string // "commit": a human commit on top of main or the branch; "create-at-parent": create it at main
		// afterAdvertisement moves the branch after the push's ref
		// advertisement instead of before it.
		afterAdvertisement bool
		// wantPushed is the documented race of a create-only push: a
		// branch created at an ancestor of ours before the advertisement
		// is fast-forwarded.
		wantPushed bool
	}{
		{name: "a branch moved after the advertisement is left alone", atStart: true, move: "commit", afterAdvertisement: true},
		{name: "a branch moved before the advertisement is left alone", atStart: true, move: "commit"},
		{name: "a branch created after the advertisement is left alone", move: "commit", afterAdvertisement: true},
		{name: "a branch created at our parent after the advertisement is left alone", move: "create-at-parent", afterAdvertisement: true},
		{name: "a branch created before the advertisement is left alone", move: "commit"},
		{name: "a branch created at our parent before the advertisement is fast-forwarded (the documented race)", move: "create-at-parent", wantPushed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var srv *testenv.GitServer
			var armed atomic.Bool
			var moved atomic.Value
			move := func() {
				switch tt.move {
				case "commit":
					moved.Store(srv.CommitAs(t, repoName, branch, map[string]string{"x": "mid-push"}, "Mid-push", human.Name, human.Email))
				case "create-at-parent":
					srv.Git(t, repoName, "branch", branch, "main")
					moved.Store(srv.Git(t, repoName, "rev-parse", "main"))
				}
			}
			srv = startFleet(t, testenv.WithGitMiddleware(func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					// The push's own ref advertisement, not ls-remote's.
					if r.URL.Query().Get("service") != "git-receive-pack" || !armed.CompareAndSwap(true, false) {
						next.ServeHTTP(w, r)
						return
					}
					if !tt.afterAdvertisement {
						move()
					}
					next.ServeHTTP(w, r)
					if tt.afterAdvertisement {
						move()
					}
				})
			}))
			lease := plumbing.ZeroHash
			if tt.atStart {
				lease = plumbing.NewHash(srv.CommitAs(t, repoName, branch, map[string]string{"x": "1"}, "Earlier promotion", bot.Name, bot.Email))
			}
			repo := open(t, srv.Clone(t, repoName, testenv.CloneDepth(1)))
			ours := commitFiles(t, repo, head(t, repo), map[string]string{"apps/web/app.yaml": "targetRevision: 1.1.0\n"})

			armed.Store(true)
			err := repo.Push(context.Background(), branch, ours, lease)

			if armed.Load() {
				t.Fatal("the push never asked for the receive-pack advertisement")
			}
			got := serverTip(t, srv, branch)
			if tt.wantPushed {
				if err != nil || got != ours.String() {
					t.Errorf("Push = %v, server at %s; want our commit %s", err, got, ours)
				}
				return
			}
			if !errors.Is(err, gitrepo.ErrLeaseRejected) {
				t.Errorf("Push error = %v, want ErrLeaseRejected", err)
			}
			if want := moved.Load().(string); got != want {
				t.Errorf("server branch at %s, want the mid-push commit %s", got, want)
			}
		})
	}
}

func TestDeleteBranchHonoursTheLeaseAsPushDoes(t *testing.T) {
	t.Parallel()
	const branch = "chart-promoter/old"
	tests := []struct {
		name      string
		moveFirst bool
		gone      bool
		wantLease bool
		wantTip   string // "lease", "moved" or ""
	}{
		{name: "a branch still at the lease is deleted", wantTip: ""},
		{name: "a branch someone pushed to is kept", moveFirst: true, wantLease: true, wantTip: "moved"},
		{name: "a branch that is already gone counts as deleted", gone: true, wantTip: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startFleet(t)
			lease := srv.CommitAs(t, repoName, branch, map[string]string{"x": "1"}, "Old promotion", bot.Name, bot.Email)
			var moved string
			if tt.moveFirst {
				moved = srv.CommitAs(t, repoName, branch, map[string]string{"x": "2"}, "Keep this", human.Name, human.Email)
			}
			if tt.gone {
				srv.Git(t, repoName, "branch", "-D", branch)
			}
			repo := open(t, srv.Clone(t, repoName, testenv.CloneDepth(1)))

			err := repo.DeleteBranch(context.Background(), branch, plumbing.NewHash(lease))

			if got := errors.Is(err, gitrepo.ErrLeaseRejected); got != tt.wantLease || (err != nil && !tt.wantLease) {
				t.Errorf("DeleteBranch error = %v, want lease rejected: %v", err, tt.wantLease)
			}
			want := map[string]string{"": "", "moved": moved}[tt.wantTip]
			if got := serverTip(t, srv, branch); got != want {
				t.Errorf("server branch at %q, want %q", got, want)
			}
		})
	}
}

func TestFetchBringsTipsAndParentsIntoAShallowClone(t *testing.T) {
	t.Parallel()
	srv := startFleet(t)
	dir := srv.Clone(t, repoName, testenv.CloneDepth(1))
	srv.GitIn(t, dir, "checkout", "--quiet", "--detach")
	srv.GitIn(t, dir, "update-ref", "refs/remotes/origin/gone", "HEAD") // a stale tracking ref
	// main moves on, and a promotion branch gets a human commit on top.
	mainTip := srv.CommitAs(t, repoName, "main", map[string]string{"README.md": "# fleet v2\n"}, "Docs", human.Name, human.Email)
	promoBase := srv.CommitAs(t, repoName, "chart-promoter/web", map[string]string{"apps/web/app.yaml": "targetRevision: 1.1.0\n"}, "Promote", bot.Name, bot.Email)
	promoTip := srv.CommitAs(t, repoName, "chart-promoter/web", map[string]string{"apps/web/notes": "hi\n"}, "Human touch", human.Name, human.Email)
	repo := open(t, dir)
	ctx := context.Background()

	if err := repo.Fetch(ctx, "main", "chart-promoter/web", "gone", "never-existed"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		branch string
		want   string // "" for absent
	}{
		{branch: "main", want: mainTip},
		{branch: "chart-promoter/web", want: promoTip},
		{branch: "gone"},
		{branch: "never-existed"},
	}
	for _, tt := range tests {
		got, ok, err := repo.Tracking(tt.branch)
		if err != nil || ok != (tt.want != "") || (ok && got.String() != tt.want) {
			t.Errorf("Tracking(%q) = %s, %v, %v; want %q", tt.branch, got, ok, err, tt.want)
		}
	}
	tip, err := repo.Commit(plumbing.NewHash(promoTip))
	if err != nil {
		t.Fatal(err)
	}
	if tip.Author.Name != human.Name || len(tip.Parents) != 1 || tip.Parents[0].String() != promoBase {
		t.Errorf("fetched tip = %+v, want a commit by %s on %s", tip, human.Name, promoBase)
	}
	parent, err := repo.Commit(tip.Parents[0])
	if err != nil {
		t.Fatalf("the tip's parent was not fetched: %v", err)
	}
	if parent.Author.Name != bot.Name || parent.Message != "Promote\n" {
		t.Errorf("parent = %+v", parent)
	}
	if got, err := repo.ReadFile(parent.Hash, "apps/web/app.yaml"); err != nil || string(got) != "targetRevision: 1.1.0\n" {
		t.Errorf("ReadFile at the parent = %q, %v", got, err)
	}

	// Real git agrees: the clone is still shallow, yet sees the tip's parent.
	if got := srv.GitIn(t, dir, "rev-parse", "--is-shallow-repository"); got != "true" {
		t.Errorf("is-shallow-repository = %s after Fetch, want true", got)
	}
	if got := srv.GitIn(t, dir, "log", "--format=%H", "-2", "origin/chart-promoter/web"); got != promoTip+"\n"+promoBase {
		t.Errorf("git log of the fetched branch:\n%s\nwant %s and its parent %s", got, promoTip, promoBase)
	}
	if got := srv.GitIn(t, dir, "status", "--porcelain"); got != "" {
		t.Errorf("git status --porcelain after Fetch:\n%s", got)
	}

	t.Run("a commit on the fetched main pushes from the shallow clone", func(t *testing.T) {
		c := commitFiles(t, repo, plumbing.NewHash(mainTip), map[string]string{"apps/web/app.yaml": "targetRevision: 1.2.0\n"})
		if err := repo.Push(ctx, "chart-promoter/web-1.2.0", c, plumbing.ZeroHash); err != nil {
			t.Fatal(err)
		}
		srv.Git(t, repoName, "fsck", "--strict", "--no-progress")
		if got := srv.Git(t, repoName, "rev-parse", "chart-promoter/web-1.2.0^"); got != mainTip {
			t.Errorf("pushed commit's parent = %s, want main %s", got, mainTip)
		}
	})

	t.Run("fetching again changes nothing", func(t *testing.T) {
		if err := repo.Fetch(ctx, "main", "chart-promoter/web"); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := repo.Tracking("main"); got.String() != mainTip {
			t.Errorf("main after a second fetch = %s, want %s", got, mainTip)
		}
	})
}

// go-git records the new shallow boundary of a deepening fetch but ignores
// the server's "unshallow" for the old one; left so, real git would treat the
// old tip as a root commit.
func TestFetchDeepensAShallowTipSoRealGitSeesItsParent(t *testing.T) {
	t.Parallel()
	srv := startFleet(t)
	dir := srv.Clone(t, repoName, testenv.CloneDepth(1))
	tip := srv.GitIn(t, dir, "rev-parse", "HEAD")
	parent := srv.Git(t, repoName, "rev-parse", "main^")

	if err := open(t, dir).Fetch(context.Background(), "main"); err != nil {
		t.Fatal(err)
	}

	if got := srv.GitIn(t, dir, "log", "--format=%H", "origin/main"); got != tip+"\n"+parent {
		t.Errorf("git log origin/main after Fetch:\n%s\nwant the tip %s and its parent %s", got, tip, parent)
	}
	srv.GitIn(t, dir, "fsck", "--no-progress", "--connectivity-only")
}

func TestFetchLeavesAFullCloneFull(t *testing.T) {
	t.Parallel()
	srv := startFleet(t)
	dir := srv.Clone(t, repoName)
	tip := srv.CommitAs(t, repoName, "main", map[string]string{"README.md": "v2\n"}, "Docs", human.Name, human.Email)
	repo := open(t, dir)

	if err := repo.Fetch(context.Background(), "main"); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := repo.Tracking("main"); err != nil || !ok || got.String() != tip {
		t.Errorf("Tracking(main) = %s, %v, %v; want %s", got, ok, err, tip)
	}
	if got := srv.GitIn(t, dir, "rev-parse", "--is-shallow-repository"); got != "false" {
		t.Errorf("is-shallow-repository = %s after Fetch, want false", got)
	}
	if got := srv.GitIn(t, dir, "rev-list", "--count", "origin/main"); got != "3" {
		t.Errorf("commits on origin/main = %s, want all 3", got)
	}
}

func TestRemoteBranchesSeeTheGitServerNow(t *testing.T) {
	t.Parallel()
	srv := startFleet(t)
	repo := open(t, srv.Clone(t, repoName, testenv.CloneDepth(1)))
	a := srv.CommitAs(t, repoName, "chart-promoter/a", nil, "a", bot.Name, bot.Email)
	b := srv.CommitAs(t, repoName, "chart-promoter/b", nil, "b", bot.Name, bot.Email)
	srv.CommitAs(t, repoName, "feature", nil, "f", human.Name, human.Email)
	ctx := context.Background()

	got, err := repo.RemoteBranches(ctx, "chart-promoter/")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["chart-promoter/a"].String() != a || got["chart-promoter/b"].String() != b {
		t.Errorf("RemoteBranches = %v, want a=%s b=%s", got, a, b)
	}
	if tip, ok, err := repo.RemoteBranch(ctx, "chart-promoter/a"); err != nil || !ok || tip.String() != a {
		t.Errorf("RemoteBranch(a) = %s, %v, %v; want %s", tip, ok, err, a)
	}
	// A prefix of an existing name is not that branch.
	if tip, ok, err := repo.RemoteBranch(ctx, "chart-promoter"); err != nil || ok || !tip.IsZero() {
		t.Errorf("RemoteBranch(chart-promoter) = %s, %v, %v; want absent", tip, ok, err)
	}
	if _, _, err := repo.RemoteBranch(ctx, "bad:name"); err == nil {
		t.Error("RemoteBranch accepted an invalid branch name")
	}
}

func TestGitTokenAuthWorksAndErrorsNeverShowTheToken(t *testing.T) {
	t.Parallel()
	const token = "ghs_s3cretTokenValue0123456789"
	srv := startFleet(t, testenv.WithGitBasicAuth("x-access-token", token))
	ctx := context.Background()

	tests := []struct {
		name string
		opts []gitrepo.Option
		// remoteURL replaces origin's URL; "%s" is the server's base URL with userinfo.
		remoteURL string
		wantErr   error
		secret    string // must not appear in any error
	}{
		{name: "the right token pushes", opts: []gitrepo.Option{gitrepo.WithAuth(gitrepo.TokenAuth(token))}},
		{name: "a wrong token is refused without showing it", opts: []gitrepo.Option{gitrepo.WithAuth(gitrepo.TokenAuth("ghs_wrongTokenValue"))}, wantErr: transport.ErrAuthenticationRequired, secret: "ghs_wrongTokenValue"},
		{name: "no token is refused, since go-git ignores the checkout's extraheader", wantErr: transport.ErrAuthenticationRequired},
		{name: "a token in the remote URL works", remoteURL: "x-access-token:" + token + "@"},
		{name: "a wrong token in the remote URL is refused without showing it", remoteURL: "x-access-token:ghs_wrongInURL@", wantErr: transport.ErrAuthenticationRequired, secret: "ghs_wrongInURL"},
		{name: "a wrong token as the URL's user name is refused without showing it", remoteURL: "ghs_wrongAsUser@", wantErr: transport.ErrAuthenticationRequired, secret: "ghs_wrongAsUser"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := srv.Clone(t, repoName, testenv.CloneDepth(1))
			if tt.remoteURL != "" {
				u := strings.Replace(srv.URL, "http://", "http://"+tt.remoteURL, 1) + "/" + repoName + ".git"
				srv.GitIn(t, dir, "remote", "set-url", "origin", u)
			}
			repo := open(t, dir, tt.opts...)
			c := commitFiles(t, repo, head(t, repo), map[string]string{"apps/web/app.yaml": "targetRevision: 9.9.9\n"})
			branch := "chart-promoter/" + strings.ReplaceAll(tt.name, " ", "-")
			branch = strings.NewReplacer(",", "", "'", "").Replace(branch)

			errs := []error{repo.Fetch(ctx, "main")}
			_, _, err := repo.RemoteBranch(ctx, "main")
			errs = append(errs, err, repo.Push(ctx, branch, c, plumbing.ZeroHash))

			for i, err := range errs {
				if tt.wantErr == nil && err != nil {
					t.Errorf("operation %d: %v", i, err)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("operation %d error = %v, want %v", i, err, tt.wantErr)
				}
				if err != nil && tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
					t.Errorf("operation %d error shows the token: %v", i, err)
				}
				if err != nil && strings.Contains(err.Error(), token) {
					t.Errorf("operation %d error shows the server's token: %v", i, err)
				}
			}
			wantTip := ""
			if tt.wantErr == nil {
				wantTip = c.String()
			}
			if got := serverTip(t, srv, branch); got != wantTip {
				t.Errorf("server branch at %q, want %q", got, wantTip)
			}
		})
	}
}

func TestRemoteURLOfTheRepoHasNoCredentials(t *testing.T) {
	t.Parallel()
	srv := startFleet(t)
	dir := srv.Clone(t, repoName, testenv.CloneDepth(1))

	tests := []struct {
		name, url, want string
	}{
		{name: "user and token are removed from an https URL", url: "https://x-access-token:ghs_abc@github.com/acme/fleet.git", want: "https://github.com/acme/fleet.git"},
		{name: "a token used as the user name is removed", url: "https://ghp_abc@github.com/acme/fleet", want: "https://github.com/acme/fleet"},
		{name: "a URL without credentials is kept", url: "https://github.com/acme/fleet.git", want: "https://github.com/acme/fleet.git"},
		{name: "an ssh URL keeps its account name", url: "ssh://git@github.com/acme/fleet.git", want: "ssh://git@github.com/acme/fleet.git"},
		{name: "an scp-like address is kept", url: "git@github.com:acme/fleet.git", want: "git@github.com:acme/fleet.git"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.GitIn(t, dir, "remote", "set-url", "origin", tt.url)
			got, err := open(t, dir).RemoteURL()
			if err != nil || got != tt.want {
				t.Errorf("RemoteURL() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestCommitReadsWhatCommitFilesWrote(t *testing.T) {
	t.Parallel()
	srv := startFleet(t)
	repo := open(t, srv.Clone(t, repoName, testenv.CloneDepth(1)))
	parent := head(t, repo)
	h, err := repo.CommitFiles(parent, map[string][]byte{"README.md": []byte("x\n")}, "Subject\n\nBody", human, bot)
	if err != nil {
		t.Fatal(err)
	}

	c, err := repo.Commit(h)
	if err != nil {
		t.Fatal(err)
	}
	if c.Hash != h || c.Message != "Subject\n\nBody\n" || !slices.Equal(c.Parents, []plumbing.Hash{parent}) {
		t.Errorf("Commit = %+v", c)
	}
	if c.Author.Name != human.Name || !c.Author.When.Equal(human.When) || c.Committer.Email != bot.Email || !c.Committer.When.Equal(bot.When) {
		t.Errorf("signatures = %+v / %+v", c.Author, c.Committer)
	}
	parentCommit, err := repo.Commit(parent)
	if err != nil {
		t.Fatal(err)
	}
	if c.Tree == parentCommit.Tree {
		t.Error("the tree did not change")
	}
	same, err := repo.CommitFiles(parent, map[string][]byte{"README.md": []byte("# fleet\n")}, "No-op", bot, bot)
	if err != nil {
		t.Fatal(err)
	}
	if sc, _ := repo.Commit(same); sc.Tree != parentCommit.Tree {
		t.Error("rewriting a file with its own content changed the tree")
	}
}
