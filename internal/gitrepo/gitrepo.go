// Package gitrepo commits and pushes promotion branches from an existing
// Git checkout with go-git, without touching its work tree or index.
//
// The checkout is whatever the workflow left: actions/checkout makes a
// shallow (depth 1) clone, often on a detached HEAD, with the token kept in
// an http.extraheader setting that go-git does not read. So the package
// never checks anything out: CommitFiles writes blobs, trees and a commit
// straight into the object store on top of a parent commit, and Push sends
// that commit to a branch on the remote with a lease, so that a branch a
// human pushed to in the meantime is never overwritten.
//
// Typical use:
//
//	repo, err := gitrepo.Open(dir, gitrepo.WithAuth(gitrepo.TokenAuth(token)))
//	base, _, err := repo.RemoteBranch(ctx, "main")
//	err = repo.Fetch(ctx, "main")
//	old, err := repo.ReadFile(base, repo.RelToRoot("apps/web.yaml"))
//	commit, err := repo.CommitFiles(base, map[string][]byte{repo.RelToRoot("apps/web.yaml"): edited}, msg, who, who)
//	err = repo.Push(ctx, "chart-promoter/web-1.2.3", commit, plumbing.ZeroHash) // create only
package gitrepo

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// ErrLeaseRejected means the remote branch no longer had the expected value, so the push or delete changed nothing.
var ErrLeaseRejected = errors.New("remote branch moved since it was read")

// Repo is a Git checkout opened for reading commits and pushing new ones.
type Repo struct {
	repo   *git.Repository
	root   string // absolute work tree root
	prefix string // the opened directory relative to root, slash-separated, "" at the root
	remote string
	auth   transport.AuthMethod
}

// Option configures Open.
type Option func(*Repo)

// WithRemote selects the remote to fetch from and push to instead of "origin".
func WithRemote(name string) Option {
	return func(r *Repo) { r.remote = name }
}

// WithAuth sets the credentials for the remote; HTTP credentials are ignored for ssh remotes, which use go-git's defaults (the ssh agent).
func WithAuth(auth transport.AuthMethod) Option {
	return func(r *Repo) { r.auth = auth }
}

// TokenAuth returns HTTP basic auth with username "x-access-token" and the token as password, GitHub's convention for installation tokens and GITHUB_TOKEN, or nil for an empty token.
func TokenAuth(token string) transport.AuthMethod {
	if token == "" {
		return nil
	}
	return &githttp.BasicAuth{Username: "x-access-token", Password: token}
}

// Open opens the repository containing dir, looking upwards for .git as git does.
func Open(dir string, opts ...Option) (*Repo, error) {
	installTransport()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open git repository at %s: %w", dir, err)
	}
	repo, err := git.PlainOpenWithOptions(abs, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		return nil, fmt.Errorf("open git repository containing %s: %w (run inside a clone, e.g. after actions/checkout)", abs, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, fmt.Errorf("open git repository containing %s: %w (a bare repository has no files to promote)", abs, err)
	}
	root := wt.Filesystem.Root()
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		return nil, fmt.Errorf("open git repository containing %s: locate it under work tree %s: %w", abs, root, err)
	}
	r := &Repo{repo: repo, root: root, prefix: filepath.ToSlash(rel), remote: git.DefaultRemoteName}
	if r.prefix == "." {
		r.prefix = ""
	}
	for _, o := range opts {
		o(r)
	}
	if _, err := repo.Remote(r.remote); err != nil {
		return nil, fmt.Errorf("open git repository %s: remote %q: %w (check `git remote -v`)", root, r.remote, err)
	}
	return r, nil
}

// Root returns the absolute path of the work tree root.
func (r *Repo) Root() string { return r.root }

// Prefix returns the opened directory relative to the work tree root, slash-separated, "" when Open was given the root itself.
func (r *Repo) Prefix() string { return r.prefix }

// RelToRoot turns a path relative to the opened directory into the slash-separated path relative to the work tree root that commits use.
func (r *Repo) RelToRoot(pathRelToDir string) string {
	return path.Join(r.prefix, filepath.ToSlash(pathRelToDir))
}

// Head returns the commit checked out, whether on a branch or a detached HEAD.
func (r *Repo) Head() (plumbing.Hash, error) {
	ref, err := r.repo.Head()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("resolve HEAD of %s: %w", r.root, err)
	}
	return ref.Hash(), nil
}

