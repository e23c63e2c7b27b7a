package promote_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// fullFleet is the fleet of the performance issue: 10,000 Applications over 500 charts of
// 1,000 tags each; 10 charts have every source up to date.
var fullFleet = fleetSpec{Charts: 500, FilesPerChart: 20, TagsPerChart: 1000, UpToDateEvery: 50}

// TestPlanMakesTheFloorNumberOfRegistryRequests pins what a plan costs on the wire: one tag
// list per repository, one manifest and one chart config per proposed version, and nothing
// at all for a repository whose sources are all up to date.
func TestPlanMakesTheFloorNumberOfRegistryRequests(t *testing.T) {
	t.Parallel()
	reg, f := startFleet(t, fleetSpec{Charts: 10, FilesPerChart: 6, TagsPerChart: 50, UpToDateEvery: 5})
	client, err := registry.New(registry.WithRootCAs(reg.CertPool))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := promote.Make(context.Background(), promote.Options{Dir: f.dir, Registry: client})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range plan.Errors {
		t.Errorf("plan error: %s", e)
	}
	if len(plan.Changes) != f.changes {
		t.Errorf("plan has %d changes, want %d", len(plan.Changes), f.changes)
	}
	got := map[string]map[string]bool{}
	for _, c := range plan.Changes {
		if got[c.Chart] == nil {
			got[c.Chart] = map[string]bool{}
		}
		got[c.Chart][c.Tag] = true
	}
	if !reflect.DeepEqual(got, f.proposed) {
		t.Errorf("proposed versions = %v, want %v", got, f.proposed)
	}

	tagLists := map[string]int{}
	manifests := map[string][]string{}
	blobs := map[string]int{}
	for _, line := range reg.Requests.All() {
		method, target, _ := strings.Cut(line, " ")
		p, query, _ := strings.Cut(target, "?")
		kind, repo, ref := classify(p)
		switch {
		case method != "GET":
			t.Errorf("request %q: the plan should only GET", line)
		case kind == tagList:
			tagLists[repo]++
			if query != "" {
				t.Errorf("request %q: a tag list that fits one response should not be paginated", line)
			}
		case kind == manifestReq:
			manifests[repo] = append(manifests[repo], ref)
		case kind == blobReq:
			blobs[repo]++
		default:
			t.Errorf("request %q is none of tag list, manifest or blob", line)
		}
	}
	for c := 0; c < f.spec.Charts; c++ {
		repo := fleetRepoPath + "/" + chartName(c)
		if tagLists[repo] != 1 {
			t.Errorf("%s: %d tag list requests, want 1", repo, tagLists[repo])
		}
		var want []string
		for tag := range f.proposed[f.chart(c)] {
			want = append(want, tag)
		}
		slices.Sort(want)
		gotRefs := slices.Sorted(slices.Values(manifests[repo]))
		switch {
		case f.upToDate(c) && len(gotRefs) > 0:
			t.Errorf("%s: every source is up to date, yet the plan fetched manifests %v", repo, gotRefs)
		case !slices.Equal(gotRefs, want):
			t.Errorf("%s: manifest requests %v, want exactly one per proposed version %v", repo, gotRefs, want)
		}
		if blobs[repo] != len(want) {
			t.Errorf("%s: %d blob requests, want %d (one chart config per proposed version)", repo, blobs[repo], len(want))
		}
	}
	if t.Failed() {
		t.Logf("requests:\n%s", strings.Join(reg.Requests.All(), "\n"))
	}
}

