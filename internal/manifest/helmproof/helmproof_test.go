package helmproof

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/downloader"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/registry"

	"go.yaml.in/yaml/v3"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// recordedDigest is the digest a Chart.lock records.
func recordedDigest(t *testing.T, lock []byte) string {
	t.Helper()
	var l struct {
		Digest string `yaml:"digest"`
	}
	if err := yaml.Unmarshal(lock, &l); err != nil || l.Digest == "" {
		t.Fatalf("the lock records no digest (%v):\n%s", err, lock)
	}
	return l.Digest
}

// helmManager is Helm's own `helm dependency` logic for the chart in dir, talking to the
// test registry through Helm's registry client.
func helmManager(t *testing.T, reg *testenv.Registry, dir string) (*downloader.Manager, *bytes.Buffer) {
	t.Helper()
	client, err := registry.NewClient(
		registry.ClientOptHTTPClient(reg.HTTPClient()),
		registry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "registry.json")),
	)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	home := t.TempDir()
	return &downloader.Manager{
		Out:              &out,
		ChartPath:        dir,
		SkipUpdate:       true,
		Getters:          getter.Getters(),
		RegistryClient:   client,
		RepositoryConfig: filepath.Join(home, "repositories.yaml"),
		RepositoryCache:  filepath.Join(home, "cache"),
	}, &out
}

// umbrella writes a chart whose dependencies come from the test registry: Chart.yaml is
// the template with HOST replaced by the registry's address.
func umbrella(t *testing.T, reg *testenv.Registry, chartYAML string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "platform")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "Chart.yaml"), []byte(strings.ReplaceAll(chartYAML, "HOST", reg.Host)))
	return dir
}

const umbrellaChart = `apiVersion: v2
name: platform
version: 0.1.0
dependencies:
  # the cache, pinned
  - name: redis
    version: 1.0.0
    repository: oci://HOST/charts
    condition: redis.enabled
  - name: redis
    alias: sessions
    version: "~1.0.0"
    repository: oci://HOST/charts
    tags: [cache]
  - name: common
    version: ">=2.0.0 <3.0.0"
    repository: oci://HOST/charts
    import-values:
      - child: exports.data
        parent: common
`

func pushUmbrellaCharts(t *testing.T, reg *testenv.Registry) {
	t.Helper()
	for _, v := range []string{"1.0.0", "1.0.1", "1.1.0+build.7"} {
		reg.PushChart(t, "charts", "redis", v)
	}
	reg.PushChart(t, "charts", "common", "2.0.0")
	reg.PushChart(t, "charts", "common", "2.1.0")
}

func TestLockDigestIsTheOneHelmDependencyUpdateWrites(t *testing.T) {
	reg := testenv.StartRegistry(t)
	pushUmbrellaCharts(t, reg)
	dir := umbrella(t, reg, umbrellaChart)
	m, out := helmManager(t, reg, dir)
	if err := m.Update(); err != nil {
		t.Fatalf("helm dependency update: %v\n%s", err, out)
	}
	chartYAML := readFile(t, filepath.Join(dir, "Chart.yaml"))
	lock := readFile(t, filepath.Join(dir, manifest.LockFileName))
	got, err := manifest.LockDigest(chartYAML, lock)
	if err != nil {
		t.Fatal(err)
	}
	if want := recordedDigest(t, lock); got != want {
		t.Errorf("LockDigest = %s, Helm wrote %s\n%s", got, want, lock)
	}
	// The same files with one lock version changed must hash differently: the digest
	// covers the lock, not only Chart.yaml.
	changed := bytes.Replace(lock, []byte("version: 1.0.1"), []byte("version: 1.0.0"), 1)
	if bytes.Equal(changed, lock) {
		t.Fatalf("Helm's lock does not hold version 1.0.1 for ~1.0.0:\n%s", lock)
	}
	if other, _ := manifest.LockDigest(chartYAML, changed); other == got {
		t.Errorf("a lock with another version has the same digest %s", got)
	}
}