// HeadBranch returns the branch checked out, "" on a detached HEAD (as actions/checkout
// leaves a pull request's merge commit).
func (r *Repo) HeadBranch() (string, error) {
	ref, err := r.repo.Head()
	if err != nil {
		return "", fmt.Errorf("resolve HEAD of %s: %w", r.root, err)
	}
	if !ref.Name().IsBranch() {
		return "", nil
	}
	return ref.Name().Short(), nil
}

// RemoteURL returns the remote's URL with any user name and password removed, safe to print.
func (r *Repo) RemoteURL() (string, error) {
	u, err := r.rawURL()
	if err != nil {
		return "", err
	}
	return stripUserinfo(u), nil
}

func (r *Repo) rawURL() (string, error) {
	remote, err := r.repo.Remote(r.remote)
	if err != nil {
		return "", fmt.Errorf("remote %q of %s: %w", r.remote, r.root, err)
	}
	urls := remote.Config().URLs
	if len(urls) == 0 {
		return "", fmt.Errorf("remote %q of %s has no URL (set one with `git remote set-url`)", r.remote, r.root)
	}
	return urls[0], nil
}

// authFor returns the credentials for url: HTTP credentials make go-git's
// ssh transport fail with "invalid auth method", and a local user running
// against an ssh clone still wants their agent, so they are dropped there.
func (r *Repo) authFor(rawURL string) transport.AuthMethod {
	if r.auth == nil || isHTTP(rawURL) {
		return r.auth
	}
	switch r.auth.(type) {
	case *githttp.BasicAuth, *githttp.TokenAuth:
		return nil
	}
	return r.auth
}

func isHTTP(rawURL string) bool {
	return strings.HasPrefix(rawURL, "http://") || strings.HasPrefix(rawURL, "https://")
}

// stripUserinfo removes credentials from an http(s) URL. A token may sit in
// the user name alone (https://TOKEN@github.com/...), so the whole userinfo
// goes; ssh URLs keep theirs, which names an account ("git@"), not a secret.
func stripUserinfo(rawURL string) string {
	if !isHTTP(rawURL) {
		return rawURL
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// An unparsable URL might still hold a secret; show only its scheme.
		scheme, _, _ := strings.Cut(rawURL, "://")
		return scheme + "://(unparsable URL)"
	}
	u.User = nil
	return u.String()
}

// secrets lists the strings that must never appear in an error: the
// password or token of the configured auth and the userinfo of the URL.
func (r *Repo) secrets(rawURL string) []string {
	var out []string
	switch a := r.auth.(type) {
	case *githttp.BasicAuth:
		out = append(out, a.Password)
	case *githttp.TokenAuth:
		out = append(out, a.Token)
	}
	if u, err := url.Parse(rawURL); err == nil && u.User != nil && isHTTP(rawURL) {
		p, _ := u.User.Password()
		out = append(out, u.User.Username(), p)
	}
	var nonEmpty []string
	for _, s := range out {
		if s != "" {
			nonEmpty = append(nonEmpty, s, url.QueryEscape(s), url.PathEscape(s))
		}
	}
	return nonEmpty
}

// redactedError carries a message scrubbed of credentials while still
// unwrapping to the original, so errors.Is keeps working for callers.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// remoteError wraps err from talking to the remote with what failed, where,
// and what to do, and removes every credential from the message: go-git
// puts URLs and server responses into its errors.
func (r *Repo) remoteError(rawURL, what string, err error) error {
	// go-git appends the server's response body, newline included.
	detail := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
	msg := fmt.Sprintf("%s on remote %q (%s): %s%s", what, r.remote, stripUserinfo(rawURL), detail, hint(err))
	for _, s := range r.secrets(rawURL) {
		msg = strings.ReplaceAll(msg, s, "***")
	}
	return &redactedError{msg: msg, err: err}
}

func hint(err error) string {
	switch {
	case errors.Is(err, ErrLeaseRejected):
		return " (someone else pushed; fetch the branch, rebuild the commit and try again)"
	case errors.Is(err, transport.ErrAuthenticationRequired):
		return " (pass a valid token, such as GITHUB_TOKEN with contents: write)"
	case errors.Is(err, transport.ErrAuthorizationFailed):
		return " (the token lacks permission; grant contents: write)"
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return " (check the remote URL, and that the token can see the repository)"
	}
	return ""
}
