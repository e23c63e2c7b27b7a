package promote

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/chart-promoter/chart-promoter/internal/github"
	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/promote/gate"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// Git is what a promotion needs of the checkout; *gitrepo.Repo provides it.
type Git interface {
	Fetch(ctx context.Context, branches ...string) error
	RemoteBranch(ctx context.Context, branch string) (plumbing.Hash, bool, error)
	RemoteBranches(ctx context.Context, prefix string) (map[string]plumbing.Hash, error)
	ReadFile(commit plumbing.Hash, path string) ([]byte, error)
	Commit(commit plumbing.Hash) (*gitrepo.Commit, error)
	CommitFiles(parent plumbing.Hash, files map[string][]byte, message string, author, committer gitrepo.Signature) (plumbing.Hash, error)
	Push(ctx context.Context, branch string, commit, expected plumbing.Hash) error
	DeleteBranch(ctx context.Context, branch string, expected plumbing.Hash) error
}

// GitHub is what a promotion needs of the GitHub API; *github.Client provides it.
type GitHub interface {
	ListPullRequests(ctx context.Context, owner, repo string, opt github.ListOptions) ([]*github.PullRequest, error)
	CreatePullRequest(ctx context.Context, owner, repo string, pr github.NewPullRequest) (*github.PullRequest, bool, error)
	UpdatePullRequest(ctx context.Context, owner, repo string, number int, title, body string) (*github.PullRequest, error)
	ClosePullRequest(ctx context.Context, owner, repo string, number int) error
	Comment(ctx context.Context, owner, repo string, number int, body string) error
	ListComments(ctx context.Context, owner, repo string, number int) ([]github.Comment, error)
	AddLabels(ctx context.Context, owner, repo string, number int, labels []string) error
	RequestReviewers(ctx context.Context, owner, repo string, number int, users, teams []string) error
	AddAssignees(ctx context.Context, owner, repo string, number int, users []string) error
	SetMilestone(ctx context.Context, owner, repo string, number, milestone int) error
	EnableAutoMerge(ctx context.Context, nodeID, method string) error
	CreateCommit(ctx context.Context, owner, repo, parentSHA string, files map[string][]byte, message string) (string, error)
	UpdateRef(ctx context.Context, owner, repo, branch, sha, expected string) error
	// RateLimit is what GitHub's latest answer said of the REST API's rate limit.
	RateLimit() (remaining int, reset time.Time, known bool)
}

// Logger receives progress for people: the CLI prints it, the Action groups it.
type Logger interface {
	Infof(format string, args ...any)
	Warningf(format string, args ...any)
}

