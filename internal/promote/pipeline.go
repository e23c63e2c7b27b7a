package promote

import (
	"context"
	"slices"
	"sync"

	"github.com/chart-promoter/chart-promoter/internal/promote/gate"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/verify"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// pipeline starts a plan's registry reads while discovery is still reading files: a
// repository's tag list as soon as the first source that may move names it, and the
// manifest and config of a constraint's newest allowed version as soon as one source is
// known to be older. Discovery waits on the disk and the CPU, resolution on registries;
// overlapped, a plan takes about as long as the slower of the two rather than their sum.
//
// It is also the Registry resolution reads through: what it read early is answered from
// memory, everything else is read then. So it reads nothing resolution would not: the
// gate walk of a group starts at its newest allowed version (always the chart gate's
// manifest read) whenever a source of the group is older, whoever else joins the group
// later. Where that is not certain it reads nothing early: when the config has stages
// (a stage decides from Git which version a downstream source may take, or drops it),
// and for a repository open pull requests propose versions of (those are confirmed with
// a HEAD, and a re-pushed tag fails the chart before any walk).
type pipeline struct {
	ctx    context.Context
	cancel context.CancelFunc
	reg    Registry
	limits *hostLimits
	memo   *version.Memo // one per run: charts share tag spellings and policies
	known  map[string]map[string][]gate.Known
	early  bool // reads may start before resolution asks; false once discovery is over
	wg     sync.WaitGroup

	mu     sync.Mutex
	charts map[string]*chartReads
	// listings and manifests are the reads made, by chart and by chart and reference,
	// each once however many ask; an entry exists from when its read starts.
	listings  map[string]*cachedRead[listing]
	manifests map[[2]string]*cachedRead[registry.ChartVersion]
}

// listing is a repository's tag list as resolution takes it: its versions, newest first,
// and how many tags there were and how many of them were no version. Kept parsed, not as
// the list the registry sent: a fleet's thousands of tag lists are not held twice.
type listing struct {
	versions      []version.Version
	tags, ignored int
}

// lister is a Registry that keeps tag lists parsed: the pipeline.
type lister interface {
	versions(ctx context.Context, chart string) (listing, error)
}

// listVersions reads chart's tag list and parses it, or takes it from reg when reg keeps
// it parsed.
func listVersions(ctx context.Context, reg Registry, memo *version.Memo, chart string) (listing, error) {
	if l, ok := reg.(lister); ok {
		return l.versions(ctx, chart)
	}
	return readListing(ctx, reg, memo, chart)
}

func readListing(ctx context.Context, reg Registry, memo *version.Memo, chart string) (listing, error) {
	tags, err := reg.Tags(ctx, chart)
	if err != nil {
		return listing{}, err
	}
	versions, ignored := memo.ParseTags(tags)
	return listing{versions: versions, tags: len(tags), ignored: len(ignored)}, nil
}

// cachedRead is one registry read, shared by whoever asks for it.
type cachedRead[T any] struct {
	done   chan struct{}
	value  T
	err    error
	takers int
}

// chartReads is what the pipeline knows early of one repository.
type chartReads struct {
	chart    string
	mu       sync.Mutex
	listed   bool              // the tag list is in (or failed: versions nil)
	waiting  []candidate       // sources seen before it was
	versions []version.Version // newest first
	newest   map[string]int    // by constraint: index of the newest allowed version, -1 for none
	started  map[string]bool   // the tags whose manifest read has started early
}

// newPipeline returns a pipeline over reg, at most concurrency reads in flight to each
// registry host (0: DefaultConcurrency); early says whether reads may start before
// resolution asks (see pipeline). Stop it when done.
func newPipeline(ctx context.Context, reg Registry, concurrency int, known map[string]map[string][]gate.Known, early bool) *pipeline {
	ctx, cancel := context.WithCancel(ctx)
	return &pipeline{
		ctx: ctx, cancel: cancel, reg: reg, known: known, early: early,
		limits:    newHostLimits(concurrency),
		memo:      version.NewMemo(),
		charts:    map[string]*chartReads{},
		listings:  map[string]*cachedRead[listing]{},
		manifests: map[[2]string]*cachedRead[registry.ChartVersion]{},
	}
}

// discovered says discovery is over: no source comes any more, so what the pipeline kept
// to judge them (every repository's versions) can go before resolution holds its own.
func (p *pipeline) discovered() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.early, p.charts = false, nil
}

