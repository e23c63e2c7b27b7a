package render

import (
	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
)

// GitRepository reads $ref value files from the Git checkout the tool runs in, at the
// revision the ref source names, without fetching.
type GitRepository struct {
	repo *gitrepo.Repo
	urls []string
}

// NewGitRepository serves value files from repo, which counts as the repository named by
// its remote's URL and by any of urls (the Action adds https://github.com/OWNER/NAME).
func NewGitRepository(repo *gitrepo.Repo, urls ...string) *GitRepository {
	if u, err := repo.RemoteURL(); err == nil {
		urls = append(urls, u)
	}
	return &GitRepository{repo: repo, urls: urls}
}

// Holds reports whether repoURL names this checkout's repository.
func (g *GitRepository) Holds(repoURL string) bool {
	for _, u := range g.urls {
		if SameRepository(repoURL, u) {
			return true
		}
	}
	return false
}

// ReadFile reads path (relative to the repository root) at revision.
func (g *GitRepository) ReadFile(revision, path string) ([]byte, error) {
	h, err := g.repo.Resolve(revision)
	if err != nil {
		return nil, err
	}
	return g.repo.ReadFile(h, path)
}