// Deps are the outside world a promotion talks to.
type Deps struct {
	Git    Git
	GitHub GitHub
	Log    Logger
	// RepoPath maps a path relative to the plan's directory to one relative to the
	// repository root (the checkout may be scanned from a subdirectory).
	RepoPath func(string) string
}

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
	for _, g := range groups {
		g.display = deps.RepoPath
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
			p.Action = Planned
		case run.held != nil:
			// The rate limit ran out for an earlier group: stop opening pull requests.
			p.Action, p.Err = Held, run.held
		default:
			pr := proposer{opts: opts, deps: deps, plan: plan, group: g, run: run, texts: texts}
			pr.propose(ctx, &p) // a failure is in p.Err: callers report it, once, as an error
			if held := (*RateLimitError)(nil); errors.As(p.Err, &held) {
				run.held = held
			}
		}
		res.Proposals = append(res.Proposals, p)
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
		if errors.As(err, new(*RateLimitError)) {
			p.Action = Held
		}
	}
	for attempt := 1; ; attempt++ {
		done, err := pr.updateBranch(ctx, p)
		lost := errors.Is(err, gitrepo.ErrLeaseRejected) || errors.Is(err, github.ErrLeaseRejected)
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

// updateBranch makes the branch hold the group's commit on top of the base. done is true
// when the branch needs no pull request work (it is blocked, or already up to date).
func (pr *proposer) updateBranch(ctx context.Context, p *Proposal) (done bool, err error) {
	g, git := pr.group, pr.deps.Git
	if err := git.Fetch(ctx, pr.opts.Base, g.branch); err != nil {
		return false, fmt.Errorf("fetch %s and %s: %w", pr.opts.Base, g.branch, err)
	}
	base, ok, err := git.RemoteBranch(ctx, pr.opts.Base)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, fmt.Errorf("base branch %q does not exist on the remote: set base to the branch PRs should target", pr.opts.Base)
	}
	tip, exists, err := git.RemoteBranch(ctx, g.branch)
	if err != nil {
		return false, err
	}
	pr.existed = exists
	if exists {
		head, err := git.Commit(tip)
		if err != nil {
			return false, fmt.Errorf("read %s: %w", g.branch, err)
		}
		switch {
		case !madeByTool(head, pr.opts.Committer):
			return true, pr.blocked(ctx, p, head)
		case commitFingerprint(head.Message) == g.fingerprint():
			p.Commit = tip.String()
			return pr.unchanged(ctx, p, base)
		}
		// Another run, which saw a newer version in the registry than this one did, may
		// have written the branch after this run planned (it may even have won the race
		// for the lease): never replace its proposal with an older one.
		newer, err := pr.newerOnBranch(ctx, tip)
		if err != nil {
			return false, err
		}
		if len(newer) > 0 {
			return pr.ahead(ctx, p, tip, newer)
		}
	}

	if !exists {
		// The branch is gone, perhaps deleted with a PR someone closed: respect that no.
		if done, err := pr.closedBefore(ctx, p); done || err != nil {
			return done, err
		}
	}
	files, err := pr.files(base)
	if err != nil {
		return false, err
	}
	if len(files) == 0 {
		// The base already holds every change (merged meanwhile): nothing to propose.
		p.Action = Unchanged
		return true, nil
	}
	newPR := !exists
	if exists {
		open, err := pr.run.pulls.find(ctx, g.branch)
		if err != nil {
			return false, err
		}
		newPR = open == nil
	}
	if err := checkBudget(pr.deps.GitHub, pr.requestsToFinish(len(files), exists, newPR)); err != nil {
		return false, err // before anything is written: never half a pull request
	}
	message, err := pr.texts.commitMessage(g, pr.signOff())
	if err != nil {
		return false, err
	}
	var commit string
	expected := plumbing.ZeroHash
	if exists {
		expected = tip
	}
	switch pr.opts.CommitVia {
	case CommitViaAPI:
		commit, err = pr.deps.GitHub.CreateCommit(ctx, pr.opts.Owner, pr.opts.Repo, base.String(), files, message)
		if err != nil {
			return false, fmt.Errorf("create the commit through the GitHub API: %w", err)
		}
		exp := ""
		if exists {
			exp = tip.String()
		}
		if err := pr.deps.GitHub.UpdateRef(ctx, pr.opts.Owner, pr.opts.Repo, g.branch, commit, exp); err != nil {
			return false, fmt.Errorf("move %s: %w", g.branch, err)
		}
	default:
		when := pr.opts.Now()
		author := gitrepo.Signature{Name: pr.opts.Author.Name, Email: pr.opts.Author.Email, When: when}
		committer := gitrepo.Signature{Name: pr.opts.Committer.Name, Email: pr.opts.Committer.Email, When: when}
		hash, err := pr.deps.Git.CommitFiles(base, files, message, author, committer)
		if err != nil {
			return false, fmt.Errorf("commit: %w", err)
		}
		if err := pr.deps.Git.Push(ctx, g.branch, hash, expected); err != nil {
			return false, fmt.Errorf("push %s: %w", g.branch, err)
		}
		commit = hash.String()
	}
	p.Commit = commit
	pr.deps.Log.Infof("%s: committed %s on %s", g.branch, short(commit), pr.opts.Base)
	return false, nil
}

func (pr *proposer) signOff() *Identity {
	if !pr.opts.SignOff {
		return nil
	}
	id := pr.opts.Author
	return &id
}

