package github

import (
	"context"
	"time"
)

// Repository is the client bound to one repository: what a promotion does there, without
// an owner and a name on every call, so that the code that proposes cannot write to
// another repository by mistake.
type Repository struct {
	c           *Client
	owner, name string
}

// Repository binds the client to owner/name.
func (c *Client) Repository(owner, name string) *Repository {
	return &Repository{c: c, owner: owner, name: name}
}

// ListPullRequests returns every pull request matching opt, reading all pages.
func (r *Repository) ListPullRequests(ctx context.Context, opt ListOptions) ([]*PullRequest, error) {
	return r.c.ListPullRequests(ctx, r.owner, r.name, opt)
}

// CreatePullRequest opens a pull request; adopted is true when one from the same head was
// open already (a parallel run opened it first) and is returned instead.
func (r *Repository) CreatePullRequest(ctx context.Context, pr NewPullRequest) (*PullRequest, bool, error) {
	return r.c.CreatePullRequest(ctx, r.owner, r.name, pr)
}

// UpdatePullRequest sets a pull request's title and body.
func (r *Repository) UpdatePullRequest(ctx context.Context, number int, title, body string) (*PullRequest, error) {
	return r.c.UpdatePullRequest(ctx, r.owner, r.name, number, title, body)
}

// ClosePullRequest closes a pull request without merging it.
func (r *Repository) ClosePullRequest(ctx context.Context, number int) error {
	return r.c.ClosePullRequest(ctx, r.owner, r.name, number)
}

// Comment adds a comment to a pull request's conversation.
func (r *Repository) Comment(ctx context.Context, number int, body string) error {
	return r.c.Comment(ctx, r.owner, r.name, number, body)
}

// ListComments returns a pull request's comments, oldest first.
func (r *Repository) ListComments(ctx context.Context, number int) ([]Comment, error) {
	return r.c.ListComments(ctx, r.owner, r.name, number)
}

// AddLabels adds labels to a pull request.
func (r *Repository) AddLabels(ctx context.Context, number int, labels []string) error {
	return r.c.AddLabels(ctx, r.owner, r.name, number, labels)
}

// RequestReviewers asks users and teams to review a pull request.
func (r *Repository) RequestReviewers(ctx context.Context, number int, users, teams []string) error {
	return r.c.RequestReviewers(ctx, r.owner, r.name, number, users, teams)
}

// AddAssignees assigns users to a pull request.
func (r *Repository) AddAssignees(ctx context.Context, number int, users []string) error {
	return r.c.AddAssignees(ctx, r.owner, r.name, number, users)
}

// SetMilestone puts a pull request in the milestone numbered milestone.
func (r *Repository) SetMilestone(ctx context.Context, number, milestone int) error {
	return r.c.SetMilestone(ctx, r.owner, r.name, number, milestone)
}

// EnableAutoMerge turns on auto-merge for the pull request with GraphQL ID nodeID.
func (r *Repository) EnableAutoMerge(ctx context.Context, nodeID, method string) error {
	return r.c.EnableAutoMerge(ctx, nodeID, method)
}

// CreateCommit creates, through the Git database API, a commit of files on parentSHA.
func (r *Repository) CreateCommit(ctx context.Context, parentSHA string, files map[string][]byte, message string) (string, error) {
	return r.c.CreateCommit(ctx, r.owner, r.name, parentSHA, files, message)
}

// CreateCommitChanges creates, through the Git database API, a commit on parentSHA that
// writes files and removes the paths removed.
func (r *Repository) CreateCommitChanges(ctx context.Context, parentSHA string, files map[string][]byte, removed []string, message string) (string, error) {
	return r.c.CreateCommitChanges(ctx, r.owner, r.name, parentSHA, files, removed, message)
}

// UpdateRef moves (or creates, when expected is "") branch to sha, with a lease on
// expected.
func (r *Repository) UpdateRef(ctx context.Context, branch, sha, expected string) error {
	return r.c.UpdateRef(ctx, r.owner, r.name, branch, sha, expected)
}

// RateLimit is what GitHub's latest answer said of the REST API's rate limit.
func (r *Repository) RateLimit() (remaining int, reset time.Time, known bool) {
	return r.c.RateLimit()
}