// BenchmarkPlanFleet plans fullFleet from scratch each iteration: a fresh registry client,
// so no cache carries over, against an in-process Distribution registry over TLS.
//
// Memory. The "under 150 MB" is about the chart-promoter process on a CI runner:
// its peak resident set while planning, Go runtime, GC headroom and all. That is what the
// cli sub-benchmark reports as peak-rss-MB: it runs the real binary against the same
// registry, so the registry's memory is not in it. In-process the registry shares the Go
// heap, and neither the peak nor the growth of the heap during the plan is the tool's: the
// registry's storage (500,000 tags) is live throughout (base-live-MB) and, with GOGC=100,
// lets garbage pile up to about twice that before each collection, and serving a blob
// allocates Distribution's 4 MiB read buffer. So the in-process sub-benchmark reports
// peak-heap-MB (the process's heap in use, for the record) and plan-live-MB: the most the
// GC found alive during the plan beyond base-live-MB: the plan's working set plus the
// registry's in-flight requests plus whatever was allocated while a long mark of the
// registry's heap ran (counted live by that cycle), so an upper bound, and a loose one. A
// standalone tool's heap peaks at about twice its live heap (GOGC=100), with the runtime's
// own overhead on top in RSS: hold peak-rss-MB, not these, against the 150 MB.
//
// Requests. requests/op is split into tag-lists/op, manifests/op, blobs/op and
// other-req/op; floor-req/op is one tag list per repository plus one manifest per proposed
// version. Blob requests are the chart config of each proposed version, read for metadata:
// one more request per proposed version, reported apart from the floor.
func BenchmarkPlanFleet(b *testing.B) {
	start := time.Now()
	reg, f := startFleet(b, fullFleet)
	b.Logf("fleet of %d files, %d charts x %d tags set up in %v", f.files, f.spec.Charts, len(f.tags), time.Since(start).Round(time.Millisecond))

	b.Run("in-process", func(b *testing.B) { benchPlan(b, reg, f, 0, 0) })
	// A registry across the internet answers in tens of milliseconds, not microseconds:
	// with a fixed delay per request the plan's wall time is its chain of round trips, and
	// how many reads are in flight at once decides it (BenchmarkPlanVsFloor delays the
	// connection too). conns/op counts the connections opened.
	for _, concurrency := range []int{16, promote.DefaultConcurrency} {
		b.Run(fmt.Sprintf("rtt=20ms/concurrency=%d", concurrency), func(b *testing.B) {
			benchPlan(b, reg, f, 20*time.Millisecond, concurrency)
		})
	}

	b.Run("cli", func(b *testing.B) {
		bin := buildCLI(b)
		home := b.TempDir() // no credentials of the developer's may leak in
		var sum requestCounts
		var changes int
		var rss uint64
		var cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			reg.Requests.Reset()
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bin, "plan", "--dir", f.dir, "--ca-file", reg.CAFile, "--json")
			cmd.Env = append(os.Environ(), "HOME="+home, "DOCKER_CONFIG="+home, "NO_COLOR=1")
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			b.StartTimer()

			peak, err := runWithPeakRSS(cmd)

			b.StopTimer()
			if err != nil {
				b.Fatalf("%s plan: %v\n%s", bin, err, stderr.Bytes())
			}
			var out struct{ Changes, Errors []json.RawMessage }
			if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
				b.Fatalf("plan --json: %v", err)
			}
			checkPlan(b, f, len(out.Changes), len(out.Errors), func() string { return string(out.Errors[0]) })
			changes += len(out.Changes)
			sum = sum.add(countRequests(reg.Requests))
			rss = max(rss, peak)
			cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			b.StartTimer()
		}
		reportRequests(b, f, sum, changes)
		b.ReportMetric(mb(rss), "peak-rss-MB")
		b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "tool-cpu-ms/op")
	})
}

