package promote

import (
	"fmt"

	"github.com/chart-promoter/chart-promoter/internal/github"
	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
)

// Connect opens the Git checkout that holds dir and a GitHub API client, authenticated
// with token, and returns them as the Deps of Propose (without a Logger), which binds the
// client to the repository its options name. Options tune the GitHub client (its request
// timeout, say).
func Connect(dir, token, apiURL, userAgent string, opts ...github.Option) (Deps, *github.Client, error) {
	if token == "" {
		return Deps{}, nil, fmt.Errorf("no GitHub token: set GITHUB_TOKEN (contents: write and pull-requests: write)")
	}
	repo, err := gitrepo.Open(dir, gitrepo.WithAuth(gitrepo.TokenAuth(token)))
	if err != nil {
		return Deps{}, nil, err
	}
	gh, err := github.New(apiURL, token, append([]github.Option{github.WithUserAgent(userAgent)}, opts...)...)
	if err != nil {
		return Deps{}, nil, err
	}
	return Deps{Git: repo, client: gh, RepoPath: repo.RelToRoot}, gh, nil
}