// files computes each changed file's new content on top of the base tip. When the base
// still holds the bytes the plan read, the planned edit is used; when the base moved
// under the run, the file is read again at the base and the edit is made there (a
// rebase), or the group fails cleanly. Every edit is proven by Rewrite's re-parse.
func (pr *proposer) files(base plumbing.Hash) (map[string][]byte, error) {
	out := map[string][]byte{}
	byFile := map[string][]Change{}
	var charts []Change
	var order []string
	for _, c := range pr.group.changes {
		if c.dependency != nil {
			charts = append(charts, c)
			continue
		}
		if byFile[c.File] == nil {
			order = append(order, c.File)
		}
		byFile[c.File] = append(byFile[c.File], c)
	}
	for _, file := range order {
		repoPath := pr.deps.RepoPath(file)
		current, err := pr.deps.Git.ReadFile(base, repoPath)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s is not on %s: commit it, or plan against the base branch", file, pr.opts.Base)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s at %s: %w", file, pr.opts.Base, err)
		}
		edits, err := rebaseEdits(file, current, byFile[file], pr.plan.digest(file))
		if err != nil {
			return nil, err
		}
		if len(edits) == 0 {
			continue
		}
		after, err := manifest.Rewrite(current, edits)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		out[repoPath] = after
	}
	if len(charts) > 0 {
		if err := pr.chartFiles(base, charts, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// chartFiles adds to out the Chart.yaml and Chart.lock files the group's dependency
// changes edit, computed on top of the base. A chart's two files move together and the
// lock's digest covers both, so they are edited only when the base holds exactly what the
// plan read; otherwise the group fails and the next run plans from the new content.
func (pr *proposer) chartFiles(base plumbing.Hash, changes []Change, out map[string][]byte) error {
	read := func(file string) ([]byte, error) {
		data, err := pr.deps.Git.ReadFile(base, pr.deps.RepoPath(file))
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s is not on %s: commit it, or plan against the base branch", file, pr.opts.Base)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s at %s: %w", file, pr.opts.Base, err)
		}
		if sha256.Sum256(data) != pr.plan.digest(file) {
			return nil, fmt.Errorf("%s changed on the base branch during the run; re-run to plan again", file)
		}
		return data, nil
	}
	files, failures := editsFor(changes, read, pr.opts.Now())
	if len(failures) > 0 {
		f := failures[0]
		return fmt.Errorf("%s: %w", f.file, f.err)
	}
	for _, f := range files {
		current, err := read(f.file)
		if err != nil {
			return err
		}
		after, err := manifest.Rewrite(current, f.edits)
		if err != nil {
			return fmt.Errorf("%s: %w", f.file, err)
		}
		out[pr.deps.RepoPath(f.file)] = after
	}
	return nil
}

// rebaseEdits returns the edits for one file as it stands at the base. If the base holds
// the bytes the plan read, they are the planned edits. Otherwise the file is scanned again
// and each change's value is found by its YAML path and chart: still at the old version,
// it is edited; already at the new one, it is dropped; anything else fails, because the
// tool will not guess what a human meant.
func rebaseEdits(file string, current []byte, changes []Change, planned [sha256.Size]byte) ([]manifest.Edit, error) {
	edits := make([]manifest.Edit, 0, len(changes))
	if sha256.Sum256(current) == planned {
		for _, c := range changes {
			edits = append(edits, c.edit)
		}
		return edits, nil
	}
	byPath := sourcesByPath(file, current)
	for _, c := range changes {
		s, ok := byPath[sourceKey{c.Path, c.Chart}]
		switch {
		case !ok:
			return nil, fmt.Errorf("%s changed on the base branch during the run and %s of %s is gone; re-run to plan again", file, c.Path, c.Chart)
		case s.Revision == c.To:
			continue
		case s.Revision != c.From:
			return nil, fmt.Errorf("%s changed on the base branch during the run: %s is now %q, not %q; re-run to plan again", file, c.Path, s.Revision, c.From)
		case s.Location.Problem != "":
			return nil, fmt.Errorf("%s:%d: %s", file, s.Location.Line, s.Location.Problem)
		}
		edits = append(edits, manifest.Edit{Location: s.Location, Old: c.From, New: c.To})
	}
	return edits, nil
}

