package github

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"

	gh "github.com/google/go-github/v93/github"
)

// GetRef returns the commit refs/heads/branch points at, and whether the branch exists.
func (c *Client) GetRef(ctx context.Context, owner, repo, branch string) (sha string, exists bool, err error) {
	ref, _, err := c.gh.Git.GetRef(ctx, owner, repo, "heads/"+branch)
	if hasStatus(err, http.StatusNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read branch %s of %s/%s: %w", branch, owner, repo, err)
	}
	return ref.GetObject().GetSHA(), true, nil
}

// CreateCommit writes files (path → content) on top of commit parentSHA and returns the new commit's SHA; no branch moves.
//
// The commit is made through the Git database API without an author, so
// GitHub records the token's identity and signs it: it shows as "Verified".
// Files are written as regular, non-executable files.
func (c *Client) CreateCommit(ctx context.Context, owner, repo, parentSHA string, files map[string][]byte, message string) (string, error) {
	return c.CreateCommitChanges(ctx, owner, repo, parentSHA, files, nil, message)
}

// CreateCommitChanges is CreateCommit that also removes the files removed (paths) of the parent's tree.
//
// A removal is the tree entry GitHub documents for it, "sha": null; any byte
// sequence a file holds (a chart archive) goes up as a Base64 blob.
func (c *Client) CreateCommitChanges(ctx context.Context, owner, repo, parentSHA string, files map[string][]byte, removed []string, message string) (string, error) {
	where := fmt.Sprintf("commit on %s in %s/%s", parentSHA, owner, repo)
	if len(files) == 0 && len(removed) == 0 {
		return "", fmt.Errorf("%s: no files to write", where)
	}
	for _, p := range removed {
		if _, ok := files[p]; ok {
			return "", fmt.Errorf("%s: %s is both written and removed", where, p)
		}
	}
	// Blobs, trees and commits are content-addressed, so writing one twice
	// after a lost response is harmless: at worst an unreferenced object.
	ctx = retrySafe(ctx)
	parent, _, err := c.gh.Git.GetCommit(ctx, owner, repo, parentSHA)
	if err != nil {
		return "", fmt.Errorf("%s: read parent commit: %w", where, err)
	}

	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths) // the same request order every run, for logs and tests
	entries := make([]*gh.TreeEntry, 0, len(paths))
	for _, p := range paths {
		// Base64 keeps any byte sequence intact; "utf-8" would not.
		blob, _, err := c.gh.Git.CreateBlob(ctx, owner, repo, gh.Blob{
			Content:  base64.StdEncoding.EncodeToString(files[p]),
			Encoding: new("base64"),
		})
		if err != nil {
			return "", fmt.Errorf("%s: upload %s: %w", where, p, err)
		}
		entries = append(entries, &gh.TreeEntry{Path: new(p), Mode: new("100644"), Type: new("blob"), SHA: blob.SHA})
	}
	for _, p := range slices.Sorted(slices.Values(removed)) {
		// No SHA and no content: go-github writes "sha": null, which removes the path.
		entries = append(entries, &gh.TreeEntry{Path: new(p), Mode: new("100644"), Type: new("blob")})
	}

	tree, _, err := c.gh.Git.CreateTree(ctx, owner, repo, parent.GetTree().GetSHA(), entries)
	if err != nil {
		return "", fmt.Errorf("%s: write tree: %w", where, err)
	}
	commit, _, err := c.gh.Git.CreateCommit(ctx, owner, repo, gh.Commit{
		Message: new(message),
		Tree:    &gh.Tree{SHA: tree.SHA},
		Parents: []*gh.Commit{{SHA: new(parentSHA)}},
	}, nil)
	if err != nil {
		return "", fmt.Errorf("%s: write commit: %w", where, err)
	}
	return commit.GetSHA(), nil
}

// UpdateRef points refs/heads/branch at sha, provided the branch is at expected now; expected "" means the branch must not exist yet.
//
// GitHub's REST API has no compare-and-swap for refs, so the lease is a read
// followed by a forced write: a push that lands between the two is
// overwritten. The window is one round trip; creating a branch has no such
// window, since GitHub refuses to create a ref that exists.
func (c *Client) UpdateRef(ctx context.Context, owner, repo, branch, sha, expected string) error {
	ref := "refs/heads/" + branch
	where := fmt.Sprintf("move %s of %s/%s to %s", ref, owner, repo, sha)
	if expected == "" {
		_, _, err := c.gh.Git.CreateRef(ctx, owner, repo, gh.CreateRef{Ref: ref, SHA: sha})
		if validationMessage(err, "Reference already exists") {
			return fmt.Errorf("%s: the branch exists, expected it not to: %w", where, ErrLeaseRejected)
		}
		if err != nil {
			return fmt.Errorf("%s: create branch: %w", where, err)
		}
		return nil
	}

	current, exists, err := c.GetRef(ctx, owner, repo, branch)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if !exists {
		return fmt.Errorf("%s: the branch was deleted, expected it at %s: %w", where, expected, ErrLeaseRejected)
	}
	if current != expected {
		return fmt.Errorf("%s: the branch is at %s, expected %s: %w", where, current, expected, ErrLeaseRejected)
	}
	// Forced, because the new commit may replace the branch's history
	// rather than extend it; the check above stands in for the lease.
	_, _, err = c.gh.Git.UpdateRef(retrySafe(ctx), owner, repo, ref, gh.UpdateRef{SHA: sha, Force: new(true)})
	if validationMessage(err, "Reference does not exist") {
		return fmt.Errorf("%s: the branch was deleted meanwhile: %w", where, ErrLeaseRejected)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return nil
}
