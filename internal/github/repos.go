package github

import (
	"context"
	"fmt"
)

// DefaultBranch returns the branch a repository's pull requests target by default.
func (c *Client) DefaultBranch(ctx context.Context, owner, repo string) (string, error) {
	r, _, err := c.gh.Repositories.Get(ctx, owner, repo)
	if err != nil {
		return "", fmt.Errorf("read repository %s/%s: %w (set base explicitly, or give the token read access)", owner, repo, err)
	}
	if r.GetDefaultBranch() == "" {
		return "", fmt.Errorf("repository %s/%s reports no default branch: set base explicitly", owner, repo)
	}
	return r.GetDefaultBranch(), nil
}