// BenchmarkPlanVsFloor measures plans of fleets of 100 and 500 repositories (1,000 tags
// each, 20 Application files per repository: 10,000 files for 500) side by side with the
// registry-only floor (floorClient) over the same repositories of the same registry, in
// the same run: on a shared, noisy machine only the ratio of the two is stable, and the
// ratio is what the targets are about (plan/floor at most 1.15 on loopback; at most
// 1.5 s for 500 repositories at 20 ms round-trip time).
//
// The registry offers HTTP/2, as Distribution's binary and the hosted registries do. Each
// iteration runs the floor and the plan once, taking turns at going first, each after a
// garbage collection so neither inherits the other's garbage. ns/op and plan-ms/op time
// the plan alone; floor-ms/op the floor; plan/floor is their ratio over all iterations.
// plan-cpu/floor-cpu is the ratio of the CPU time spent (client and registry, every
// process): on a machine whose cores other work takes turns on, wall time follows CPU time,
// so this ratio says why plan/floor is what it is, and it varies less. The cli
// sub-benchmarks run the real binary, whose peak resident set is peak-rss-MB; the
// in-process ones call promote.Make, sharing the heap (and its collections) with the
// registry. rtt=20ms puts a testenv.LatencyProxy between the clients and the registry.
//
// The floor is the issue's: one manifest and one config per repository. This fleet's plan
// needs two versions of most repositories (the newest, and the newest 1.5.x for the
// sources held to ~1.5), so it reads 2,460 things where the floor reads 1,500
// (requests/op, floor-req/op), and a blob is the registry's dearest read (Distribution
// allocates a 4 MiB buffer to serve each). So the same client also makes the plan's own
// reads, no more (same-reads-ms/op): plan/same-reads is what the tool adds to the
// registry's work, reading and parsing the files included.
//
// One iteration each by default; for the numbers, run e.g.
//
//	go test ./internal/promote -run '^$' -bench PlanVsFloor -benchtime 5x
func BenchmarkPlanVsFloor(b *testing.B) {
	reg := testenv.StartRegistry(b, testenv.WithHTTP2())
	newFleet(fullFleet, reg.Host).pushFleet(b, reg) // 500 repositories: the smaller fleet uses the first 100
	bin := buildCLI(b)
	for _, repos := range []int{100, 500} {
		spec := fullFleet
		spec.Charts = repos
		f := newFleet(spec, reg.Host)
		f.writeFiles(b, b.TempDir())
		b.Run(fmt.Sprintf("repos=%d/cli", repos), func(b *testing.B) { planVsFloor(b, reg, f, bin) })
		b.Run(fmt.Sprintf("repos=%d/in-process", repos), func(b *testing.B) { planVsFloor(b, reg, f, "") })
	}
	proxy := testenv.StartLatencyProxy(b, reg.Host, 20*time.Millisecond)
	f := newFleet(fullFleet, proxy.Host) // the same repositories, named by the proxy's address
	f.writeFiles(b, b.TempDir())
	b.Run("repos=500/rtt=20ms/cli", func(b *testing.B) { planVsFloor(b, reg, f, bin) })
	b.Run("repos=500/rtt=20ms/in-process", func(b *testing.B) { planVsFloor(b, reg, f, "") })
}

