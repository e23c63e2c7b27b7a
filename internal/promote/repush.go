package promote

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// repushedMarker tags the comment left on a pull request whose proposed tag now holds
// other content, one per chart, tag and digest found, so re-runs comment only once.
func repushedMarker(chart string, r *Repushed) string {
	return fmt.Sprintf("<!-- chart-promoter:repushed %s:%s %s -->", chart, r.Tag, r.Found)
}

// raiseRepushAlarms says once, on every open pull request whose proposed tag was pushed
// again with other content, what changed and what to do. It returns the branches of those
// pull requests: they are not updated while the alarm stands. A comment that cannot be
// made is a warning: the plan's error already fails the run.
func raiseRepushAlarms(ctx context.Context, opts ProposeOptions, deps Deps, plan *Plan) map[string]bool {
	branches := map[string]bool{}
	byPR := map[int][]Error{}
	for _, e := range plan.Errors {
		if e.Repushed == nil {
			continue
		}
		branches[e.Repushed.Branch] = true
		byPR[e.Repushed.PullRequest] = append(byPR[e.Repushed.PullRequest], e)
	}
	if opts.DryRun || deps.GitHub == nil || len(byPR) == 0 {
		return branches
	}
	numbers := make([]int, 0, len(byPR))
	for n := range byPR {
		numbers = append(numbers, n)
	}
	sort.Ints(numbers)
	for _, n := range numbers {
		if err := checkBudget(deps.GitHub, 2); err != nil {
			deps.Log.Warningf("PR #%d proposes a tag that was pushed again, and is not told so in this run: %v", n, err)
			continue // a later run, which finds no comment yet, makes it
		}
		comments, err := deps.GitHub.ListComments(ctx, n)
		if err != nil {
			deps.Log.Warningf("could not read the comments of PR #%d to warn of a re-pushed tag: %v", n, err)
			continue
		}
		for _, e := range byPR[n] {
			marker := repushedMarker(e.Chart, e.Repushed)
			said := false
			for _, c := range comments {
				if strings.Contains(c.Body, marker) {
					said = true
					break
				}
			}
			if said {
				continue
			}
			if err := deps.GitHub.Comment(ctx, n, repushedComment(e.Chart, e.Repushed, marker)); err != nil {
				deps.Log.Warningf("could not warn PR #%d of the re-pushed tag %s:%s: %v", n, e.Chart, e.Repushed.Tag, err)
				continue
			}
			deps.Log.Warningf("PR #%d: %s:%s was pushed again with other content; said so on the pull request", n, e.Chart, e.Repushed.Tag)
		}
	}
	return branches
}

func repushedComment(chart string, r *Repushed, marker string) string {
	return fmt.Sprintf("⚠️ **The tag `%s` of `%s` now holds other content than this pull request proposed.**\n\n"+
		"- proposed: `%s`\n- now: `%s`\n\n"+
		"Someone pushed this version again. Argo CD pulls the tag, not the digest, so merging this pull request now would deploy the new content, which nobody reviewed. "+
		"chart-promoter does not update this pull request, and proposes nothing for this chart, until the tag holds `%s` again or this pull request is closed. "+
		"Ask the chart's publisher which content is the release.\n\n%s",
		cell(r.Tag), cell(chart), cell(r.Recorded), cell(r.Found), cell(r.Recorded), marker)
}

// RepushBlockedError says a group's pull request is left as it is because a tag it
// proposes now holds other content than it recorded (the plan's errors name the tag).
type RepushBlockedError struct {
	Branch string
}

func (e *RepushBlockedError) Error() string {
	return e.Branch + " is not updated: its pull request proposes a tag that now holds other content (see the errors); close it, or have the tag restored, to resume promotions"
}
