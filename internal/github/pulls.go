package github

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	gh "github.com/google/go-github/v93/github"
)

// PullRequest is the part of a GitHub pull request chart-promoter reads.
type PullRequest struct {
	Number  int
	URL     string // the page a person opens (html_url)
	Title   string
	Body    string
	Head    string // branch name
	Base    string // branch name
	HeadSHA string
	State   string // "open" or "closed"
	Merged  bool
	Draft   bool
	Labels  []string
	Author  string
	NodeID  string // GraphQL ID, for EnableAutoMerge
}

// NewPullRequest describes a pull request to open.
type NewPullRequest struct {
	Title, Body         string
	Head, Base          string // branch names; Head may be "owner:branch" for a fork
	Draft               bool
	MaintainerCanModify bool
}

// ListOptions filters ListPullRequests.
type ListOptions struct {
	State      string // "open" (GitHub's default when empty), "closed" or "all"
	Base       string // only pull requests into this branch, if set
	HeadPrefix string // only pull requests whose head branch starts with this, if set
	Head       string // only pull requests from exactly this branch, filtered by GitHub, if set
}

// Comment is a comment on a pull request's conversation.
type Comment struct {
	ID     int64
	Body   string
	Author string
}

// perPage is GitHub's maximum page size, so lists take the fewest requests.
const perPage = 100

// duplicatePR starts GitHub's validation message for a second open pull
// request from the same head into the same base.
const duplicatePR = "A pull request already exists for"

// FindPullRequest returns the open pull request from branch head into base (any base if empty, newest first), or nil if there is none.
func (c *Client) FindPullRequest(ctx context.Context, owner, repo, head, base string) (*PullRequest, error) {
	// GitHub's head filter takes "owner:branch", not a bare branch name.
	qualified := head
	if !strings.Contains(head, ":") {
		qualified = owner + ":" + head
	}
	opt := &gh.PullRequestListOptions{State: "open", Head: qualified, Base: base, ListOptions: gh.ListOptions{PerPage: perPage}}
	prs, _, err := c.gh.PullRequests.List(ctx, owner, repo, opt)
	if err != nil {
		return nil, fmt.Errorf("find open pull request from %s in %s/%s: %w", qualified, owner, repo, err)
	}
	if len(prs) == 0 {
		return nil, nil
	}
	return convertPR(prs[0]), nil
}

