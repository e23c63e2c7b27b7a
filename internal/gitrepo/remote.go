package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// fetchDepth is enough to see a branch tip and its parent: whether a
// promotion branch still holds only the tool's own commit on top of its
// base is decided from exactly those two.
const fetchDepth = 2

// remoteHandle bundles what every remote operation needs.
type remoteHandle struct {
	remote *git.Remote
	url    string
}

func (r *Repo) openRemote() (*remoteHandle, error) {
	remote, err := r.repo.Remote(r.remote)
	if err != nil {
		return nil, fmt.Errorf("remote %q of %s: %w (check `git remote -v`)", r.remote, r.root, err)
	}
	u, err := r.rawURL()
	if err != nil {
		return nil, err
	}
	return &remoteHandle{remote: remote, url: u}, nil
}

// RemoteBranches lists the remote's branches whose names start with prefix, with their tips, in one round trip (ls-remote).
func (r *Repo) RemoteBranches(ctx context.Context, prefix string) (map[string]plumbing.Hash, error) {
	h, err := r.openRemote()
	if err != nil {
		return nil, err
	}
	return r.listBranches(ctx, h, prefix)
}

func (r *Repo) listBranches(ctx context.Context, h *remoteHandle, prefix string) (map[string]plumbing.Hash, error) {
	refs, err := h.remote.ListContext(ctx, &git.ListOptions{Auth: r.authFor(h.url)})
	if err != nil {
		return nil, r.remoteError(h.url, "list branches", err)
	}
	out := map[string]plumbing.Hash{}
	for _, ref := range refs {
		if ref.Type() != plumbing.HashReference || !ref.Name().IsBranch() {
			continue
		}
		if name := ref.Name().Short(); strings.HasPrefix(name, prefix) {
			out[name] = ref.Hash()
		}
	}
	return out, nil
}

// RemoteBranch returns the remote's current tip of branch as the server advertises it right now, or the zero hash and false when the branch does not exist; use it, not a fetched ref, as a push's lease.
func (r *Repo) RemoteBranch(ctx context.Context, branch string) (plumbing.Hash, bool, error) {
	h, err := r.openRemote()
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	return r.remoteBranch(ctx, h, branch)
}

func (r *Repo) remoteBranch(ctx context.Context, h *remoteHandle, branch string) (plumbing.Hash, bool, error) {
	if err := checkBranch(branch); err != nil {
		return plumbing.ZeroHash, false, err
	}
	// ls-remote has no server-side filter in protocol v0/v1, which is what
	// go-git speaks, so the whole advertisement arrives either way.
	branches, err := r.listBranches(ctx, h, branch)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	tip, ok := branches[branch]
	return tip, ok, nil
}

// Fetch brings the given branches' tips and their parents into the object store and sets refs/remotes/REMOTE/BRANCH; a branch missing on the remote is no error, and its stale remote-tracking ref is removed so Tracking reports it absent.
//
// In a shallow clone the fetch is limited to depth 2 and the shallow
// boundary is repaired afterwards (go-git records new boundaries but never
// removes old ones). In a full clone the fetch is not depth-limited,
// because a depth would turn the user's full clone into a shallow one.
func (r *Repo) Fetch(ctx context.Context, branches ...string) error {
	for _, b := range branches {
		if err := checkBranch(b); err != nil {
			return err
		}
	}
	h, err := r.openRemote()
	if err != nil {
		return err
	}
	// go-git fails the whole fetch on the first refspec the remote cannot
	// match, so ask which branches exist first.
	present, err := r.listBranches(ctx, h, "")
	if err != nil {
		return err
	}
	var specs []config.RefSpec
	for _, b := range branches {
		tracking := r.trackingRef(b)
		if _, ok := present[b]; ok {
			specs = append(specs, config.RefSpec("+"+plumbing.NewBranchReferenceName(b).String()+":"+tracking.String()))
			continue
		}
		if err := r.repo.Storer.RemoveReference(tracking); err != nil {
			return fmt.Errorf("fetch %s from remote %q: remove stale %s: %w", b, r.remote, tracking, err)
		}
	}
	if len(specs) == 0 {
		return nil
	}

	shallows, err := r.repo.Storer.Shallow()
	if err != nil {
		return fmt.Errorf("fetch from remote %q: read shallow boundary of %s: %w", r.remote, r.root, err)
	}
	opts := &git.FetchOptions{
		RemoteName: r.remote,
		RefSpecs:   specs,
		Auth:       r.authFor(h.url),
		Tags:       git.NoTags,
	}
	if len(shallows) > 0 {
		opts.Depth = fetchDepth
	}
	err = h.remote.FetchContext(ctx, opts)
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return r.remoteError(h.url, "fetch "+strings.Join(branches, ", "), err)
	}
	if len(shallows) > 0 {
		if err := r.repairShallow(); err != nil {
			return fmt.Errorf("fetch from remote %q: %w", r.remote, err)
		}
	}
	return nil
}

