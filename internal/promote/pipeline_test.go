package promote

import (
	"context"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/manifest"
	gatepkg "github.com/chart-promoter/chart-promoter/internal/promote/gate"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// requestGate holds every registry request, once armed, until the test lets it through:
// the test sees the requests in the order the client sends them and decides when each
// is answered, so what a pipeline reads before what can be checked without a clock.
type requestGate struct {
	armed   atomic.Bool
	arrived chan string
	release chan struct{}
}

func newRequestGate() *requestGate {
	return &requestGate{arrived: make(chan string, 100), release: make(chan struct{})}
}

func (g *requestGate) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.armed.Load() {
			g.arrived <- r.Method + " " + r.URL.Path
			select {
			case <-g.release:
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// next waits for the next request and fails t unless it starts with want; it lets the
// request through when pass is set.
func (g *requestGate) next(t *testing.T, want string, pass bool) {
	t.Helper()
	if got := g.wait(t); !strings.HasPrefix(got, want) {
		t.Fatalf("the next request is %q, want %q…", got, want)
	}
	if pass {
		g.release <- struct{}{}
	}
}

// wait returns the next request, failing t if none comes within 10 s.
func (g *requestGate) wait(t *testing.T) string {
	t.Helper()
	select {
	case got := <-g.arrived:
		return got
	case <-time.After(10 * time.Second):
		t.Fatal("no request came within 10 s")
	}
	return ""
}

// nothingMore fails t if a request arrived that the test did not expect.
func (g *requestGate) nothingMore(t *testing.T) {
	t.Helper()
	select {
	case got := <-g.arrived:
		t.Errorf("unexpected request %q", got)
	default:
	}
}

// candidateAt is a Helm-OCI source of chart at revision, with no constraint set.
func candidateAt(t *testing.T, chart, revision string) candidate {
	t.Helper()
	src := manifest.Source{File: "app.yaml", Kind: "Application", Chart: chart, Revision: revision, Form: manifest.HelmOCI, Location: manifest.Location{Line: 1, Column: 1}}
	c, skip, err := assess(src, "", config.Resolved{}, nil, nil)
	if skip != nil || err != nil {
		t.Fatalf("assess %s %s: skip %v, error %v", chart, revision, skip, err)
	}
	return c
}

// resolveThrough resolves byChart as Make does once discovery is done, reading through p.
func resolveThrough(t *testing.T, p *pipeline, byChart map[string][]candidate) map[string]*resolution {
	t.Helper()
	return resolveAll(t.Context(), p, byChart, resolveOptions{limits: p.limits, memo: p.memo, known: p.known, now: time.Now})
}

func TestThePipelineReadsEachThingAsSoonAsItIsKnownToBeNeeded(t *testing.T) {
	t.Parallel()
	gate := newRequestGate()
	reg := testenv.StartRegistry(t, testenv.WithMiddleware(gate.middleware))
	reg.PushChart(t, "charts", "webapp", "1.0.0")
	newest := reg.PushChart(t, "charts", "webapp", "1.1.0")
	reg.PushChart(t, "charts", "steady", "2.0.0")
	client, err := registry.New(registry.WithRootCAs(reg.CertPool))
	if err != nil {
		t.Fatal(err)
	}
	gate.armed.Store(true)
	p := newPipeline(t.Context(), client, 4, nil, true)
	defer p.stop()

	chart := reg.Host + "/charts/webapp"
	// Nothing but the first source of a repository is known: its tag list starts.
	stale := candidateAt(t, chart, "1.0.0")
	p.add(stale)
	gate.next(t, "GET /v2/charts/webapp/tags/list", true)
	// The tags say 1.1.0 is newer than the source: its manifest and config follow, still
	// before anyone asks for the result.
	gate.next(t, "GET /v2/charts/webapp/manifests/1.1.0", true)
	gate.next(t, "GET /v2/charts/webapp/blobs/sha256:", true)
	// Another repository's first source starts its tag list at once too.
	p.add(candidateAt(t, reg.Host+"/charts/steady", "2.0.0"))
	gate.next(t, "GET /v2/charts/steady/tags/list", true)

	// Resolution finds it all read.
	p.discovered()
	resolved := resolveThrough(t, p, map[string][]candidate{chart: {stale}})
	gate.nothingMore(t)
	a := resolved[chart].answers[stale.group]
	if a.err != nil || a.best == nil || a.best.chart.Digest != newest {
		t.Fatalf("answer = %+v; want 1.1.0 at %s", a, newest)
	}
}

// gatedPipeline starts a registry with webapp 1.0.0 and 1.1.0 whose requests wait for the
// test, and a pipeline reading it; it returns the chart's reference and 1.1.0's digest.
func gatedPipeline(t *testing.T) (*requestGate, *pipeline, string, string) {
	t.Helper()
	gate := newRequestGate()
	reg := testenv.StartRegistry(t, testenv.WithMiddleware(gate.middleware))
	reg.PushChart(t, "charts", "webapp", "1.0.0")
	newest := reg.PushChart(t, "charts", "webapp", "1.1.0")
	client, err := registry.New(registry.WithRootCAs(reg.CertPool))
	if err != nil {
		t.Fatal(err)
	}
	gate.armed.Store(true)
	p := newPipeline(t.Context(), client, 4, nil, true)
	t.Cleanup(p.stop)
	return gate, p, reg.Host + "/charts/webapp", newest
}

func TestThePipelineReadsNoManifestForSourcesThatAreUpToDate(t *testing.T) {
	t.Parallel()
	gate, p, chart, _ := gatedPipeline(t)
	current := candidateAt(t, chart, "1.1.0")
	p.add(current)
	gate.next(t, "GET /v2/charts/webapp/tags/list", true)
	p.add(current) // again: a source handed over twice changes nothing
	p.discovered()
	resolved := resolveThrough(t, p, map[string][]candidate{chart: {current}})
	gate.nothingMore(t)
	if a := resolved[chart].answers[current.group]; a.err != nil || a.best == nil || a.best.version.Tag != "1.1.0" || a.best.chart.Digest != "" {
		t.Fatalf("answer = %+v; want 1.1.0 and no manifest read", a)
	}
}

func TestThePipelineReadsTheManifestOnceASourceBehindComes(t *testing.T) {
	t.Parallel()
	gate, p, chart, newest := gatedPipeline(t)
	current, stale := candidateAt(t, chart, "1.1.0"), candidateAt(t, chart, "1.0.0")
	p.add(current)
	gate.next(t, "GET /v2/charts/webapp/tags/list", true)
	// A source that is behind comes after the up-to-date one: the manifest is needed after
	// all, and read at once.
	p.add(stale)
	gate.next(t, "GET /v2/charts/webapp/manifests/1.1.0", true)
	gate.next(t, "GET /v2/charts/webapp/blobs/sha256:", true)
	p.discovered()
	resolved := resolveThrough(t, p, map[string][]candidate{chart: {current, stale}})
	gate.nothingMore(t)
	if a := resolved[chart].answers[stale.group]; a.err != nil || a.best == nil || a.best.chart.Digest != newest {
		t.Fatalf("answer = %+v; want 1.1.0 at %s", a, newest)
	}
}

func TestThePipelineReadsNothingEarlyWhereResolutionMightNot(t *testing.T) {
	t.Parallel()
	chart := "ghcr.io/acme/charts/webapp"
	for _, c := range []struct {
		about string
		early bool
		known map[string]map[string][]gatepkg.Known
	}{
		{about: "a run with stages, which decide from Git what a downstream source may take", early: false},
		{about: "a repository open pull requests propose versions of, which the gates confirm by HEAD", early: true,
			known: map[string]map[string][]gatepkg.Known{chart: {"1.1.0": {{Digest: "sha256:0123", PullRequest: 7}}}}},
	} {
		t.Run(c.about, func(t *testing.T) {
			p := newPipeline(t.Context(), nil, 4, c.known, c.early) // no registry: nothing may be read
			defer p.stop()
			p.add(candidateAt(t, chart, "1.0.0"))
			p.mu.Lock()
			defer p.mu.Unlock()
			if len(p.charts) > 0 || len(p.listings) > 0 {
				t.Errorf("the pipeline started reading %s early", chart)
			}
		})
	}
}

func TestASlowRegistryHoldsUpNoOther(t *testing.T) {
	t.Parallel()
	slowGate, fastGate := newRequestGate(), newRequestGate()
	slow := testenv.StartRegistry(t, testenv.WithMiddleware(slowGate.middleware))
	fast := testenv.StartRegistry(t, testenv.WithMiddleware(fastGate.middleware))
	for _, reg := range []*testenv.Registry{slow, fast} {
		for _, name := range []string{"a", "b"} {
			reg.PushChart(t, "charts", name, "1.0.0")
		}
	}
	roots := slow.CertPool.Clone()
	pem, err := os.ReadFile(fast.CAFile)
	if err != nil || !roots.AppendCertsFromPEM(pem) {
		t.Fatalf("the fast registry's CA: %v", err)
	}
	client, err := registry.New(registry.WithRootCAs(roots))
	if err != nil {
		t.Fatal(err)
	}
	slowGate.armed.Store(true)
	fastGate.armed.Store(true)
	p := newPipeline(context.Background(), client, 1, nil, true)
	defer func() {
		close(slowGate.release) // let what is held go, so stop returns
		close(fastGate.release)
		p.stop()
	}()

	// One read at a time per host: the slow registry's first tag list holds its only slot.
	p.add(candidateAt(t, slow.Host+"/charts/a", "1.0.0"))
	p.add(candidateAt(t, slow.Host+"/charts/b", "1.0.0"))
	if got := slowGate.wait(t); !strings.HasSuffix(got, "/tags/list") {
		t.Fatalf("the slow registry's first request is %q, want a tag list", got)
	}
	// The other registry's reads go on meanwhile, one after the other.
	p.add(candidateAt(t, fast.Host+"/charts/a", "1.0.0"))
	p.add(candidateAt(t, fast.Host+"/charts/b", "1.0.0"))
	first := fastGate.wait(t)
	fastGate.release <- struct{}{}
	second := fastGate.wait(t)
	fastGate.release <- struct{}{}
	if got := map[string]bool{first: true, second: true}; !got["GET /v2/charts/a/tags/list"] || !got["GET /v2/charts/b/tags/list"] {
		t.Errorf("the fast registry saw %q and %q, want both tag lists", first, second)
	}
	select {
	case got := <-slowGate.arrived:
		t.Errorf("the slow registry got %q while its only slot was taken", got)
	default:
	}
}
