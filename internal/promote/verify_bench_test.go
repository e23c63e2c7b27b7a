package promote_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// verifiedFleet is the fleet BenchmarkPlanFleetVerified plans: every version a plan
// proposes has a manifest of its own (one digest per version, so that no signature check
// is answered by another's) signed with cosign v2 by one key.
var verifiedFleet = fleetSpec{Charts: 100, FilesPerChart: 20, TagsPerChart: 1000, UpToDateEvery: 50}

// BenchmarkPlanFleetVerified is the cost of a verify rule on every chart (issue 7): each
// iteration plans the same fleet without a config file and with one whose single rule
// verifies every chart with a cosign public key, taking turns at going first. Each
// proposed version is signed (cosign v2, a sha256-<hex>.sig tag), so the verified plan
// proposes exactly what the unverified one does and says who signed each.
//
// added-ms/verified-chart is the added wall time over the repositories with a version to
// verify; added-req/version the added registry requests per proposed version (target: at
// most 2, the signature manifest and its payload blob, plus one probe of the referrers
// API per repository, shared by its versions). Run e.g.
//
//	go test ./internal/promote -run '^$' -bench PlanFleetVerified -benchtime 5x
func BenchmarkPlanFleetVerified(b *testing.B) {
	reg := testenv.StartRegistry(b, testenv.WithHTTP2())
	f := newFleet(verifiedFleet, reg.Host)
	f.pushFleet(b, reg)
	f.writeFiles(b, b.TempDir()) // which versions a plan proposes is known once the files are
	key := testenv.NewCosignKey(b)
	versions, verifiedCharts := 0, 0
	for c := range f.spec.Charts {
		tags := slices.Sorted(func(yield func(string) bool) {
			for tag := range f.proposed[f.chart(c)] {
				if !yield(tag) {
					return
				}
			}
		})
		for _, tag := range tags {
			digest := reg.PushChart(b, fleetRepoPath, chartName(c), tag, testenv.WithAppVersion("2.4.1"))
			reg.CosignSignV2(b, fleetRepoPath+"/"+chartName(c), digest, key)
			versions++
		}
		if len(tags) > 0 {
			verifiedCharts++
		}
	}
	keys := b.TempDir()
	pub := key.WritePublicKey(b, keys, "cosign.pub")
	cfgDir := b.TempDir()
	if err := os.WriteFile(filepath.Join(cfgDir, config.FileName), []byte(`rules:
  - verify:
      required: true
      providers:
        - cosign:
            publicKeys: [`+pub+`]
`), 0o644); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Load(cfgDir, "")
	if err != nil {
		b.Fatal(err)
	}

	ctx := context.Background()
	plan := func(cfg *config.Config) (time.Duration, requestCounts) {
		client, err := registry.New(registry.WithRootCAs(reg.CertPool))
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		reg.Requests.Reset()
		start := time.Now()
		p, err := promote.Make(ctx, promote.Options{Dir: f.dir, Registry: client, Config: cfg})
		took := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		checkPlan(b, f, len(p.Changes), len(p.Errors), func() string { return p.Errors[0].Error() })
		if cfg != nil {
			for _, c := range p.Changes {
				if c.Verification == nil || c.Verification.Provider != "cosign" {
					b.Fatalf("%s %s → %s was proposed unverified: %+v", c.Application, c.From, c.To, c.Verification)
				}
			}
		}
		return took, countRequests(reg.Requests)
	}

	var plainTime, verifiedTime time.Duration
	var plainReqs, verifiedReqs requestCounts
	i := 0
	b.ResetTimer()
	for b.Loop() {
		runs := []*config.Config{nil, cfg}
		if i%2 == 1 {
			slices.Reverse(runs)
		}
		for _, c := range runs {
			took, n := plan(c)
			if c == nil {
				plainTime, plainReqs = plainTime+took, plainReqs.add(n)
			} else {
				verifiedTime, verifiedReqs = verifiedTime+took, verifiedReqs.add(n)
			}
		}
		i++
	}
	n := float64(b.N)
	b.ReportMetric(float64(plainTime.Milliseconds())/n, "unverified-ms/op")
	b.ReportMetric(float64(verifiedTime.Milliseconds())/n, "verified-ms/op")
	b.ReportMetric(float64((verifiedTime-plainTime).Milliseconds())/n/float64(verifiedCharts), "added-ms/verified-chart")
	b.ReportMetric(float64(verifiedReqs.total-plainReqs.total)/n/float64(versions), "added-req/version")
	b.ReportMetric(float64(versions), "verified-versions")
	b.ReportMetric(float64(verifiedReqs.total)/n, "verified-req/op")
	b.ReportMetric(float64(plainReqs.total)/n, "unverified-req/op")
}