// sourceKey finds a source again in another version of its file: by its YAML path and
// chart, which an edit of the version leaves alone.
type sourceKey struct{ path, chart string }

// sourcesByPath scans one file's bytes and indexes its sources by sourceKey.
func sourcesByPath(file string, data []byte) map[sourceKey]manifest.Source {
	out := map[sourceKey]manifest.Source{}
	for _, s := range manifest.ScanFile(file, data).Sources() {
		out[sourceKey{s.Location.Path, s.Chart}] = s
	}
	return out
}

// unchanged handles a branch that already proposes exactly this group's changes.
func (pr *proposer) unchanged(ctx context.Context, p *Proposal, base plumbing.Hash) (bool, error) {
	existing, err := pr.run.pulls.find(ctx, pr.group.branch)
	if err != nil {
		return false, err
	}
	if existing == nil {
		// No open PR: a person closed it (respected), it was merged (the checkout this run
		// planned from predates the merge: the base already holds every change), or an
		// earlier run stopped before opening it (let pullRequest open one).
		if done, err := pr.closedBefore(ctx, p); done || err != nil {
			if done && err == nil {
				// The branch outlived its closed pull request; the tool made its tip.
				pr.deleteBranch(ctx, p, pr.group.branch, plumbing.NewHash(p.Commit))
			}
			return done, err
		}
		if files, err := pr.files(base); err == nil && len(files) == 0 {
			p.Action = Unchanged
			pr.deps.Log.Infof("%s: %s already holds these versions (merged); nothing to propose", pr.group.branch, pr.opts.Base)
			return true, nil
		}
		return false, nil
	}
	p.Action, p.Number, p.URL = Unchanged, existing.Number, existing.URL
	pr.deps.Log.Infof("%s: PR #%d already proposes these changes", pr.group.branch, existing.Number)
	return true, nil
}

// newerOnBranch compares what the branch's tip (a commit the tool made) sets each of the
// group's sources to with the version this run proposes. It returns the branch's versions
// ("webapp 1.2.5") when the branch is ahead: every source at least at this run's version,
// one newer, each still allowed by the source's policy and still in the registry. A branch
// behind, equal, at a version the policy no longer allows (the policy was narrowed) or at
// one the registry no longer has (it was withdrawn) is not ahead, and this run moves it as
// usual.
func (pr *proposer) newerOnBranch(ctx context.Context, tip plumbing.Hash) ([]string, error) {
	scanned := map[string]map[sourceKey]manifest.Source{}
	var newer []string
	type chartVersion struct{ chart, revision string }
	var confirm []chartVersion
	for _, c := range pr.group.changes {
		sources, ok := scanned[c.File]
		if !ok {
			data, err := pr.deps.Git.ReadFile(tip, pr.deps.RepoPath(c.File))
			if errors.Is(err, os.ErrNotExist) {
				return nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("read %s on %s: %w", c.File, pr.group.branch, err)
			}
			sources = sourcesByPath(c.File, data)
			scanned[c.File] = sources
		}
		s, ok := sources[sourceKey{c.Path, c.Chart}]
		if !ok {
			return nil, nil
		}
		if s.Revision == c.To {
			continue
		}
		onBranch, err := version.ParseRevision(s.Revision)
		if err != nil {
			return nil, nil
		}
		ours, err := version.ParseRevision(c.To)
		if err != nil {
			return nil, nil
		}
		policy, err := version.ParseConstraint(c.Constraint)
		if err != nil || !policy.Allows(onBranch) {
			return nil, nil
		}
		switch cmp := version.Compare(onBranch.SemVer, ours.SemVer); {
		case cmp < 0:
			return nil, nil
		case cmp > 0:
			if v := chartName(c.Chart) + " " + s.Revision; !slices.Contains(newer, v) {
				newer = append(newer, v)
				confirm = append(confirm, chartVersion{c.Chart, s.Revision})
			}
		}
	}
	if reg := pr.opts.Plan.Registry; reg != nil {
		for _, cv := range confirm {
			_, err := reg.Chart(ctx, cv.chart, version.TagSpelling(cv.revision))
			switch {
			case errors.Is(err, registry.ErrNotFound), errors.Is(err, registry.ErrNotChart):
				return nil, nil
			case err != nil:
				return nil, fmt.Errorf("%s proposes %s %s, newer than this run found, and the registry could not confirm it: %w; re-run", pr.group.branch, chartName(cv.chart), cv.revision, err)
			}
		}
	}
	return newer, nil
}