// planVsFloor is one sub-benchmark of BenchmarkPlanVsFloor: b.N plans of f, by the binary
// bin or in-process when bin is "", each beside a floor run over f's repositories.
func planVsFloor(b *testing.B, reg *testenv.Registry, f *fleet, bin string) {
	ctx := context.Background()
	// The floor reads one version of every repository; the same-reads floor reads
	// what the plan must: every version it proposes, and none of a repository all up to date.
	var floorReads, sameReads []floorRead
	for c := range f.spec.Charts {
		repo := fleetRepoPath + "/" + chartName(c)
		floorReads = append(floorReads, floorRead{repo: repo, tags: []string{f.newest}})
		sameReads = append(sameReads, floorRead{repo: repo, tags: slices.Sorted(maps.Keys(f.proposed[f.chart(c)]))})
	}
	floor := floorClient{roots: reg.CertPool}
	home := b.TempDir() // no credentials of the developer's may leak in
	var floorTime, sameTime, planTime, floorCPU, sameCPU, planCPU time.Duration
	var rss uint64
	var sum requestCounts
	i := 0
	for b.Loop() {
		b.StopTimer()
		runFloors := func() {
			for _, run := range []struct {
				reads     []floorRead
				wall, cpu *time.Duration
			}{{floorReads, &floorTime, &floorCPU}, {sameReads, &sameTime, &sameCPU}} {
				runtime.GC()
				start, cpu := time.Now(), processCPU()
				if err := floor.run(ctx, f.host, run.reads); err != nil {
					b.Fatalf("floor: %v", err)
				}
				*run.wall += time.Since(start)
				*run.cpu += processCPU() - cpu
			}
		}
		if i%2 == 0 {
			runFloors()
		}
		runtime.GC()
		reg.Requests.Reset()

		var changes, errs int
		var first func() string
		start, cpu := time.Now(), processCPU()
		b.StartTimer()
		if bin != "" {
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bin, "plan", "--dir", f.dir, "--ca-file", reg.CAFile, "--json")
			cmd.Env = append(os.Environ(), "HOME="+home, "DOCKER_CONFIG="+home, "NO_COLOR=1")
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			peak, err := runWithPeakRSS(cmd)
			b.StopTimer()
			if err != nil {
				b.Fatalf("%s plan: %v\n%s", bin, err, stderr.Bytes())
			}
			planCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			var out struct{ Changes, Errors []json.RawMessage }
			if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
				b.Fatalf("plan --json: %v", err)
			}
			changes, errs, first = len(out.Changes), len(out.Errors), func() string { return string(out.Errors[0]) }
			rss = max(rss, peak)
		} else {
			client, err := registry.New(registry.WithRootCAs(reg.CertPool))
			if err != nil {
				b.Fatal(err)
			}
			p, err := promote.Make(ctx, promote.Options{Dir: f.dir, Registry: client})
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			changes, errs, first = len(p.Changes), len(p.Errors), func() string { return p.Errors[0].Error() }
		}
		planTime += time.Since(start)
		planCPU += processCPU() - cpu
		checkPlan(b, f, changes, errs, first)
		sum = sum.add(countRequests(reg.Requests))
		if i%2 == 1 {
			runFloors()
		}
		i++
		b.StartTimer()
	}
	perOp := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(b.N) }
	b.ReportMetric(perOp(planTime), "plan-ms/op")
	b.ReportMetric(perOp(floorTime), "floor-ms/op")
	b.ReportMetric(perOp(sameTime), "same-reads-ms/op")
	b.ReportMetric(planTime.Seconds()/floorTime.Seconds(), "plan/floor")
	b.ReportMetric(planTime.Seconds()/sameTime.Seconds(), "plan/same-reads")
	if floorCPU > 0 && sameCPU > 0 {
		b.ReportMetric(planCPU.Seconds()/floorCPU.Seconds(), "plan-cpu/floor-cpu")
		b.ReportMetric(planCPU.Seconds()/sameCPU.Seconds(), "plan-cpu/same-reads-cpu")
	}
	b.ReportMetric(float64(sum.total)/float64(b.N), "requests/op")
	b.ReportMetric(float64(3*f.spec.Charts), "floor-req/op")
	if bin != "" {
		b.ReportMetric(mb(rss), "peak-rss-MB")
	}
}

