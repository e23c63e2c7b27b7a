package promote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/chart-promoter/chart-promoter/internal/github"
	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// branchState is what a promotion branch holds, measured against what the group proposes:
// the one decision updateBranch acts on.
type branchState int

const (
	// branchMissing: the remote has no such branch.
	branchMissing branchState = iota
	// branchForeign: its tip is a commit the tool did not make; the branch is left alone.
	branchForeign
	// branchCurrent: the tool's commit of exactly the group's changes, built on the values
	// the base still has; nothing to write.
	branchCurrent
	// branchOutdated: the tool's commit of other changes, or of these on values the base
	// no longer has; the commit is made again on the current base.
	branchOutdated
)

// classifyBranch says what a branch whose tip is head (nil when there is no branch) holds
// for a group with fingerprint; onOldValues reports whether a tip was built on values the
// base no longer has.
func classifyBranch(head *gitrepo.Commit, fingerprint string, committer Identity, onOldValues func(*gitrepo.Commit) bool) branchState {
	switch {
	case head == nil:
		return branchMissing
	case !madeByTool(head, committer):
		return branchForeign
	case commitFingerprint(head.Message) == fingerprint && !onOldValues(head):
		return branchCurrent
	}
	return branchOutdated
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
	var head *gitrepo.Commit
	if exists {
		if head, err = git.Commit(tip); err != nil {
			return false, fmt.Errorf("read %s: %w", g.branch, err)
		}
	}
	switch classifyBranch(head, g.fingerprint(), pr.opts.Committer, pr.builtOnOldValues) {
	case branchForeign:
		return true, pr.blocked(ctx, p, head)
	case branchCurrent:
		p.Commit = tip.String()
		return pr.unchanged(ctx, p, base)
	case branchOutdated:
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
	case branchMissing:
		// The branch is gone, perhaps deleted with a PR someone closed: respect that no.
		if done, err := pr.closedBefore(ctx, p); done || err != nil {
			return done, err
		}
	}
	files, err := pr.files(base)
	if err != nil {
		return false, err
	}
	if files.count() == 0 {
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
	if err := checkBudget(pr.deps.GitHub, pr.requestsToFinish(len(files.write), exists, newPR)); err != nil {
		return false, err // before anything is written: never half a pull request
	}
	message, err := pr.texts.commitMessage(g, pr.signOff())
	if err != nil {
		return false, err
	}
	expected := plumbing.ZeroHash
	if exists {
		expected = tip
	}
	commit, err := pr.committer().commit(ctx, g.branch, base, files, message, expected)
	if err != nil {
		return false, err
	}
	p.Commit = commit.String()
	pr.deps.Log.Infof("%s: committed %s on %s", g.branch, short(p.Commit), pr.opts.Base)
	return false, nil
}

// builtOnOldValues reports whether the branch's commit was made on a base where one of
// the group's values was not what it is now: the same versions are proposed, but the
// pull request would conflict (the minor update of a separateMajor pair was merged under
// the major one, say), so the commit is made again on the current base. A parent that
// cannot be read counts as current: a re-run with nothing new writes nothing.
func (pr *proposer) builtOnOldValues(head *gitrepo.Commit) bool {
	if len(head.Parents) == 0 {
		return false
	}
	scanned := map[string]map[sourceKey]manifest.Source{}
	for _, c := range pr.group.changes {
		sources, ok := scanned[c.File]
		if !ok {
			data, err := pr.deps.Git.ReadFile(head.Parents[0], pr.deps.RepoPath(c.File))
			if err != nil {
				return false
			}
			sources = sourcesByPath(c.File, data)
			scanned[c.File] = sources
		}
		if s, ok := sources[sourceKey{c.Path, c.Chart}]; ok && s.Revision != c.From {
			return true
		}
	}
	return false
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
		if files, err := pr.files(base); err == nil && files.count() == 0 {
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
	closed, err := pr.deps.GitHub.ListPullRequests(ctx, github.ListOptions{State: "closed", Base: pr.opts.Base, Head: pr.group.branch})
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
	comments, err := pr.deps.GitHub.ListComments(ctx, existing.Number)
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
	return pr.deps.GitHub.Comment(ctx, existing.Number, msg)
}

func targetList(g *group) []string {
	charts, versions := g.targets()
	var out []string
	for _, c := range charts {
		out = append(out, c+" "+strings.Join(versions[c], ", "))
	}
	return out
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