// repairShallow drops from .git/shallow every commit whose parents are all
// present. go-git only ever adds the boundaries a deepening fetch reports
// and ignores the server's "unshallow" lines, so after fetching a parent
// the child stays marked shallow, and real git (later workflow steps) would
// then treat it as a root commit without parents.
func (r *Repo) repairShallow() error {
	shallows, err := r.repo.Storer.Shallow()
	if err != nil {
		return fmt.Errorf("read shallow boundary of %s: %w", r.root, err)
	}
	keep := shallows[:0:0]
	for _, s := range shallows {
		c, err := r.commit(s)
		if err != nil || !r.hasAll(c.ParentHashes) {
			keep = append(keep, s)
		}
	}
	if len(keep) == len(shallows) {
		return nil
	}
	if err := r.repo.Storer.SetShallow(keep); err != nil {
		return fmt.Errorf("write shallow boundary of %s: %w", r.root, err)
	}
	return nil
}

func (r *Repo) hasAll(hashes []plumbing.Hash) bool {
	for _, h := range hashes {
		if r.repo.Storer.HasEncodedObject(h) != nil {
			return false
		}
	}
	return true
}

// Tracking returns the remote-tracking ref refs/remotes/REMOTE/BRANCH as the last Fetch left it, or false when there is none.
func (r *Repo) Tracking(branch string) (plumbing.Hash, bool, error) {
	if err := checkBranch(branch); err != nil {
		return plumbing.ZeroHash, false, err
	}
	ref, err := r.repo.Storer.Reference(r.trackingRef(branch))
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, false, nil
	}
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("read %s in %s: %w", r.trackingRef(branch), r.root, err)
	}
	return ref.Hash(), true, nil
}

func (r *Repo) trackingRef(branch string) plumbing.ReferenceName {
	return plumbing.NewRemoteReferenceName(r.remote, branch)
}