// ahead leaves a branch that already proposes newer versions than this run found, and its
// pull request, as they are.
func (pr *proposer) ahead(ctx context.Context, p *Proposal, tip plumbing.Hash, newer []string) (bool, error) {
	p.Action, p.Commit = Unchanged, tip.String()
	p.Warnings = append(p.Warnings, fmt.Sprintf("%s already proposes newer versions (%s) than this run found, from a run that saw them first; it is left as it is",
		pr.group.branch, strings.Join(newer, ", ")))
	pr.deps.Log.Warningf("%s", p.Warnings[len(p.Warnings)-1])
	existing, err := pr.run.pulls.refind(ctx, pr.group.branch)
	if err != nil {
		return false, err
	}
	if existing != nil {
		p.Number, p.URL = existing.Number, existing.URL
	}
	return true, nil
}

// closedBefore reports, as done, a group whose exact changes a PR proposed that a person
// closed without merging: asking again for the same versions would be noise.
func (pr *proposer) closedBefore(ctx context.Context, p *Proposal) (bool, error) {
	closed, err := pr.closedProposal(ctx)
	if err != nil || closed == nil {
		return false, err
	}
	p.Action, p.Number, p.URL = Unchanged, closed.Number, closed.URL
	p.Warnings = append(p.Warnings, fmt.Sprintf("PR #%d proposed these versions and was closed without merging: they are not proposed again until a newer version is allowed", closed.Number))
	pr.deps.Log.Infof("%s: PR #%d was closed without merging; not reopened", pr.group.branch, closed.Number)
	return true, nil
}

// closedProposal finds a pull request from the group's branch that was closed without
// merging while proposing exactly the group's changes.
func (pr *proposer) closedProposal(ctx context.Context) (*github.PullRequest, error) {
	closed, err := pr.deps.GitHub.ListPullRequests(ctx, pr.opts.Owner, pr.opts.Repo, github.ListOptions{State: "closed", Base: pr.opts.Base, Head: pr.group.branch})
	if err != nil {
		return nil, err
	}
	for _, c := range closed {
		if c.Head != pr.group.branch || c.Merged {
			continue
		}
		if m, ok := parseMarker(c.Body); ok && m.Fingerprint == pr.group.fingerprint() {
			return c, nil
		}
	}
	return nil, nil
}

// blocked leaves a branch with commits the tool did not make alone, and says so on its
// pull request once.
func (pr *proposer) blocked(ctx context.Context, p *Proposal, head *gitrepo.Commit) error {
	p.Action = Blocked
	p.Err = &BlockedError{Branch: pr.group.branch, Commit: head.Hash.String(), Committer: head.Committer.Name}
	pr.deps.Log.Warningf("%v", p.Err)
	existing, err := pr.run.pulls.find(ctx, pr.group.branch)
	if err != nil || existing == nil {
		return err
	}
	p.Number, p.URL = existing.Number, existing.URL
	comments, err := pr.deps.GitHub.ListComments(ctx, pr.opts.Owner, pr.opts.Repo, existing.Number)
	if err != nil {
		return err
	}
	for _, c := range comments {
		if strings.Contains(c.Body, blockedMarker) {
			return nil
		}
	}
	msg := fmt.Sprintf("chart-promoter found a commit it did not make on `%s` and will not update this branch, so your work is kept. Newer versions (%s) are not proposed here until the branch is merged or deleted.\n\n%s",
		pr.group.branch, strings.Join(targetList(pr.group), ", "), blockedMarker)
	return pr.deps.GitHub.Comment(ctx, pr.opts.Owner, pr.opts.Repo, existing.Number, msg)
}

