package promote

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/chart-promoter/chart-promoter/internal/github"
)

// apiCommitter creates the commit through GitHub's Git database API, so GitHub signs it
// and it shows as Verified, and moves the branch with a lease on its ref.
type apiCommitter struct {
	gh GitHub
}

func (c apiCommitter) commit(ctx context.Context, branch string, base plumbing.Hash, files commitFiles, message string, expected plumbing.Hash) (plumbing.Hash, error) {
	sha, err := c.gh.CreateCommitChanges(ctx, base.String(), files.write, files.remove, message)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("create the commit through the GitHub API: %w", err)
	}
	lease := ""
	if !expected.IsZero() {
		lease = expected.String()
	}
	if err := c.gh.UpdateRef(ctx, branch, sha, lease); err != nil {
		if errors.Is(err, github.ErrLeaseRejected) {
			return plumbing.ZeroHash, &LeaseError{Branch: branch, Err: err}
		}
		return plumbing.ZeroHash, fmt.Errorf("move %s: %w", branch, err)
	}
	return plumbing.NewHash(sha), nil
}
