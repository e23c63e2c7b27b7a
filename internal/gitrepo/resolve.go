package gitrepo

import (
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// Resolve finds the commit a revision names in the checkout as it stands, without
// fetching: HEAD, a commit hash, a local branch, the remote's branch as last fetched
// (refs/remotes/REMOTE/NAME, which is all actions/checkout leaves for other branches),
// or a tag.
func (r *Repo) Resolve(rev string) (plumbing.Hash, error) {
	if rev == "" || rev == "HEAD" {
		return r.Head()
	}
	if h, err := r.repo.ResolveRevision(plumbing.Revision(rev)); err == nil {
		return *h, nil
	}
	if h, ok, err := r.Tracking(rev); err == nil && ok {
		return h, nil
	}
	if h, err := r.repo.ResolveRevision(plumbing.Revision("refs/remotes/" + r.remote + "/" + rev)); err == nil {
		return *h, nil
	}
	return plumbing.ZeroHash, fmt.Errorf("revision %q is not in the checkout at %s (fetch it: git fetch %s %s): %w", rev, r.root, r.remote, rev, ErrUnknownRevision)
}

// ErrUnknownRevision marks a revision the checkout does not have.
var ErrUnknownRevision = errors.New("unknown revision")