func TestChartLockEditedByChartPromoterIsAcceptedByHelmDependencyBuild(t *testing.T) {
	reg := testenv.StartRegistry(t)
	pushUmbrellaCharts(t, reg)
	dir := umbrella(t, reg, umbrellaChart)
	m, out := helmManager(t, reg, dir)
	if err := m.Update(); err != nil {
		t.Fatalf("helm dependency update: %v\n%s", err, out)
	}
	chartYAML := readFile(t, filepath.Join(dir, "Chart.yaml"))
	lock := readFile(t, filepath.Join(dir, manifest.LockFileName))

	scan := manifest.ChartReader{}.Read(manifest.File{Name: "platform/Chart.yaml", Data: chartYAML, Tree: manifest.DirTree(filepath.Dir(dir), 0)})
	if len(scan.Problems()) > 0 || len(scan.Sources()) != 3 {
		t.Fatalf("read %d sources, problems %v, skips %v; want 3 sources", len(scan.Sources()), scan.Problems(), scan.Skipped())
	}
	// Move every dependency to the newest version its range (or pin) would take.
	to := map[string]string{"redis": "1.1.0+build.7", "sessions": "1.0.1", "common": "2.1.0"}
	var moves []manifest.Move
	var lockVersions []manifest.Edit
	for _, s := range scan.Sources() {
		key := s.Dependency.Name
		if s.Dependency.Alias != "" {
			key = s.Dependency.Alias
		}
		moves = append(moves, manifest.Move{Source: s, To: to[key]})
		lockVersions = append(lockVersions, manifest.Edit{Location: s.Dependency.LockLocation, Old: s.Dependency.LockVersion, New: to[key]})
	}
	now := time.Date(2026, 12, 1, 22, 0, 0, 123456789, time.UTC)
	chartEdits, lockEdits, err := manifest.DependencyEdits(chartYAML, lock, moves, now)
	if err != nil {
		t.Fatal(err)
	}
	newChart, err := manifest.Rewrite(chartYAML, chartEdits)
	if err != nil {
		t.Fatal(err)
	}
	newLock, err := manifest.Rewrite(lock, lockEdits)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(newLock, []byte(`generated: "2026-12-01T22:00:00.123456789Z"`)) {
		t.Errorf("generated is not the time of the edit, quoted:\n%s", newLock)
	}

	// Control: the versions moved without the digest, Helm refuses the lock.
	stale, err := manifest.Rewrite(lock, lockVersions)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "Chart.yaml"), newChart)
	writeFile(t, filepath.Join(dir, manifest.LockFileName), stale)
	if err := m.Build(); err == nil || !strings.Contains(err.Error(), "out of sync") {
		t.Fatalf("helm dependency build accepted a lock whose digest was not updated (err %v): the test proves nothing", err)
	}

	writeFile(t, filepath.Join(dir, manifest.LockFileName), newLock)
	out.Reset()
	if err := m.Build(); err != nil {
		t.Fatalf("helm dependency build refused the lock chart-promoter wrote: %v\n%s\n%s", err, newLock, out)
	}
	for _, archive := range []string{"redis-1.1.0+build.7.tgz", "redis-1.0.1.tgz", "common-2.1.0.tgz"} {
		if _, err := os.Stat(filepath.Join(dir, "charts", archive)); err != nil {
			t.Errorf("helm dependency build did not download %s: %v\n%s", archive, err, out)
		}
	}
	// helm dependency update, run now, would resolve to the same lock: same digest.
	m2, out2 := helmManager(t, reg, dir)
	if err := m2.Update(); err != nil {
		t.Fatalf("helm dependency update: %v\n%s", err, out2)
	}
	helms, ours := recordedDigest(t, readFile(t, filepath.Join(dir, manifest.LockFileName))), recordedDigest(t, newLock)
	if helms != ours {
		t.Errorf("helm dependency update computes digest %s for the same versions, chart-promoter wrote %s", helms, ours)
	}
}
