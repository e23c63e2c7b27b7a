package promote

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/chart-promoter/chart-promoter/internal/promote/gate"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/verify"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// resolution is what one chart repository offers: its versions and, per group of sources
// with one constraint and one gate policy, the version their gates let through.
type resolution struct {
	tagCount int
	ignored  int
	// versions are the repository's versions, newest first, when a source of it has a
	// Chart.yaml range (nil otherwise).
	versions []version.Version
	err      error
	answers  map[string]answer
}

// answer is one group's outcome of the gate chain.
type answer struct {
	// best is the newest allowed version that passed every gate, or the newest allowed one
	// at or below every member's current version (unchecked: nobody moves to it); nil
	// when there is neither.
	best *chartVersion
	// held are the newer versions the gates passed over, newest first; truncated says the
	// walk stopped at gate.MaxHeld.
	held      []gate.Hold
	truncated bool
	err       error
}

type chartVersion struct {
	version version.Version
	// chart is the chart version without its manifest, which the gates are done with.
	chart registry.ChartVersion
	// verification is what the group's verify policy found, nil without one.
	verification *verify.Result
	// recorded is what a pull request's marker keeps of the manifest.
	recorded *recorded
}

// recorded is what a promotion pull request's marker records of a version's manifest
// beyond its digest, so that a later run confirms the version with a HEAD alone: its
// config blob (for the metadata) and its creation-time annotation (for the age gate).
type recorded struct {
	config  ocispec.Descriptor
	created string
}

// proposed is the answer for a version that passed the gates: the manifest itself is
// dropped, so a fleet's plan does not hold every proposed version's manifest to the end.
func proposed(c *gate.Candidate, policy *GatePolicy) *chartVersion {
	cv := *c.ChartVersion()
	rec := &recorded{config: cv.Manifest.Config, created: cv.Manifest.Annotations[gate.AnnotationCreated]}
	cv.Manifest = ocispec.Manifest{}
	return &chartVersion{version: c.Version, chart: cv, verification: c.Verification(policy.verify()), recorded: rec}
}

// resolveOptions are what resolution needs beyond the registry.
type resolveOptions struct {
	// limits bound the repositories resolved at once, per registry host.
	limits *hostLimits
	// memo remembers tag parses and constraint checks for the run; nil: a new one.
	memo *version.Memo
	// known are the versions open pull requests propose, by chart and tag.
	known map[string]map[string][]gate.Known
	now   func() time.Time
}

// resolveAll reads every chart repository once, at most o.limits' share of each registry
// host at a time, and finds for each group of sources the newest allowed version its
// gates let through.
func resolveAll(ctx context.Context, reg Registry, byChart map[string][]candidate, o resolveOptions) map[string]*resolution {
	limits := o.limits
	if limits == nil {
		limits = newHostLimits(DefaultConcurrency)
	}
	out := make(map[string]*resolution, len(byChart))
	memo := o.memo
	if memo == nil {
		memo = version.NewMemo() // one per run: charts share tag spellings and policies
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for chart, cands := range byChart {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := limits.acquire(ctx, registryHost(chart))
			if err != nil {
				mu.Lock()
				out[chart] = &resolution{err: err}
				mu.Unlock()
				return
			}
			defer release()
			r := resolveChart(ctx, reg, chart, cands, memo, o)
			mu.Lock()
			out[chart] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

func resolveChart(ctx context.Context, reg Registry, chart string, cands []candidate, memo *version.Memo, o resolveOptions) *resolution {
	list, err := listVersions(ctx, reg, memo, chart)
	if err != nil {
		return &resolution{err: err}
	}
	versions := list.versions
	repo := gate.NewRepository(reg, chart, o.known[chart])

	// The re-push alarm first, on every version an open pull request proposes: a tag that
	// moved stops the whole chart, even where a newer version would be proposed.
	for _, c := range repo.Proposed(versions) {
		if _, err := (gate.Unchanged{}).Check(ctx, c); err != nil {
			return &resolution{err: err}
		}
	}

	// Group the candidates by constraint and gate policy: each group needs one answer.
	type group struct {
		constraint *version.Constraint
		policy     *GatePolicy
		oldest     version.Version // the lowest current version in the group
		// only is the stage's version, the one the group may take; major, when set, the
		// major version the group stays within.
		only  *version.Version
		major *uint64
	}
	groups := map[string]*group{}
	for _, c := range cands {
		g := groups[c.group]
		if g == nil {
			g := &group{constraint: c.constraint, policy: c.policy, oldest: c.current, only: c.only}
			if c.withinMajor {
				m := c.current.SemVer.Major()
				g.major = &m
			}
			groups[c.group] = g
			continue
		}
		if version.Compare(c.current.SemVer, g.oldest.SemVer) < 0 {
			g.oldest = c.current
		}
	}

	r := &resolution{tagCount: list.tags, ignored: list.ignored, answers: make(map[string]answer, len(groups))}
	// Only what a Chart.yaml range keeps back reads the versions after this (see
	// heldBackByRange): a fleet's plan does not hold every repository's versions to the end.
	if slices.ContainsFunc(cands, func(c candidate) bool { return c.unranged != nil }) {
		r.versions = versions
	}
	for key, g := range groups {
		allows := func(v version.Version) bool {
			switch {
			case g.only != nil && version.Compare(v.SemVer, g.only.SemVer) != 0:
				return false
			case g.major != nil && v.SemVer.Major() != *g.major:
				return false
			}
			return memo.Allows(g.constraint, v)
		}
		// The floor is the group's oldest current version: nobody in the group moves to a
		// version at or below it, so the walk stops there without reading it.
		out, err := gate.Walk(ctx, repo, g.policy.chain(reg, o.now), versions, allows, g.oldest.SemVer)
		a := answer{held: out.Held, truncated: out.Truncated, err: err}
		switch {
		case err != nil:
		case out.Passed != nil:
			a.best = proposed(out.Passed, g.policy)
		case out.Floor != nil:
			a.best = &chartVersion{version: *out.Floor}
		}
		r.answers[key] = a
	}
	return r
}

// Newest returns the newest version of chart that constraint allows and that is a Helm
// chart, with its digest and metadata. It returns an error when none is.
func Newest(ctx context.Context, reg Registry, chart string, constraint *version.Constraint) (version.Version, registry.ChartVersion, error) {
	tags, err := reg.Tags(ctx, chart)
	if err != nil {
		return version.Version{}, registry.ChartVersion{}, err
	}
	versions, _ := version.ParseTags(tags)
	out, err := gate.Walk(ctx, gate.NewRepository(reg, chart, nil), []gate.Gate{gate.Chart{}}, versions, constraint.Allows, nil)
	if err != nil {
		return version.Version{}, registry.ChartVersion{}, fmt.Errorf("%s: %w", chart, err)
	}
	if out.Passed == nil {
		return version.Version{}, registry.ChartVersion{}, fmt.Errorf("%s: no chart version among %d tags satisfies %s", chart, len(tags), constraint)
	}
	return out.Passed.Version, *out.Passed.ChartVersion(), nil
}
