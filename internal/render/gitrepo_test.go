package render

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

func TestGitRepositoryReadsRefFilesAtTheirRevision(t *testing.T) {
	srv := testenv.StartGitServer(t)
	srv.CreateRepo(t, "gitops", map[string]string{"apps/webapp/values.yaml": "replicas: 2\n"})
	srv.CommitAs(t, "gitops", "release", map[string]string{"apps/webapp/values.yaml": "replicas: 7\n"}, "Release values", "Ada", "ada@example.com")
	srv.Git(t, "gitops", "tag", "v1", "main")
	dir := srv.Clone(t, "gitops", testenv.CloneDepth(1))
	srv.GitIn(t, dir, "fetch", "--quiet", "--depth=1", "origin", "release:refs/remotes/origin/release", "refs/tags/v1:refs/tags/v1")
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	g := NewGitRepository(repo)
	if !g.Holds(srv.RepoURL("gitops")) || !g.Holds(strings.TrimSuffix(srv.RepoURL("gitops"), ".git")+"/") {
		t.Errorf("the checkout does not hold its own remote %s", srv.RepoURL("gitops"))
	}
	if g.Holds("https://github.com/acme/other") {
		t.Error("the checkout holds another repository")
	}
	tests := []struct{ rev, want string }{
		{"HEAD", "replicas: 2\n"},
		{"main", "replicas: 2\n"},
		{"v1", "replicas: 2\n"},
		{"release", "replicas: 7\n"}, // only as refs/remotes/origin/release, as actions/checkout leaves it
	}
	for _, tt := range tests {
		got, err := g.ReadFile(tt.rev, "apps/webapp/values.yaml")
		if err != nil || string(got) != tt.want {
			t.Errorf("ReadFile(%s) = %q, %v, want %q", tt.rev, got, err, tt.want)
		}
	}
	if _, err := g.ReadFile("main", "apps/webapp/missing.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := g.ReadFile("no-such-branch", "apps/webapp/values.yaml"); !errors.Is(err, gitrepo.ErrUnknownRevision) {
		t.Errorf("an unknown revision: %v, want ErrUnknownRevision", err)
	}
}