// stop abandons what is still being read early, waits until every such read has ended,
// and lets go of what was read.
func (p *pipeline) stop() {
	p.cancel()
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.charts, p.listings, p.manifests = nil, nil, nil
}

// add takes a source that may move, from discovery. Safe for concurrent use.
func (p *pipeline) add(c candidate) {
	if len(p.known[c.src.Chart]) > 0 {
		return
	}
	p.mu.Lock()
	if !p.early {
		p.mu.Unlock()
		return
	}
	r := p.charts[c.src.Chart]
	if r == nil {
		r = &chartReads{chart: c.src.Chart, newest: map[string]int{}, started: map[string]bool{}}
		p.charts[c.src.Chart] = r
		p.wg.Add(1)
		go p.list(r)
	}
	p.mu.Unlock()

	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.listed {
		r.waiting = append(r.waiting, c)
		return
	}
	p.consider(r, c)
}

// list reads r's tag list early, then considers the sources that came meanwhile.
func (p *pipeline) list(r *chartReads) {
	defer p.wg.Done()
	var versions []version.Version
	if release, err := p.limits.acquire(p.ctx, registryHost(r.chart)); err == nil {
		list, err := p.versions(p.ctx, r.chart)
		release()
		if err == nil {
			versions = list.versions
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.listed, r.versions = true, versions
	for _, c := range r.waiting {
		p.consider(r, c)
	}
	r.waiting = nil
}

// consider starts reading the newest version c's constraint allows, if c is older and
// nobody started it yet. r.mu is held and the tag list is in.
func (p *pipeline) consider(r *chartReads, c candidate) {
	if r.versions == nil {
		return // the tag list failed: resolution reports it
	}
	key := c.constraint.String()
	i, ok := r.newest[key]
	if !ok {
		i = slices.IndexFunc(r.versions, func(v version.Version) bool { return p.memo.Allows(c.constraint, v) })
		r.newest[key] = i
	}
	if i < 0 || version.Compare(r.versions[i].SemVer, c.current.SemVer) <= 0 || r.started[r.versions[i].Tag] {
		return
	}
	tag := r.versions[i].Tag
	r.started[tag] = true
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		release, err := p.limits.acquire(p.ctx, registryHost(r.chart))
		if err != nil {
			return
		}
		defer release()
		_, _ = p.Chart(p.ctx, r.chart, tag) // kept for the walk, error and all
	}()
}

// versions reads chart's tag list once, however many ask, and keeps it parsed.
func (p *pipeline) versions(ctx context.Context, chart string) (listing, error) {
	reads := func() map[string]*cachedRead[listing] { return p.listings }
	return once(ctx, &p.mu, reads, chart, func() (listing, error) { return readListing(ctx, p.reg, p.memo, chart) })
}

// Tags is the registry's, for those who want the list itself.
func (p *pipeline) Tags(ctx context.Context, chart string) ([]string, error) {
	return p.reg.Tags(ctx, chart)
}

// Chart is the registry's, each chart's reference read once.
func (p *pipeline) Chart(ctx context.Context, chart, reference string) (registry.ChartVersion, error) {
	reads := func() map[[2]string]*cachedRead[registry.ChartVersion] { return p.manifests }
	return once(ctx, &p.mu, reads, [2]string{chart, reference}, func() (registry.ChartVersion, error) {
		return p.reg.Chart(ctx, chart, reference)
	})
}

// Open is the registry's: HEADs and signatures are read when the gates ask.
func (p *pipeline) Open(ctx context.Context, repository string) (verify.Store, error) {
	return p.reg.Open(ctx, repository)
}

// once makes read for key, or waits for the one already under way and takes its answer.
// A read that is not under way is made by the caller itself: resolution, which holds a
// place of the host while it reads, never waits for one that waits for a place. Each
// read has two takers at most, the early reader and resolution: the second lets it go.
func once[K comparable, T any](ctx context.Context, mu *sync.Mutex, of func() map[K]*cachedRead[T], key K, read func() (T, error)) (T, error) {
	mu.Lock()
	reads := of()
	if reads == nil { // stopped
		mu.Unlock()
		return read()
	}
	if r := reads[key]; r != nil {
		if r.takers++; r.takers >= 2 {
			delete(reads, key)
		}
		mu.Unlock()
		select {
		case <-r.done:
			return r.value, r.err
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
	r := &cachedRead[T]{done: make(chan struct{}), takers: 1}
	reads[key] = r
	mu.Unlock()
	r.value, r.err = read()
	close(r.done)
	return r.value, r.err
}
