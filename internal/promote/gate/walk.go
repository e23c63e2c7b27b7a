package gate

import (
	"context"
	"errors"
	"fmt"

	"github.com/Masterminds/semver/v3"

	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// Bounds on a walk, so that no repository can make one run read without limit.
const (
	// MaxNotCharts is how many allowed tags may turn out not to be charts (a repository
	// full of container images) before the chart fails.
	MaxNotCharts = 10
	// MaxHeld is how many versions the gates may hold back before the walk stops looking
	// at older ones: each costs a manifest read and a verification.
	MaxHeld = 10
)

// Outcome is where a walk ended.
type Outcome struct {
	// Passed is the newest allowed version above the floor that passed every gate; nil
	// when none did.
	Passed *Candidate
	// Floor is the newest allowed version at or below the floor, which the walk reached
	// without a pass. Nobody would move to it, so no gate looked at it; nil when the walk
	// ended otherwise.
	Floor *version.Version
	// Held are the versions the gates passed over, newest first.
	Held []Hold
	// Truncated says the walk stopped after MaxHeld held versions: older ones were not
	// looked at.
	Truncated bool
}

// Walk passes versions (sorted newest first) that allows accepts through gates, in order,
// and stops at the first that passes every gate. A version at or below floor (nil: no
// floor) ends the walk unchecked. An error is a gate that could not decide, or a
// repository the bounds gave up on: the chart fails.
func Walk(ctx context.Context, repo *Repository, gates []Gate, versions []version.Version, allows func(version.Version) bool, floor *semver.Version) (Outcome, error) {
	var out Outcome
	notCharts := 0
	for i := range versions {
		v := versions[i]
		if !allows(v) {
			continue
		}
		if floor != nil && version.Compare(v.SemVer, floor) <= 0 {
			out.Floor = &versions[i]
			return out, nil
		}
		c := repo.Candidate(v)
		hold, failed, err := check(ctx, gates, c)
		// Only the chart gate's reads say something about the tag itself; a signature
		// provider's "not found" is its own business, already worded by it.
		byChart := failed == (Chart{}).Name()
		switch {
		case byChart && errors.Is(err, registry.ErrNotChart):
			if notCharts++; notCharts >= MaxNotCharts {
				return out, fmt.Errorf("the %d newest allowed tags are not Helm charts (last: %v)", notCharts, err)
			}
			continue
		case byChart && errors.Is(err, registry.ErrNotFound):
			// The tag list has just named it: the registry is out of step with itself (a
			// replica lagging, a tag deleted meanwhile). Moving to an older version instead
			// would promote something the next run moves past again; the chart fails.
			return out, fmt.Errorf("tag %s was listed but cannot be read, so the newest allowed version is unknown (deleted meanwhile, or a registry replica lagging behind: run again): %w", v.Tag, err)
		case err != nil:
			return out, err
		case hold != nil:
			hold.Version, hold.Tag = v.String(), v.Tag
			out.Held = append(out.Held, *hold)
			if len(out.Held) >= MaxHeld {
				out.Truncated = true
				return out, nil
			}
			continue
		}
		out.Passed = c
		return out, nil
	}
	if notCharts > 0 && len(out.Held) == 0 {
		return out, fmt.Errorf("all %d allowed tags are not Helm charts (container images or other artifacts)", notCharts)
	}
	return out, nil
}

// check runs the gates on c in order; the first hold or error ends it, and failed names
// the gate that held or erred.
func check(ctx context.Context, gates []Gate, c *Candidate) (hold *Hold, failed string, err error) {
	for _, g := range gates {
		hold, err := g.Check(ctx, c)
		if err != nil || hold != nil {
			if hold != nil && hold.Gate == "" {
				hold.Gate = g.Name()
			}
			return hold, g.Name(), err
		}
	}
	return nil, "", nil
}
