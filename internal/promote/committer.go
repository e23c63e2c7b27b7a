package promote

import (
	"context"

	"github.com/go-git/go-git/v5/plumbing"
)

// committer makes a group's commit of files (written and removed) on top of base and moves branch to it, with a
// lease: the branch must still be at expected (the zero hash: it must not exist yet).
// There is one implementation per way of committing (commit_git.go, commit_api.go); each
// maps the way it loses a lease to a *LeaseError, so that the proposer knows, whatever the
// committer, that another run wrote the branch and it must read it again.
type committer interface {
	commit(ctx context.Context, branch string, base plumbing.Hash, files commitFiles, message string, expected plumbing.Hash) (plumbing.Hash, error)
}

// LeaseError says that a branch moved between the run reading it and writing it: another
// run, or a person, wrote it first, and nothing of this run's was written.
type LeaseError struct {
	// Branch is the branch that moved; Err what the push or the ref update said.
	Branch string
	Err    error
}

func (e *LeaseError) Error() string {
	return e.Branch + " moved since this run read it: " + e.Err.Error()
}

// Unwrap returns what the push or the ref update said (gitrepo.ErrLeaseRejected or
// github.ErrLeaseRejected).
func (e *LeaseError) Unwrap() error { return e.Err }

// committer returns the group's committer, as the options ask: git (the default) or the
// GitHub API.
func (pr *proposer) committer() committer {
	if pr.opts.CommitVia == CommitViaAPI {
		return apiCommitter{gh: pr.deps.GitHub}
	}
	return gitCommitter{git: pr.deps.Git, author: pr.opts.Author, committer: pr.opts.Committer, now: pr.opts.Now}
}
