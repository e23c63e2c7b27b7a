package promote

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/config"
)

// LimitError says that a group was held back, before anything was written for it,
// because opening its pull request would pass a limit of the config file. It is not a
// failure: a later run opens the pull request, once the limit allows.
type LimitError struct {
	// Limit is the config key: maxOpenPullRequests or maxNewPullRequestsPerRun.
	Limit string
	// Max is the limit's value; Count what it was measured against (the open promotion
	// pull requests, or those this run opened).
	Max, Count int
}

func (e *LimitError) Error() string {
	if e.Limit == "maxOpenPullRequests" {
		return fmt.Sprintf("held: %d promotion pull requests are open and maxOpenPullRequests is %d, so nothing was pushed or opened for this one; a run after one of them is merged or closed opens it", e.Count, e.Max)
	}
	return fmt.Sprintf("held: this run opened %d pull requests and maxNewPullRequestsPerRun is %d, so nothing was pushed or opened for this one; a later run opens it (oldest release first)", e.Count, e.Max)
}

// limiter counts the pull requests a run may still open.
type limiter struct {
	limits config.Limits
	// open is the number of the tool's promotion pull requests open before the run, and
	// opened how many this run opened.
	open, opened int
}

// check returns a *LimitError when one more pull request would pass a limit.
func (l *limiter) check() error {
	if l == nil {
		return nil
	}
	if max := l.limits.MaxNewPerRun; max > 0 && l.opened >= max {
		return &LimitError{Limit: "maxNewPullRequestsPerRun", Max: max, Count: l.opened}
	}
	if max := l.limits.MaxOpen; max > 0 && l.open+l.opened >= max {
		return &LimitError{Limit: "maxOpenPullRequests", Max: max, Count: l.open + l.opened}
	}
	return nil
}

// add counts a pull request the run opened.
func (l *limiter) add() {
	if l != nil {
		l.opened++
	}
}

// oldestFirst orders groups for proposing when limits may hold some back: the group
// whose oldest proposed version was released first comes first, as it has waited
// longest; groups whose release times are unknown follow, in their usual order.
// released returns a change's release time, zero when unknown.
func oldestFirst(groups []*group, released func(Change) time.Time) []*group {
	out := append([]*group(nil), groups...)
	oldest := make(map[*group]time.Time, len(groups))
	for _, g := range groups {
		var first time.Time
		for _, c := range g.changes {
			if t := released(c); !t.IsZero() && (first.IsZero() || t.Before(first)) {
				first = t
			}
		}
		oldest[g] = first
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := oldest[out[i]], oldest[out[j]]
		switch {
		case a.IsZero() || b.IsZero():
			return !a.IsZero() && b.IsZero()
		}
		return a.Before(b)
	})
	return out
}

// countOpen counts the tool's open promotion pull requests: those from a promotion branch
// whose body carries the tool's marker.
func countOpen(ctx context.Context, pulls *openPulls) (int, error) {
	open, err := pulls.list(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range open {
		if _, ok := parseMarker(p.Body); ok {
			n++
		}
	}
	return n, nil
}

// hasOpen reports whether branch has an open pull request, which a group may update
// whatever the limits; when that cannot be told, it says yes and lets the group find out.
func (r *runState) hasOpen(ctx context.Context, branch string) bool {
	open, err := r.pulls.find(ctx, branch)
	return err != nil || open != nil
}

// releaseTime is when the version a change proposes was pushed, from its manifest's
// org.opencontainers.image.created annotation (helm push writes it); zero when unknown.
func releaseTime(c Change) time.Time {
	if c.recorded == nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, c.recorded.created)
	if err != nil {
		return time.Time{}
	}
	return t
}