func targetList(g *group) []string {
	charts, versions := g.targets()
	var out []string
	for _, c := range charts {
		out = append(out, c+" "+strings.Join(versions[c], ", "))
	}
	return out
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
			if _, err := gh.UpdatePullRequest(ctx, o.Owner, o.Repo, existing.Number, p.Title, p.Body); err != nil {
				return err
			}
		}
		p.Action, p.Number, p.URL = Updated, existing.Number, existing.URL
		pr.deps.Log.Infof("%s: updated PR #%d", pr.group.branch, existing.Number)
		return nil
	}
	created, adopted, err := gh.CreatePullRequest(ctx, o.Owner, o.Repo, github.NewPullRequest{
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
			if _, err := gh.UpdatePullRequest(ctx, o.Owner, o.Repo, created.Number, p.Title, p.Body); err != nil {
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
	gh, o, opt := pr.deps.GitHub, pr.opts, pr.opts.PullRequest
	if len(opt.Labels) > 0 {
		if err := gh.AddLabels(ctx, o.Owner, o.Repo, created.Number, opt.Labels); err != nil {
			p.Warnings = append(p.Warnings, fmt.Sprintf("could not label: %v", err))
		}
	}
	if len(opt.Reviewers) > 0 || len(opt.TeamReviewers) > 0 {
		if err := gh.RequestReviewers(ctx, o.Owner, o.Repo, created.Number, opt.Reviewers, opt.TeamReviewers); err != nil {
			p.Warnings = append(p.Warnings, fmt.Sprintf("could not request reviewers: %v", err))
		}
	}
	if len(opt.Assignees) > 0 {
		if err := gh.AddAssignees(ctx, o.Owner, o.Repo, created.Number, opt.Assignees); err != nil {
			p.Warnings = append(p.Warnings, fmt.Sprintf("could not assign: %v", err))
		}
	}
	if opt.Milestone > 0 {
		if err := gh.SetMilestone(ctx, o.Owner, o.Repo, created.Number, opt.Milestone); err != nil {
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

// supersede closes older open promotion PRs whose every change a PR of this run now
// proposes at a version at least as new. Only PRs whose body carries the tool's marker
// are candidates, and never one whose branch holds a commit the tool did not make, nor one
// whose proposed tag was re-pushed (alarmed).
func supersede(ctx context.Context, opts ProposeOptions, deps Deps, res *Result, run *runState, alarmed map[string]bool) {
	type target struct {
		number int
		to     string
	}
	covered := map[string]target{} // file + path → the PR that now proposes it
	ours := map[string]bool{}
	for _, p := range res.Proposals {
		if p.Action != Opened && p.Action != Updated && p.Action != Unchanged {
			continue
		}
		ours[p.Branch] = true
		for _, c := range p.Changes {
			covered[c.File+"\x00"+c.Path] = target{p.Number, c.To}
		}
	}
	if len(covered) == 0 || !mayHaveOthers(ctx, deps, opts, run, ours) {
		return
	}
	open, err := run.pulls.list(ctx)
	if err != nil {
		deps.Log.Warningf("could not list open pull requests to close superseded ones: %v", err)
		return
	}
	for _, old := range open {
		if ours[old.Head] || alarmed[old.Head] {
			continue
		}
		m, ok := parseMarker(old.Body)
		if !ok || len(m.Changes) == 0 {
			continue
		}
		by := 0
		for _, c := range m.Changes {
			t, ok := covered[c.File+"\x00"+c.Path]
			if !ok || !atLeast(t.to, c.To) {
				// Not covered, or covered by an older version (a run under a narrower
				// policy): the old PR still proposes something this run does not.
				by = 0
				break
			}
			by = t.number
		}
		tip, owned := toolOwnsBranch(ctx, deps, old.Head, opts.Committer)
		if by == 0 || !owned {
			continue
		}
		if err := checkBudget(deps.GitHub, 2); err != nil {
			deps.Log.Warningf("PR #%d is superseded by #%d but is left open: %v", old.Number, by, err)
			return // a comment without the close would say something untrue
		}
		comment := fmt.Sprintf("Superseded by #%d, which proposes newer versions of the same changes. Closed by chart-promoter.", by)
		if err := deps.GitHub.Comment(ctx, opts.Owner, opts.Repo, old.Number, comment); err != nil {
			deps.Log.Warningf("could not comment on superseded PR #%d: %v", old.Number, err)
			continue
		}
		if err := deps.GitHub.ClosePullRequest(ctx, opts.Owner, opts.Repo, old.Number); err != nil {
			deps.Log.Warningf("could not close superseded PR #%d: %v", old.Number, err)
			continue
		}
		for i := range res.Proposals {
			if res.Proposals[i].Number == by {
				res.Proposals[i].Superseded = append(res.Proposals[i].Superseded, old.Number)
			}
		}
		deps.Log.Infof("closed PR #%d, superseded by #%d", old.Number, by)
		if !opts.KeepBranches {
			if err := deps.Git.DeleteBranch(ctx, old.Head, tip); err != nil {
				deps.Log.Warningf("could not delete %s, the branch of superseded PR #%d: %v", old.Head, old.Number, err)
			} else {
				deps.Log.Infof("deleted %s, the branch of superseded PR #%d", old.Head, old.Number)
			}
		}
	}
}

// deleteBranch deletes the branch of a pull request that was closed, unless the options
// keep branches; tip is the commit the tool made there (the lease: a branch that moved
// since is a person's now, and stays).
func (pr *proposer) deleteBranch(ctx context.Context, p *Proposal, branch string, tip plumbing.Hash) {
	if pr.opts.KeepBranches || tip.IsZero() {
		return
	}
	if err := pr.deps.Git.DeleteBranch(ctx, branch, tip); err != nil {
		p.Warnings = append(p.Warnings, fmt.Sprintf("could not delete %s, the branch of closed PR #%d: %v", branch, p.Number, err))
		return
	}
	pr.deps.Log.Infof("deleted %s, the branch of closed PR #%d", branch, p.Number)
}

// atLeast reports whether revision newer is the same version as older or a newer one;
// revisions that do not parse as versions only cover themselves.
func atLeast(newer, older string) bool {
	if newer == older {
		return true
	}
	n, err := version.ParseRevision(newer)
	if err != nil {
		return false
	}
	o, err := version.ParseRevision(older)
	if err != nil {
		return false
	}
	return version.Compare(n.SemVer, o.SemVer) >= 0
}

// toolOwnsBranch reports whether the tip of branch is a commit the tool made, and
// returns that tip.
func toolOwnsBranch(ctx context.Context, deps Deps, branch string, committer Identity) (plumbing.Hash, bool) {
	if err := deps.Git.Fetch(ctx, branch); err != nil {
		return plumbing.ZeroHash, false
	}
	tip, ok, err := deps.Git.RemoteBranch(ctx, branch)
	if err != nil || !ok {
		return plumbing.ZeroHash, false
	}
	head, err := deps.Git.Commit(tip)
	return tip, err == nil && madeByTool(head, committer)
}

// gitHubCommitter is the committer GitHub records on commits made through its API.
const gitHubCommitter = "noreply@github.com"

// madeByTool reports whether a commit is one the tool made: it carries the fingerprint
// trailer and the tool's committer (or GitHub's, for commits made through the API). An
// amend or a rebase by a person keeps the trailer but makes them the committer, so their
// version of the branch is left alone too.
func madeByTool(c *gitrepo.Commit, committer Identity) bool {
	if commitFingerprint(c.Message) == "" {
		return false
	}
	return strings.EqualFold(c.Committer.Email, committer.Email) || strings.EqualFold(c.Committer.Email, gitHubCommitter)
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

type discard struct{}

func (discard) Infof(string, ...any)    {}
func (discard) Warningf(string, ...any) {}
