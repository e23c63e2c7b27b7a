package promote

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/promote/gate"
	"github.com/chart-promoter/chart-promoter/internal/stage"
)

// maxPushAttempts bounds how often a group is re-evaluated after its push lost a race with
// another run; each attempt re-reads the branch, so a run that finds the other's commit
// already proposes the same changes stops without writing.
const maxPushAttempts = 3

// Propose plans, then gives every group of changes its branch, commit and pull request:
// opened when new, updated when a newer version is allowed, left alone when nothing is
// new or when a human has pushed to the branch. A failure in one group does not stop the
// others; it is reported in that group's Proposal.
func Propose(ctx context.Context, opts ProposeOptions, deps Deps) (*Result, error) {
	if deps.Log == nil {
		deps.Log = discard{}
	}
	if deps.RepoPath == nil {
		deps.RepoPath = func(p string) string { return p }
	}
	if deps.GitHub == nil && deps.client != nil {
		deps.GitHub = deps.client.Repository(opts.Owner, opts.Repo)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Author.Name == "" {
		opts.Author = DefaultIdentity
	}
	if opts.Committer.Name == "" {
		opts.Committer = opts.Author
	}
	texts, err := opts.Templates.parse()
	if err != nil {
		return nil, err
	}
	run := &runState{pulls: newOpenPulls(deps.GitHub, opts)}
	// The open pull requests say which versions are proposed already, at which digests:
	// planning confirms those with a HEAD and stops a chart whose tag was re-pushed. The
	// one list serves the groups and supersede too. Without it no pull request is touched:
	// an update could hide a re-pushed tag.
	var listErr error
	if deps.GitHub != nil && !opts.DryRun {
		open, err := run.pulls.list(ctx)
		if err != nil {
			listErr = fmt.Errorf("not proposed: the open pull requests, whose proposed digests each run checks, could not be listed: %w", err)
		}
		opts.Plan.Known = mergeKnown(opts.Plan.Known, KnownVersions(open))
	}
	if st := &opts.Plan.Stages; st.Git == nil {
		// The soak clock reads the checkout the run pushes from, deepened along the base
		// branch with the same credentials.
		if g, ok := deps.Git.(stage.Git); ok {
			st.Git, st.RepoPath = g, deps.RepoPath
			if st.BaseBranch == "" {
				st.BaseBranch = opts.Base
			}
		}
	}
	plan, err := Make(ctx, opts.Plan)
	if err != nil && listErr != nil && ctx.Err() != nil {
		// The run's deadline passed while GitHub was asked: a failure of the run, not of usage.
		return &Result{Plan: &Plan{Dir: opts.Plan.Dir, Changes: []Change{}, Skipped: []Skip{}, Errors: []Error{{Message: listErr.Error()}}}, Proposals: []Proposal{}}, nil
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Plan: plan, Proposals: []Proposal{}}
	alarmed := raiseRepushAlarms(ctx, opts, deps, plan)
	groups := groupChanges(plan.Changes, opts.GroupBy, opts.BranchPrefix)
	lim := &limiter{limits: opts.Plan.Config.Limits()}
	if lim.limits.MaxOpen > 0 && !opts.DryRun {
		n, err := countOpen(ctx, run.pulls)
		if err != nil {
			return nil, fmt.Errorf("maxOpenPullRequests: count the open promotion pull requests: %w", err)
		}
		lim.open = n
	}
	// When limits may hold groups back, those waiting longest go first.
	order := groups
	if lim.limits != (config.Limits{}) {
		order = oldestFirst(groups, releaseTime)
	}
	proposals := make(map[*group]Proposal, len(groups))
	for _, g := range order {
		g.display = deps.RepoPath
		g.waiting = plan.waitingOn(g.changes)
		p := Proposal{Group: g.name, Branch: g.branch, Changes: g.changes}
		title, terr := texts.title(g)
		body, berr := texts.body(g)
		p.Title, p.Body = title, body
		switch err := errors.Join(terr, berr); {
		case err != nil:
			p.Action, p.Err = Failed, err
		case listErr != nil:
			p.Action, p.Err = Failed, listErr
		case alarmed[g.branch]:
			// Its pull request proposes a tag that was re-pushed: updating it would hide that.
			p.Action, p.Err = Blocked, &RepushBlockedError{Branch: g.branch}
			if !opts.DryRun {
				if open, _ := run.pulls.find(ctx, g.branch); open != nil {
					p.Number, p.URL = open.Number, open.URL
				}
			}
		case opts.DryRun:
			// A dry run does not ask GitHub: every group counts as a new pull request.
			p.Action = Planned
			if err := lim.check(); err != nil {
				p.Action, p.Err = Held, err
			} else {
				lim.add()
			}
		case run.held != nil:
			// The rate limit ran out for an earlier group: stop opening pull requests.
			p.Action, p.Err = Held, run.held
		case lim.check() != nil && !run.hasOpen(ctx, g.branch):
			// Nothing is asked or written for a group the limits hold: a first run over
			// thousands of outdated Applications costs as much as its limit, not more.
			p.Action, p.Err = Held, lim.check()
		default:
			pr := proposer{opts: opts, deps: deps, plan: plan, group: g, run: run, texts: texts}
			pr.propose(ctx, &p) // a failure is in p.Err: callers report it, once, as an error
			if held := (*RateLimitError)(nil); errors.As(p.Err, &held) {
				run.held = held
			}
			if p.Action == Opened {
				lim.add()
			}
		}
		proposals[g] = p
	}
	for _, g := range groups {
		res.Proposals = append(res.Proposals, proposals[g])
	}
	if !opts.DryRun && listErr == nil {
		supersede(ctx, opts, deps, res, run, alarmed)
	}
	return res, nil
}

// mergeKnown adds the versions the open pull requests propose to those the caller knew.
func mergeKnown(a, b map[gate.TagRef][]gate.Known) map[gate.TagRef][]gate.Known {
	if len(a) == 0 {
		return b
	}
	out := make(map[gate.TagRef][]gate.Known, len(a)+len(b))
	for k, v := range a {
		out[k] = append(out[k], v...)
	}
	for k, v := range b {
		out[k] = append(out[k], v...)
	}
	return out
}

// runState is what the groups of one run share with each other.
type runState struct {
	pulls *openPulls
	// held is set once a group was held back for the rate limit.
	held *RateLimitError
}

// proposer carries one group through branch, commit and pull request.
type proposer struct {
	opts  ProposeOptions
	deps  Deps
	plan  *Plan
	group *group
	run   *runState
	// existed says whether the branch was on the remote when this run read it: a branch
	// this run creates has no pull request yet.
	existed bool
	texts   texts
}

func (pr *proposer) propose(ctx context.Context, p *Proposal) {
	fail := func(err error) {
		p.Action, p.Err = Failed, err
		if errors.As(err, new(*RateLimitError)) || errors.As(err, new(*LimitError)) {
			p.Action = Held
		}
	}
	for attempt := 1; ; attempt++ {
		done, err := pr.updateBranch(ctx, p)
		lost := errors.As(err, new(*LeaseError))
		switch {
		case lost && attempt < maxPushAttempts:
			pr.deps.Log.Warningf("%s moved while this run was writing it (another run?); reading it again (attempt %d of %d)", pr.group.branch, attempt, maxPushAttempts)
			continue
		case lost:
			fail(fmt.Errorf("%s kept moving under this run: %w; re-run when other runs are done", pr.group.branch, err))
			return
		case err != nil:
			fail(err)
			return
		case done:
			return // blocked or unchanged: nothing more to write
		}
		break
	}
	if err := pr.pullRequest(ctx, p); err != nil {
		fail(err)
	}
}

func (pr *proposer) signOff() *Identity {
	if !pr.opts.SignOff {
		return nil
	}
	id := pr.opts.Author
	return &id
}

func prefixOr(p string) string {
	if p == "" {
		return DefaultBranchPrefix
	}
	return p
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
