package promote

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/github"
)

// openPulls answers "which open pull request comes from this branch?" for a whole run from
// one list of the base branch's open promotion pull requests, read when first needed: a
// re-run with nothing new then costs one list request however many groups it has, instead
// of one look-up per group. Pull requests the run opens are added as they are.
type openPulls struct {
	gh           GitHub
	base, prefix string
	loaded       bool
	byHead       map[string]*github.PullRequest
	all          []*github.PullRequest
}

func newOpenPulls(gh GitHub, opts ProposeOptions) *openPulls {
	return &openPulls{gh: gh, base: opts.Base, prefix: prefixOr(opts.BranchPrefix), byHead: map[string]*github.PullRequest{}}
}

// load lists the open pull requests once.
func (o *openPulls) load(ctx context.Context) error {
	if o.loaded {
		return nil
	}
	prs, err := o.gh.ListPullRequests(ctx, github.ListOptions{State: "open", Base: o.base, HeadPrefix: o.prefix})
	if err != nil {
		return err
	}
	o.loaded = true
	for _, p := range prs {
		o.add(p)
	}
	return nil
}

// find returns the open pull request from branch into the base, or nil.
func (o *openPulls) find(ctx context.Context, branch string) (*github.PullRequest, error) {
	if err := o.load(ctx); err != nil {
		return nil, err
	}
	return o.byHead[branch], nil
}

// refind is find for a branch another run has just written: when the list, read earlier
// in this run (before planning, for the digests open pull requests record), lacks the
// branch, it is read again, since that run may have opened the pull request since.
func (o *openPulls) refind(ctx context.Context, branch string) (*github.PullRequest, error) {
	p, err := o.find(ctx, branch)
	if p != nil || err != nil {
		return p, err
	}
	o.loaded = false
	return o.find(ctx, branch)
}

// list returns every open promotion pull request into the base.
func (o *openPulls) list(ctx context.Context) ([]*github.PullRequest, error) {
	if err := o.load(ctx); err != nil {
		return nil, err
	}
	return o.all, nil
}

// add records a pull request this run opened (or found), so later questions see it.
func (o *openPulls) add(p *github.PullRequest) {
	if _, seen := o.byHead[p.Head]; seen {
		return
	}
	o.byHead[p.Head] = p
	o.all = append(o.all, p)
}

// mayHaveOthers reports whether an open promotion pull request from a branch that is not
// one of ours may exist: only then is listing them worth a request. An open pull request's
// head branch exists (GitHub closes a pull request whose head branch is deleted), so when
// the remote holds no promotion branch but ours, there is none to supersede.
func mayHaveOthers(ctx context.Context, deps Deps, opts ProposeOptions, run *runState, ours map[string]bool) bool {
	if run.pulls.loaded {
		return true // listed already, at no further cost
	}
	branches, err := deps.Git.RemoteBranches(ctx, prefixOr(opts.BranchPrefix))
	if err != nil {
		return true // list them, rather than miss one
	}
	for b := range branches {
		if !ours[b] {
			return true
		}
	}
	return false
}

// pullRequest opens the group's PR or updates the open one, then applies labels,
// reviewers, assignees and auto-merge to a new PR.
func (pr *proposer) pullRequest(ctx context.Context, p *Proposal) error {
	gh, o := pr.deps.GitHub, pr.opts
	var existing *github.PullRequest
	if pr.existed { // a branch this run created has no pull request to find
		var err error
		if existing, err = pr.run.pulls.find(ctx, pr.group.branch); err != nil {
			return err
		}
	}
	if existing != nil {
		if existing.Title != p.Title || existing.Body != p.Body {
			if _, err := gh.UpdatePullRequest(ctx, existing.Number, p.Title, p.Body); err != nil {
				return err
			}
		}
		p.Action, p.Number, p.URL = Updated, existing.Number, existing.URL
		pr.deps.Log.Infof("%s: updated PR #%d", pr.group.branch, existing.Number)
		return nil
	}
	created, adopted, err := gh.CreatePullRequest(ctx, github.NewPullRequest{
		Title: p.Title, Body: p.Body, Head: pr.group.branch, Base: o.Base, Draft: o.PullRequest.Draft, MaintainerCanModify: true,
	})
	if err != nil {
		return err
	}
	pr.run.pulls.add(created)
	p.Action, p.Number, p.URL = Opened, created.Number, created.URL
	if adopted {
		// A parallel run opened it first: make its text ours, and leave the rest to it.
		p.Action = Updated
		if created.Title != p.Title || created.Body != p.Body {
			if _, err := gh.UpdatePullRequest(ctx, created.Number, p.Title, p.Body); err != nil {
				return err
			}
		}
		return nil
	}
	pr.deps.Log.Infof("%s: opened PR #%d", pr.group.branch, created.Number)
	return pr.decorate(ctx, p, created)
}

// decorate adds labels, reviewers, assignees and auto-merge to a new pull request. What
// GitHub refuses here is a warning on the proposal, never a failure: the PR exists.
func (pr *proposer) decorate(ctx context.Context, p *Proposal, created *github.PullRequest) error {
	gh, opt := pr.deps.GitHub, pr.opts.PullRequest
	if len(opt.Labels) > 0 {
		if err := gh.AddLabels(ctx, created.Number, opt.Labels); err != nil {
			p.Warnings = append(p.Warnings, fmt.Sprintf("could not label: %v", err))
		}
	}
	if len(opt.Reviewers) > 0 || len(opt.TeamReviewers) > 0 {
		if err := gh.RequestReviewers(ctx, created.Number, opt.Reviewers, opt.TeamReviewers); err != nil {
			p.Warnings = append(p.Warnings, fmt.Sprintf("could not request reviewers: %v", err))
		}
	}
	if len(opt.Assignees) > 0 {
		if err := gh.AddAssignees(ctx, created.Number, opt.Assignees); err != nil {
			p.Warnings = append(p.Warnings, fmt.Sprintf("could not assign: %v", err))
		}
	}
	if opt.Milestone > 0 {
		if err := gh.SetMilestone(ctx, created.Number, opt.Milestone); err != nil {
			p.Warnings = append(p.Warnings, fmt.Sprintf("could not set milestone %d: %v", opt.Milestone, err))
		}
	}
	if opt.AutoMerge != "" {
		err := gh.EnableAutoMerge(ctx, created.NodeID, strings.ToUpper(opt.AutoMerge))
		switch {
		case errors.Is(err, github.ErrAutoMergeUnavailable):
			p.Warnings = append(p.Warnings, fmt.Sprintf("auto-merge not enabled: %v (allow auto-merge in the repository settings)", err))
		case err != nil:
			p.Warnings = append(p.Warnings, fmt.Sprintf("auto-merge not enabled: %v", err))
		}
	}
	for _, w := range p.Warnings {
		pr.deps.Log.Warningf("PR #%d: %s", created.Number, w)
	}
	return nil
}