// ListPullRequests returns every pull request matching opt, reading all pages.
func (c *Client) ListPullRequests(ctx context.Context, owner, repo string, opt ListOptions) ([]*PullRequest, error) {
	list := &gh.PullRequestListOptions{State: opt.State, Base: opt.Base, ListOptions: gh.ListOptions{PerPage: perPage}}
	if opt.Head != "" {
		list.Head = opt.Head
		if !strings.Contains(opt.Head, ":") {
			list.Head = owner + ":" + opt.Head // GitHub's head filter takes "owner:branch"
		}
	}
	var out []*PullRequest
	for {
		prs, resp, err := c.gh.PullRequests.List(ctx, owner, repo, list)
		if err != nil {
			return nil, fmt.Errorf("list pull requests in %s/%s (page %d): %w", owner, repo, max(list.Page, 1), err)
		}
		for _, p := range prs {
			// GitHub can filter by head only with an exact branch name.
			if strings.HasPrefix(p.GetHead().GetRef(), opt.HeadPrefix) {
				out = append(out, convertPR(p))
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		list.Page = resp.NextPage
	}
}

// CreatePullRequest opens a pull request; when a parallel run opened the same one first, it returns that one with adopted set.
func (c *Client) CreatePullRequest(ctx context.Context, owner, repo string, pr NewPullRequest) (p *PullRequest, adopted bool, err error) {
	created, _, err := c.gh.PullRequests.Create(ctx, owner, repo, gh.CreatePullRequest{
		Title:               new(pr.Title),
		Body:                new(pr.Body),
		Head:                pr.Head,
		Base:                pr.Base,
		Draft:               new(pr.Draft),
		MaintainerCanModify: new(pr.MaintainerCanModify),
	})
	if err == nil {
		return convertPR(created), false, nil
	}
	if !validationMessage(err, duplicatePR) {
		return nil, false, fmt.Errorf("open pull request from %s into %s in %s/%s: %w%s", pr.Head, pr.Base, owner, repo, err, createHint(err))
	}
	existing, findErr := c.FindPullRequest(ctx, owner, repo, pr.Head, pr.Base)
	if findErr != nil {
		return nil, false, fmt.Errorf("open pull request from %s into %s in %s/%s: one exists already, and reading it failed: %w", pr.Head, pr.Base, owner, repo, findErr)
	}
	if existing == nil {
		// Closed between GitHub's answer and our look-up: another run
		// is working on this branch right now, so let the caller retry.
		return nil, false, fmt.Errorf("open pull request from %s into %s in %s/%s: GitHub says one exists but none is open now; run again: %w", pr.Head, pr.Base, owner, repo, err)
	}
	return existing, true, nil
}

// createHint says what to do after a create that failed without GitHub saying no: a 5xx or
// a lost answer may hide a pull request that was opened, which is why it is not repeated.
func createHint(err error) string {
	e, ok := errorResponse(err)
	switch {
	case ok && e.Response.StatusCode == http.StatusForbidden && strings.Contains(e.Message, "not permitted to create or approve pull requests"):
		return " (the repository, or its organisation, does not let GITHUB_TOKEN open pull requests: turn on Settings → Actions → General → Workflow permissions → \"Allow GitHub Actions to create and approve pull requests\", or use a GitHub App token)"
	case ok && e.Response.StatusCode == http.StatusForbidden:
		return " (the token may not open pull requests here: give the workflow `permissions: pull-requests: write` and `contents: write`)"
	case ok && e.Response.StatusCode < 500:
		return ""
	}
	return " (not sent again, since GitHub may have opened it all the same: re-run, and the next run finds it or opens it)"
}

// UpdatePullRequest replaces a pull request's title and body.
func (c *Client) UpdatePullRequest(ctx context.Context, owner, repo string, number int, title, body string) (*PullRequest, error) {
	p, _, err := c.gh.PullRequests.Edit(retrySafe(ctx), owner, repo, number, &gh.PullRequest{Title: new(title), Body: new(body)})
	if err != nil {
		return nil, fmt.Errorf("update pull request %s/%s#%d: %w", owner, repo, number, err)
	}
	return convertPR(p), nil
}

// ClosePullRequest closes a pull request without merging it.
func (c *Client) ClosePullRequest(ctx context.Context, owner, repo string, number int) error {
	_, _, err := c.gh.PullRequests.Edit(retrySafe(ctx), owner, repo, number, &gh.PullRequest{State: new("closed")})
	if err != nil {
		return fmt.Errorf("close pull request %s/%s#%d: %w", owner, repo, number, err)
	}
	return nil
}

// Comment adds a comment to a pull request's conversation.
func (c *Client) Comment(ctx context.Context, owner, repo string, number int, body string) error {
	_, _, err := c.gh.Issues.CreateComment(ctx, owner, repo, number, gh.IssueCommentRequest{Body: body})
	if err != nil {
		return fmt.Errorf("comment on %s/%s#%d: %w", owner, repo, number, err)
	}
	return nil
}

// ListComments returns all comments on a pull request's conversation, oldest first.
func (c *Client) ListComments(ctx context.Context, owner, repo string, number int) ([]Comment, error) {
	opt := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: perPage}}
	var out []Comment
	for {
		comments, resp, err := c.gh.Issues.ListComments(ctx, owner, repo, number, opt)
		if err != nil {
			return nil, fmt.Errorf("list comments on %s/%s#%d (page %d): %w", owner, repo, number, max(opt.Page, 1), err)
		}
		for _, cm := range comments {
			out = append(out, Comment{ID: cm.GetID(), Body: cm.GetBody(), Author: cm.GetUser().GetLogin()})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// AddLabels adds labels to a pull request, keeping the ones it has.
func (c *Client) AddLabels(ctx context.Context, owner, repo string, number int, labels []string) error {
	if len(labels) == 0 {
		return nil
	}
	if _, _, err := c.gh.Issues.AddLabelsToIssue(retrySafe(ctx), owner, repo, number, labels); err != nil {
		return fmt.Errorf("label %s/%s#%d with %s: %w", owner, repo, number, strings.Join(labels, ", "), err)
	}
	return nil
}

// RequestReviewers asks users and teams (slugs, without the organization) to review a pull request.
func (c *Client) RequestReviewers(ctx context.Context, owner, repo string, number int, users, teams []string) error {
	if len(users) == 0 && len(teams) == 0 {
		return nil
	}
	_, _, err := c.gh.PullRequests.RequestReviewers(retrySafe(ctx), owner, repo, number, gh.ReviewersRequest{Reviewers: users, TeamReviewers: teams})
	if err != nil {
		return fmt.Errorf("request reviews on %s/%s#%d from %s: %w (reviewers need read access to the repository, and the author cannot review their own pull request)",
			owner, repo, number, strings.Join(append(append([]string{}, users...), teams...), ", "), err)
	}
	return nil
}

// AddAssignees assigns users to a pull request, keeping the current assignees.
func (c *Client) AddAssignees(ctx context.Context, owner, repo string, number int, users []string) error {
	if len(users) == 0 {
		return nil
	}
	if _, _, err := c.gh.Issues.AddAssignees(retrySafe(ctx), owner, repo, number, users); err != nil {
		return fmt.Errorf("assign %s/%s#%d to %s: %w", owner, repo, number, strings.Join(users, ", "), err)
	}
	return nil
}

// SetMilestone puts a pull request in the repository's milestone number milestone,
// through the issues API (a pull request is an issue there).
func (c *Client) SetMilestone(ctx context.Context, owner, repo string, number, milestone int) error {
	if _, _, err := c.gh.Issues.Update(retrySafe(ctx), owner, repo, number, gh.UpdateIssueRequest{Milestone: &milestone}); err != nil {
		return fmt.Errorf("set milestone %d on %s/%s#%d (does the milestone exist and is it open?): %w", milestone, owner, repo, number, err)
	}
	return nil
}

func convertPR(p *gh.PullRequest) *PullRequest {
	out := &PullRequest{
		Number:  p.GetNumber(),
		URL:     p.GetHTMLURL(),
		Title:   p.GetTitle(),
		Body:    p.GetBody(),
		Head:    p.GetHead().GetRef(),
		Base:    p.GetBase().GetRef(),
		HeadSHA: p.GetHead().GetSHA(),
		State:   p.GetState(),
		// The list endpoint leaves out "merged" but sends "merged_at".
		Merged: p.GetMerged() || p.MergedAt != nil,
		Draft:  p.GetDraft(),
		Author: p.GetUser().GetLogin(),
		NodeID: p.GetNodeID(),
	}
	for _, l := range p.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	return out
}