// Push sets the remote's branch to commit if and only if the branch is still at expected (the zero hash: does not exist yet), and otherwise changes nothing and returns an error wrapping ErrLeaseRejected.
//
// A branch already at commit counts as pushed, so a retry after a lost
// response succeeds.
//
// A non-zero lease is a true compare-and-swap: go-git checks expected
// against the advertisement of the very session that pushes (through
// RequireRemoteRefs), and git receive-pack only updates the ref if it
// still holds that advertised value. go-git cannot express "must not
// exist" (its ForceWithLease treats a zero hash as "use the
// remote-tracking ref", needs the tracking ref to exist, and ignores the
// lease altogether when the source is a commit hash rather than a local
// branch), so for a zero lease Push checks with ls-remote first and then
// pushes without force. The remaining race: if someone creates the branch
// between that check and the push, at a commit that is an ancestor of
// commit (such as its parent), go-git sees a fast-forward and moves their
// branch to commit. Any other concurrent creation is refused.
func (r *Repo) Push(ctx context.Context, branch string, commit, expected plumbing.Hash) error {
	if err := checkBranch(branch); err != nil {
		return err
	}
	if commit.IsZero() {
		return fmt.Errorf("push %s: no commit given (use DeleteBranch to delete)", branch)
	}
	if !r.hasAll([]plumbing.Hash{commit}) {
		return fmt.Errorf("push %s: commit %s is not in %s (create it with CommitFiles first)", branch, commit, r.root)
	}
	h, err := r.openRemote()
	if err != nil {
		return err
	}
	what := fmt.Sprintf("push %s to branch %s", commit, branch)
	ref := plumbing.NewBranchReferenceName(branch)
	opts := &git.PushOptions{RemoteName: r.remote, Auth: r.authFor(h.url)}
	if expected.IsZero() {
		tip, exists, err := r.remoteBranch(ctx, h, branch)
		if err != nil {
			return err
		}
		if exists && tip == commit {
			return nil
		}
		if exists {
			return r.remoteError(h.url, what, fmt.Errorf("branch exists at %s, expected it absent: %w", tip, ErrLeaseRejected))
		}
		opts.RefSpecs = []config.RefSpec{config.RefSpec(commit.String() + ":" + ref.String())}
	} else {
		opts.RefSpecs = []config.RefSpec{config.RefSpec("+" + commit.String() + ":" + ref.String())}
		opts.RequireRemoteRefs = []config.RefSpec{config.RefSpec(expected.String() + ":" + ref.String())}
	}
	err = h.remote.PushContext(ctx, opts)
	if err == nil || errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return r.classifyPushError(ctx, h, what, branch, commit, expected, err)
}

// DeleteBranch deletes the remote's branch if and only if it is still at expected, returning an error wrapping ErrLeaseRejected otherwise; a branch that is already gone counts as deleted.
func (r *Repo) DeleteBranch(ctx context.Context, branch string, expected plumbing.Hash) error {
	if err := checkBranch(branch); err != nil {
		return err
	}
	if expected.IsZero() {
		return fmt.Errorf("delete branch %s: give the commit it is expected to be at, so a branch someone else moved survives", branch)
	}
	h, err := r.openRemote()
	if err != nil {
		return err
	}
	ref := plumbing.NewBranchReferenceName(branch)
	err = h.remote.PushContext(ctx, &git.PushOptions{
		RemoteName:        r.remote,
		Auth:              r.authFor(h.url),
		RefSpecs:          []config.RefSpec{config.RefSpec(":" + ref.String())},
		RequireRemoteRefs: []config.RefSpec{config.RefSpec(expected.String() + ":" + ref.String())},
	})
	if err == nil || errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return r.classifyPushError(ctx, h, "delete branch "+branch, branch, plumbing.ZeroHash, expected, err)
}

// classifyPushError asks the remote where branch is now, because go-git
// reports a failed lease, a receive-pack "ng" and a network failure alike
// as untyped errors: the branch's position tells whether the push took
// effect after all (want), lost the race (moved away from expected), or
// failed for another reason (still at expected).
func (r *Repo) classifyPushError(ctx context.Context, h *remoteHandle, what, branch string, want, expected plumbing.Hash, pushErr error) error {
	tip, exists, err := r.remoteBranch(ctx, h, branch)
	if err != nil {
		return r.remoteError(h.url, what, pushErr)
	}
	switch {
	case tip == want:
		return nil
	case tip != expected:
		now := "absent"
		if exists {
			now = "at " + tip.String()
		}
		was := "absent"
		if !expected.IsZero() {
			was = "at " + expected.String()
		}
		return r.remoteError(h.url, what, fmt.Errorf("branch is %s, expected it %s: %w", now, was, ErrLeaseRejected))
	}
	return r.remoteError(h.url, what, pushErr)
}

// checkBranch refuses names git would refuse, before any of them reaches a
// refspec where a ':' or leading '+' would change its meaning.
func checkBranch(branch string) error {
	ref := plumbing.NewBranchReferenceName(branch)
	if branch == "" || strings.HasPrefix(branch, "+") || ref.Validate() != nil {
		return fmt.Errorf("branch name %q is not valid in git (see `git check-ref-format --branch`)", branch)
	}
	return nil
}