// benchPlan is one sub-benchmark of BenchmarkPlanFleet: each iteration plans f with a
// fresh client whose every request waits rtt first, reading concurrency repositories at
// once (0: the default).
func benchPlan(b *testing.B, reg *testenv.Registry, f *fleet, rtt time.Duration, concurrency int) {
	b.ReportAllocs()
	ctx := context.Background()
	var sum requestCounts
	var changes int
	var dials atomic.Int64
	var base, peak heapStats
	var planLive uint64
	for b.Loop() {
		b.StopTimer()
		reg.Requests.Reset()
		before := settle()
		stop := samplePeak(2 * time.Millisecond)
		b.StartTimer()

		opts := []registry.Option{registry.WithRootCAs(reg.CertPool)}
		if rtt > 0 {
			opts = append(opts, registry.WithTransport(delayed{newTransport(reg, &dials), rtt}))
		}
		client, err := registry.New(opts...)
		if err != nil {
			b.Fatal(err)
		}
		p, err := promote.Make(ctx, promote.Options{Dir: f.dir, Registry: client, Concurrency: concurrency})

		b.StopTimer()
		high := stop()
		if err != nil {
			b.Fatal(err)
		}
		checkPlan(b, f, len(p.Changes), len(p.Errors), func() string { return p.Errors[0].Error() })
		sum = sum.add(countRequests(reg.Requests))
		changes += len(p.Changes)
		base.live = max(base.live, before.live)
		peak.inUse = max(peak.inUse, high.inUse)
		planLive = max(planLive, high.live-min(high.live, before.live))
		b.StartTimer()
	}
	reportRequests(b, f, sum, changes)
	if rtt > 0 {
		b.ReportMetric(float64(dials.Load())/float64(b.N), "conns/op")
	}
	b.ReportMetric(mb(base.live), "base-live-MB")
	b.ReportMetric(mb(peak.inUse), "peak-heap-MB")
	b.ReportMetric(mb(planLive), "plan-live-MB")
}

// reportRequests reports the requests and changes of b.N plans of f, per plan.
func reportRequests(b *testing.B, f *fleet, sum requestCounts, changes int) {
	floorTags, floorManifests := f.floor()
	perOp := func(n int) float64 { return float64(n) / float64(b.N) }
	b.ReportMetric(perOp(sum.total), "requests/op")
	b.ReportMetric(perOp(sum.tagLists), "tag-lists/op")
	b.ReportMetric(perOp(sum.manifests), "manifests/op")
	b.ReportMetric(perOp(sum.blobs), "blobs/op")
	b.ReportMetric(perOp(sum.other), "other-req/op")
	b.ReportMetric(float64(floorTags+floorManifests), "floor-req/op")
	b.ReportMetric(perOp(changes), "changes/op")
}

// newTransport is a transport like registry.New's own (16 idle connections per host kept),
// trusting reg's CA and counting the connections it opens in dials.
func newTransport(reg *testenv.Registry, dials *atomic.Int64) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: reg.CertPool}
	t.MaxIdleConnsPerHost = 16
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dialer.DialContext(ctx, network, addr)
	}
	return t
}

// delayed makes every request wait d before it is sent, standing in for the round trip
// to a remote registry (connection set-up is not delayed).
type delayed struct {
	rt http.RoundTripper
	d  time.Duration
}

func (t delayed) RoundTrip(r *http.Request) (*http.Response, error) {
	timer := time.NewTimer(t.d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return t.rt.RoundTrip(r)
}

// BenchmarkDiscover is the parsing half of BenchmarkPlanFleet: manifest.Discover over the
// same 10,000 files, with no registry involved; plan-live-MB and plan-heap-MB are the most
// the GC found alive and the peak heap in use, both beyond the heap before the call.
func BenchmarkDiscover(b *testing.B) {
	f := newFleet(fullFleet, "registry.example.com:5000")
	f.writeFiles(b, b.TempDir())
	b.ReportAllocs()
	ctx := context.Background()
	var live, inUse uint64
	for b.Loop() {
		b.StopTimer()
		before := settle()
		stop := samplePeak(2 * time.Millisecond)
		b.StartTimer()

		res, err := manifest.Discover(ctx, f.dir, manifest.Options{})

		b.StopTimer()
		high := stop()
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Sources) != f.files || len(res.Problems) > 0 {
			b.Fatalf("discovered %d sources and %d problems, want %d sources and none", len(res.Sources), len(res.Problems), f.files)
		}
		live = max(live, high.live-min(high.live, before.live))
		inUse = max(inUse, high.inUse-min(high.inUse, before.inUse))
		b.StartTimer()
	}
	b.ReportMetric(float64(f.files), "files/op")
	b.ReportMetric(mb(live), "plan-live-MB")
	b.ReportMetric(mb(inUse), "plan-heap-MB")
}

