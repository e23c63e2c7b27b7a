package promote

import (
	"context"

	"github.com/chart-promoter/chart-promoter/internal/github"
)

// openPulls answers "which open pull request comes from this branch?" for a whole run from
// one list of the base branch's open promotion pull requests, read when first needed: a
// re-run with nothing new then costs one list request however many groups it has, instead
// of one look-up per group. Pull requests the run opens are added as they are.
type openPulls struct {
	gh                        GitHub
	owner, repo, base, prefix string
	loaded                    bool
	byHead                    map[string]*github.PullRequest
	all                       []*github.PullRequest
}

func newOpenPulls(gh GitHub, opts ProposeOptions) *openPulls {
	return &openPulls{gh: gh, owner: opts.Owner, repo: opts.Repo, base: opts.Base, prefix: prefixOr(opts.BranchPrefix), byHead: map[string]*github.PullRequest{}}
}

// load lists the open pull requests once.
func (o *openPulls) load(ctx context.Context) error {
	if o.loaded {
		return nil
	}
	prs, err := o.gh.ListPullRequests(ctx, o.owner, o.repo, github.ListOptions{State: "open", Base: o.base, HeadPrefix: o.prefix})
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
