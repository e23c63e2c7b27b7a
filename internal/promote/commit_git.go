package promote

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
)

// gitCommitter builds the commit locally with go-git, as Git objects beside the checkout
// (its work tree and index are not touched), and pushes it with a lease.
type gitCommitter struct {
	git               Git
	author, committer Identity
	now               func() time.Time
}

func (c gitCommitter) commit(ctx context.Context, branch string, base plumbing.Hash, files commitFiles, message string, expected plumbing.Hash) (plumbing.Hash, error) {
	when := c.now()
	author := gitrepo.Signature{Name: c.author.Name, Email: c.author.Email, When: when}
	committer := gitrepo.Signature{Name: c.committer.Name, Email: c.committer.Email, When: when}
	hash, err := c.git.CommitChanges(base, files.write, files.remove, message, author, committer)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("commit: %w", err)
	}
	if err := c.git.Push(ctx, branch, hash, expected); err != nil {
		if errors.Is(err, gitrepo.ErrLeaseRejected) {
			return plumbing.ZeroHash, &LeaseError{Branch: branch, Err: err}
		}
		return plumbing.ZeroHash, fmt.Errorf("push %s: %w", branch, err)
	}
	return hash, nil
}