// checkPlan fails b unless a plan of f has exactly the changes f expects and no errors.
func checkPlan(b *testing.B, f *fleet, changes, errs int, firstError func() string) {
	b.Helper()
	if errs > 0 {
		b.Fatalf("plan has %d errors, the first: %s", errs, firstError())
	}
	if changes == 0 || changes != f.changes {
		b.Fatalf("plan has %d changes, want %d", changes, f.changes)
	}
}

// heapStats is what samplePeak watches: the heap in use (MemStats.HeapInuse: objects, live
// or not yet swept, plus fragmentation) and the live heap as marked by the latest GC.
type heapStats struct{ inUse, live uint64 }

var heapMetrics = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/gc/heap/live:bytes",
}

// readHeap reads heapStats through runtime/metrics, which, unlike ReadMemStats, does not
// stop the world, so sampling every few milliseconds barely disturbs the plan.
func readHeap() heapStats {
	samples := make([]metrics.Sample, len(heapMetrics))
	for i, name := range heapMetrics {
		samples[i].Name = name
	}
	metrics.Read(samples)
	return heapStats{inUse: samples[0].Value.Uint64() + samples[1].Value.Uint64(), live: samples[2].Value.Uint64()}
}

// samplePeak samples the heap every interval until the returned function is called, which
// returns the highest samples.
func samplePeak(every time.Duration) (stop func() heapStats) {
	done := make(chan struct{})
	result := make(chan heapStats)
	go func() {
		peak := readHeap()
		take := func() {
			h := readHeap()
			peak.inUse, peak.live = max(peak.inUse, h.inUse), max(peak.live, h.live)
		}
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				take()
			case <-done:
				take()
				result <- peak
				return
			}
		}
	}()
	return func() heapStats {
		close(done)
		return <-result
	}
}

// settle collects garbage and returns the heap that is left: what a measurement starts from.
func settle() heapStats {
	runtime.GC()
	return readHeap()
}

func mb(n uint64) float64 { return float64(n) / (1 << 20) }

// buildCLI builds cmd/chart-promoter into a temporary directory, or returns
// $CHART_PROMOTER_BIN to benchmark a binary built elsewhere.
func buildCLI(b *testing.B) string {
	b.Helper()
	if bin := os.Getenv("CHART_PROMOTER_BIN"); bin != "" {
		return bin
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		b.Fatalf("the go command is not on PATH: %v", err)
	}
	bin := filepath.Join(b.TempDir(), "chart-promoter")
	out, err := exec.Command(goTool, "build", "-o", bin, "github.com/chart-promoter/chart-promoter/cmd/chart-promoter").CombinedOutput()
	if err != nil {
		b.Fatalf("cannot build the CLI: %v\n%s", err, out)
	}
	return bin
}

// runWithPeakRSS runs cmd and returns its peak resident set in bytes, sampled from the
// VmHWM line of /proc/PID/status every few milliseconds (Linux only; 0 elsewhere). The
// process's own rusage cannot be used: Go starts children with vfork, and Linux then
// records the parent's high-water mark (this test process, registry and all) as the
// child's ru_maxrss.
func runWithPeakRSS(cmd *exec.Cmd) (uint64, error) {
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	status := filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "status")
	done := make(chan struct{})
	result := make(chan uint64)
	go func() {
		var peak uint64
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, vmHWM(status))
			select {
			case <-tick.C:
			case <-done:
				result <- peak
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	return <-result, err
}

// vmHWM reads the "VmHWM: N kB" line of a /proc status file; 0 if there is none.
func vmHWM(status string) uint64 {
	data, err := os.ReadFile(status)
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
