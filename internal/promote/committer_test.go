package promote

import (
	"errors"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/chart-promoter/chart-promoter/internal/github"
	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// Both committers make a commit on the base and move the branch with a lease, and both
// say "the branch moved" the same way: a *LeaseError, whatever Git or GitHub answered.
func TestEachCommitterMapsALostLeaseToALeaseError(t *testing.T) {
	files := commitFiles{write: map[string][]byte{"apps/webapp.yaml": []byte("targetRevision: 1.2.4\n")}}
	type world struct {
		c    committer
		base plumbing.Hash
		// moved moves the branch as another run would.
		moved func(t *testing.T, branch string)
	}
	cases := []struct {
		name  string
		world func(t *testing.T) world
	}{
		{"git, pushing to a real Git server", func(t *testing.T) world {
			srv := testenv.StartGitServer(t)
			srv.CreateRepo(t, "gitops", map[string]string{"README.md": "# gitops\n"})
			repo, err := gitrepo.Open(srv.Clone(t, "gitops"))
			if err != nil {
				t.Fatal(err)
			}
			base, err := repo.Head()
			if err != nil {
				t.Fatal(err)
			}
			now := func() time.Time { return time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) }
			return world{c: gitCommitter{git: repo, author: DefaultIdentity, committer: DefaultIdentity, now: now}, base: base,
				moved: func(t *testing.T, branch string) {
					srv.CommitAs(t, "gitops", branch, map[string]string{"apps/webapp.yaml": "targetRevision: 9.9.9\n"}, "by hand", "Dana", "dana@example.com")
				}}
		}},
		{"the GitHub API, against the fake GitHub", func(t *testing.T) world {
			fake := testenv.StartFakeGitHub(t, "ghs_committerTest")
			fake.AddRepo("acme", "gitops", "main")
			client, err := github.New(fake.URL, "ghs_committerTest")
			if err != nil {
				t.Fatal(err)
			}
			return world{c: apiCommitter{gh: client.Repository("acme", "gitops")}, base: plumbing.NewHash(fake.Ref("acme", "gitops", "main")),
				moved: func(t *testing.T, branch string) {
					fake.SetRef("acme", "gitops", branch, fake.Ref("acme", "gitops", "main"))
				}}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := c.world(t)
			ctx := t.Context()
			first, err := w.c.commit(ctx, "chart-promoter/web", w.base, files, "promote\n", plumbing.ZeroHash)
			if err != nil || first.IsZero() {
				t.Fatalf("creating the branch: %v, %s", err, first)
			}
			// Creating it again, with another commit: it exists now.
			_, err = w.c.commit(ctx, "chart-promoter/web", w.base, files, "promote once more\n", plumbing.ZeroHash)
			var lease *LeaseError
			if !errors.As(err, &lease) || lease.Branch != "chart-promoter/web" {
				t.Fatalf("creating a branch that exists: %v, want a *LeaseError", err)
			}
			// Moving it from where it was, after someone else moved it.
			w.moved(t, "chart-promoter/web")
			if _, err := w.c.commit(ctx, "chart-promoter/web", w.base, files, "promote again\n", first); !errors.As(err, &lease) {
				t.Fatalf("moving a branch that moved: %v, want a *LeaseError", err)
			}
			if !errors.Is(lease, gitrepo.ErrLeaseRejected) && !errors.Is(lease, github.ErrLeaseRejected) {
				t.Errorf("the *LeaseError hides what was rejected: %v", lease)
			}
		})
	}
}

func TestClassifyBranch(t *testing.T) {
	tool := &gitrepo.Commit{Message: "promote\n\n" + FingerprintTrailer + ": abc\n", Committer: gitrepo.Signature{Email: DefaultIdentity.Email}}
	person := &gitrepo.Commit{Message: tool.Message, Committer: gitrepo.Signature{Email: "dana@example.com"}}
	onCurrent := func(*gitrepo.Commit) bool { return false }
	onOld := func(*gitrepo.Commit) bool { return true }
	cases := []struct {
		name        string
		head        *gitrepo.Commit
		fingerprint string
		onOld       func(*gitrepo.Commit) bool
		want        branchState
	}{
		{"no branch is missing", nil, "abc", onCurrent, branchMissing},
		{"a person's commit, even with the trailer, is foreign", person, "abc", onCurrent, branchForeign},
		{"the tool's commit of these changes on current values is current", tool, "abc", onCurrent, branchCurrent},
		{"the tool's commit of these changes on old values is outdated", tool, "abc", onOld, branchOutdated},
		{"the tool's commit of other changes is outdated", tool, "def", onCurrent, branchOutdated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := classifyBranch(c.head, c.fingerprint, DefaultIdentity, c.onOld); got != c.want {
				t.Errorf("classifyBranch = %d, want %d", got, c.want)
			}
		})
	}
}
