package promote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// maxNotCharts bounds how many tags in a row may turn out not to be charts before the
// search for an allowed chart version gives up, so a repository full of container images
// cannot make one run fetch thousands of manifests.
const maxNotCharts = 10

// resolution is what one chart repository offers: its versions and, per constraint,
// the newest allowed version that is really a chart.
type resolution struct {
	tagCount int
	ignored  int
	err      error
	best     func(constraint string) (*chartVersion, error)
}

type chartVersion struct {
	version version.Version
	chart   registry.ChartVersion
}

// resolveAll reads every chart repository once, at most concurrency at a time, and finds
// for each constraint in use the newest allowed chart version.
func resolveAll(ctx context.Context, reg Registry, byChart map[string][]candidate, concurrency int) map[string]*resolution {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	out := make(map[string]*resolution, len(byChart))
	memo := version.NewMemo() // one per run: charts share tag spellings and policies
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, concurrency)
	for chart, cands := range byChart {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				mu.Lock()
				out[chart] = &resolution{err: ctx.Err()}
				mu.Unlock()
				return
			}
			r := resolveChart(ctx, reg, chart, cands, memo)
			mu.Lock()
			out[chart] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

func resolveChart(ctx context.Context, reg Registry, chart string, cands []candidate, memo *version.Memo) *resolution {
	tags, err := reg.Tags(ctx, chart)
	if err != nil {
		return &resolution{err: err}
	}
	versions, ignored := memo.ParseTags(tags)
	r := &resolution{tagCount: len(tags), ignored: len(ignored)}

	// Group the candidates by constraint: each group needs one answer.
	type group struct {
		constraint *version.Constraint
		oldest     version.Version // the lowest current version in the group
	}
	groups := map[string]*group{}
	for _, c := range cands {
		g := groups[c.constraint.String()]
		if g == nil {
			groups[c.constraint.String()] = &group{constraint: c.constraint, oldest: c.current}
			continue
		}
		if version.Compare(c.current.SemVer, g.oldest.SemVer) < 0 {
			g.oldest = c.current
		}
	}

	fetched := map[string]registry.ChartVersion{}
	fetchErr := map[string]error{}
	fetch := func(tag string) (registry.ChartVersion, error) {
		if cv, ok := fetched[tag]; ok {
			return cv, nil
		}
		if err, ok := fetchErr[tag]; ok {
			return registry.ChartVersion{}, err
		}
		cv, err := reg.Chart(ctx, chart, tag)
		if err != nil {
			fetchErr[tag] = err
			return cv, err
		}
		fetched[tag] = cv
		return cv, nil
	}

	type answer struct {
		best *chartVersion
		err  error
	}
	answers := map[string]answer{}
	for key, g := range groups {
		answers[key] = func() answer {
			allows := func(v version.Version) bool { return memo.Allows(g.constraint, v) }
			first := slices.IndexFunc(versions, allows)
			if first < 0 {
				return answer{}
			}
			if version.Compare(versions[first].SemVer, g.oldest.SemVer) <= 0 {
				// Nobody in the group would move: no manifest needs fetching to say so.
				return answer{best: &chartVersion{version: versions[first]}}
			}
			v, cv, err := firstChart(versions[first:], allows, fetch)
			if err != nil || v == nil {
				return answer{err: err}
			}
			return answer{best: &chartVersion{version: *v, chart: cv}}
		}()
	}
	r.best = func(constraint string) (*chartVersion, error) {
		a := answers[constraint]
		return a.best, a.err
	}
	return r
}

// firstChart walks versions (newest first) and returns the first that allows accepts
// and whose manifest is a Helm chart, passing over container images and the like, up to
// maxNotCharts of them. It checks the constraint lazily: the walk usually ends at the
// first allowed version, so a list of thousands is rarely checked whole.
func firstChart(versions []version.Version, allows func(version.Version) bool, fetch func(tag string) (registry.ChartVersion, error)) (*version.Version, registry.ChartVersion, error) {
	notCharts := 0
	for _, v := range versions {
		if !allows(v) {
			continue
		}
		cv, err := fetch(v.Tag)
		if errors.Is(err, registry.ErrNotChart) {
			if notCharts++; notCharts >= maxNotCharts {
				return nil, cv, fmt.Errorf("the %d newest allowed tags are not Helm charts (last: %v)", notCharts, err)
			}
			continue
		}
		if errors.Is(err, registry.ErrNotFound) {
			// The tag list has just named it: the registry is out of step with itself (a
			// replica lagging, a tag deleted meanwhile). Moving to an older version instead
			// would promote something the next run moves past again; the chart fails.
			return nil, cv, fmt.Errorf("tag %s was listed but cannot be read, so the newest allowed version is unknown (deleted meanwhile, or a registry replica lagging behind: run again): %w", v.Tag, err)
		}
		if err != nil {
			return nil, cv, err
		}
		return &v, cv, nil
	}
	if notCharts > 0 {
		return nil, registry.ChartVersion{}, fmt.Errorf("all %d allowed tags are not Helm charts (container images or other artifacts)", notCharts)
	}
	return nil, registry.ChartVersion{}, nil
}

// Newest returns the newest version of chart that constraint allows and that is a Helm
// chart, with its digest and metadata. It returns an error when none is.
func Newest(ctx context.Context, reg Registry, chart string, constraint *version.Constraint) (version.Version, registry.ChartVersion, error) {
	tags, err := reg.Tags(ctx, chart)
	if err != nil {
		return version.Version{}, registry.ChartVersion{}, err
	}
	versions, _ := version.ParseTags(tags)
	v, cv, err := firstChart(versions, constraint.Allows, func(tag string) (registry.ChartVersion, error) {
		return reg.Chart(ctx, chart, tag)
	})
	if err != nil {
		return version.Version{}, cv, fmt.Errorf("%s: %w", chart, err)
	}
	if v == nil {
		return version.Version{}, cv, fmt.Errorf("%s: no chart version among %d tags satisfies %s", chart, len(tags), constraint)
	}
	return *v, cv, nil
}
