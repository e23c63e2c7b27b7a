package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// FileRevision is one content of a file on a branch's first-parent line: what the file
// held from the commit that wrote it until the next revision.
type FileRevision struct {
	// Commit wrote this content onto the first-parent line (a merge commit for a merged
	// pull request, the commit itself for a direct push or a squash).
	Commit plumbing.Hash
	// When is the commit's committer time: when the content reached the branch, not when
	// it was first written on a feature branch (the author time).
	When time.Time
	// Exists is false for a revision that deleted the file.
	Exists bool
	// Content is the file's bytes; nil when it does not exist.
	Content []byte
}

// ShallowError means the walk reached the shallow boundary of the clone before it was
// told to stop: the history that would decide is not in the local object store.
type ShallowError struct {
	// At is the shallow commit the walk could not get past.
	At plumbing.Hash
}

func (e *ShallowError) Error() string {
	return fmt.Sprintf("the history stops at shallow commit %s (fetch more history, e.g. actions/checkout with fetch-depth: 0)", e.At)
}

// FileHistory walks from commit along first parents, newest first, and calls visit with
// each revision of path (relative to the repository root): the commits where its content
// differs from the first parent's, and the commit that added it. visit returns false to
// stop the walk. Reaching the clone's shallow boundary before visit stops returns a
// *ShallowError.
func (r *Repo) FileHistory(ctx context.Context, from plumbing.Hash, path string, visit func(FileRevision) (more bool, err error)) error {
	if err := checkPath(path); err != nil {
		return fmt.Errorf("history of %s: %w", path, err)
	}
	shallow, err := r.repo.Storer.Shallow()
	if err != nil {
		return fmt.Errorf("history of %s: read shallow boundary of %s: %w", path, r.root, err)
	}
	c, err := r.commit(from)
	if err != nil {
		return err
	}
	entry, err := blobAt(c, path)
	if err != nil {
		return fmt.Errorf("history of %s at %s: %w", path, c.Hash, err)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(c.ParentHashes) == 0 {
			if entry.IsZero() {
				return nil
			}
			_, err := r.emit(c, path, entry, visit)
			return err
		}
		if slices.Contains(shallow, c.Hash) || r.repo.Storer.HasEncodedObject(c.ParentHashes[0]) != nil {
			return &ShallowError{At: c.Hash}
		}
		parent, err := r.commit(c.ParentHashes[0])
		if err != nil {
			return err
		}
		before, err := blobAt(parent, path)
		if err != nil {
			return fmt.Errorf("history of %s at %s: %w", path, parent.Hash, err)
		}
		if before != entry {
			more, err := r.emit(c, path, entry, visit)
			if err != nil || !more {
				return err
			}
		}
		c, entry = parent, before
	}
}

// emit reads the content entry names and hands the revision to visit.
func (r *Repo) emit(c *object.Commit, path string, entry plumbing.Hash, visit func(FileRevision) (bool, error)) (bool, error) {
	rev := FileRevision{Commit: c.Hash, When: c.Committer.When, Exists: !entry.IsZero()}
	if rev.Exists {
		b, err := r.ReadFile(c.Hash, path)
		if err != nil {
			return false, err
		}
		rev.Content = b
	}
	return visit(rev)
}

// blobAt returns the blob hash of path in c's tree, or the zero hash when c has no such
// file.
func blobAt(c *object.Commit, path string) (plumbing.Hash, error) {
	tree, err := c.Tree()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("tree %s: %w", c.TreeHash, err)
	}
	e, err := tree.FindEntry(path)
	if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if !e.Mode.IsFile() {
		return plumbing.ZeroHash, nil
	}
	return e.Hash, nil
}

// Deepen fetches branch from the remote with depth commits of history into the
// remote-tracking ref, for a shallow clone whose history a caller needs further back.
// In a clone that is not shallow it does nothing.
func (r *Repo) Deepen(ctx context.Context, branch string, depth int) error {
	if err := checkBranch(branch); err != nil {
		return err
	}
	shallows, err := r.repo.Storer.Shallow()
	if err != nil {
		return fmt.Errorf("deepen %s: read shallow boundary of %s: %w", branch, r.root, err)
	}
	if len(shallows) == 0 {
		return nil
	}
	h, err := r.openRemote()
	if err != nil {
		return err
	}
	spec := config.RefSpec("+" + plumbing.NewBranchReferenceName(branch).String() + ":" + r.trackingRef(branch).String())
	err = h.remote.FetchContext(ctx, &git.FetchOptions{
		RemoteName: r.remote,
		RefSpecs:   []config.RefSpec{spec},
		Auth:       r.authFor(h.url),
		Tags:       git.NoTags,
		Depth:      depth,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return r.remoteError(h.url, "deepen "+branch, err)
	}
	return r.repairShallow()
}
