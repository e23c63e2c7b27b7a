package promote

import (
	"context"
	"fmt"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/version"
)

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
	// Pull requests the base branch has overtaken (it already runs each of their versions,
	// or newer, as when the major update of a separateMajor pair was merged under the
	// minor one) are closed too: merging one now would conflict, or move a version back.
	if (len(covered) == 0 && len(res.Plan.revisions) == 0) || !mayHaveOthers(ctx, deps, opts, run, ours) {
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
		overtaken := by == 0 && res.Plan.runsAtLeast(m.Changes)
		if by == 0 && !overtaken {
			continue
		}
		tip, owned := toolOwnsBranch(ctx, deps, old.Head, opts.Committer)
		if !owned {
			continue
		}
		if err := checkBudget(deps.GitHub, 2); err != nil {
			deps.Log.Warningf("PR #%d is superseded but is left open: %v", old.Number, err)
			return // a comment without the close would say something untrue
		}
		comment := fmt.Sprintf("Superseded by #%d, which proposes newer versions of the same changes. Closed by chart-promoter.", by)
		if overtaken {
			comment = fmt.Sprintf("%s already runs these versions or newer (%s), so this pull request has nothing left to propose. Closed by chart-promoter.", opts.Base, strings.Join(res.Plan.revisionsOf(m.Changes), ", "))
		}
		if err := deps.GitHub.Comment(ctx, old.Number, comment); err != nil {
			deps.Log.Warningf("could not comment on superseded PR #%d: %v", old.Number, err)
			continue
		}
		if err := deps.GitHub.ClosePullRequest(ctx, old.Number); err != nil {
			deps.Log.Warningf("could not close superseded PR #%d: %v", old.Number, err)
			continue
		}
		if overtaken {
			res.Closed = append(res.Closed, old.Number)
			deps.Log.Infof("closed PR #%d: %s already runs its versions", old.Number, opts.Base)
		} else {
			for i := range res.Proposals {
				if res.Proposals[i].Number == by {
					res.Proposals[i].Superseded = append(res.Proposals[i].Superseded, old.Number)
				}
			}
			deps.Log.Infof("closed PR #%d, superseded by #%d", old.Number, by)
		}
		if !opts.KeepBranches {
			if err := deps.Git.DeleteBranch(ctx, old.Head, tip); err != nil {
				deps.Log.Warningf("could not delete %s, the branch of superseded PR #%d: %v", old.Head, old.Number, err)
			} else {
				deps.Log.Infof("deleted %s, the branch of superseded PR #%d", old.Head, old.Number)
			}
		}
	}
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
