package promote

import (
	"fmt"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/github"
)

// RateLimitError says that a group was held back before anything was written for it,
// because GitHub's API rate limit would have run out before its pull request was
// complete: a branch without its pull request, or a pull request without the labels and
// reviewers asked for, is worse than none. Once one group is held, so is every later one.
type RateLimitError struct {
	// Remaining is what the rate limit still allowed; Needed what the group would take.
	Remaining, Needed int
	// Reset is when GitHub renews the rate limit.
	Reset time.Time
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("held: GitHub's API rate limit allows %d more request(s) until %s and this pull request needs %d, so nothing was pushed or opened for it; re-run after %s",
		e.Remaining, e.Reset.UTC().Format(time.RFC3339), e.Needed, e.Reset.UTC().Format("15:04 MST"))
}

// Unwrap makes errors.Is(err, github.ErrRateLimited) true.
func (e *RateLimitError) Unwrap() error { return github.ErrRateLimited }

// requestsToFinish is how many GitHub API requests the group takes from its commit to a
// complete pull request: the commit itself through the API (a blob per file, the base
// commit, a tree, the commit, and the ref), opening or updating the pull request, and
// for a new one the labels, reviewers and assignees the options ask for. Auto-merge goes
// through GraphQL, whose rate limit is a separate one.
func (pr *proposer) requestsToFinish(files int, exists, newPR bool) int {
	n := 1
	if pr.opts.CommitVia == CommitViaAPI {
		n += files + 3 + 1
		if exists {
			n++ // the ref is read before it is moved
		}
	}
	if newPR {
		opt := pr.opts.PullRequest
		for _, asked := range []bool{len(opt.Labels) > 0, len(opt.Reviewers) > 0 || len(opt.TeamReviewers) > 0, len(opt.Assignees) > 0} {
			if asked {
				n++
			}
		}
	}
	return n
}

// checkBudget returns a *RateLimitError when GitHub's last answer left fewer requests than
// need; an unknown budget (no answer yet, or no rate limit) is no reason to stop.
func checkBudget(gh GitHub, need int) error {
	remaining, reset, known := gh.RateLimit()
	if !known || remaining >= need {
		return nil
	}
	return &RateLimitError{Remaining: remaining, Needed: need, Reset: reset}
}
