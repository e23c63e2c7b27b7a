package manifest

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
)

// packageChart writes the archive `helm package` makes of a minimal chart and returns its bytes.
func packageChart(t *testing.T, name, version string) []byte {
	t.Helper()
	ch := &chart.Chart{Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: version}}
	p, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestCheckArchiveAcceptsOnlyTheChartAndVersionItIsFor(t *testing.T) {
	archive := packageChart(t, "redis", "1.1.0+b.7")
	cases := []struct {
		name, chart, version, wantErr string
		data                          []byte
	}{
		{"the archive of that chart at that version passes", "redis", "1.1.0+b.7", "", archive},
		{"another version is refused", "redis", "1.1.0", "holds redis 1.1.0+b.7, not redis 1.1.0", archive},
		{"another chart is refused", "valkey", "1.1.0+b.7", "not valkey", archive},
		{"bytes that are no archive are refused", "redis", "1.1.0+b.7", "does not load in Helm", []byte("not a tarball")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckArchive(c.data, c.chart, c.version)
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Errorf("CheckArchive = %v, want an error containing %q", err, c.wantErr)
			}
		})
	}
}

func TestArchivesInUseAreWhatTheLockOrAnExactVersionNames(t *testing.T) {
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("testdata", "archives", name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	locked, err := ArchivesInUse(read("locked/Chart.yaml"), read("locked/Chart.lock"))
	if err != nil {
		t.Fatal(err)
	}
	unlocked, err := ArchivesInUse(read("unlocked/Chart.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		use  ArchiveUse
		file string
		want bool
	}{
		{"the lock's version of a dependency is in use", locked, "redis-1.1.0+b.7.tgz", true},
		{"an alias's locked version of the same chart is in use too", locked, "redis-1.0.1.tgz", true},
		{"a version no entry of the lock names is not", locked, "redis-1.0.0.tgz", false},
		{"a file:// dependency's archive is in use", locked, "common-2.0.0.tgz", true},
		{"without a lock, an exact version is in use", unlocked, "redis-1.1.0.tgz", true},
		{"without a lock, another version of an exact dependency is not", unlocked, "redis-1.0.0.tgz", false},
		{"without a lock, any archive of a ranged dependency may be", unlocked, "common-2.4.0.tgz", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.use.Uses(c.file); got != c.want {
				t.Errorf("Uses(%s) = %v, want %v", c.file, got, c.want)
			}
		})
	}
}

// bundleWorld is a chart directory with a Chart.yaml to edit and a vendored archive.
type bundleWorld struct {
	dir, chartYAML, oldArchive, newArchive string
	chartDigest, oldDigest                 [sha256.Size]byte
	edits                                  []Edit
}

func newBundleWorld(t *testing.T) *bundleWorld {
	t.Helper()
	w := &bundleWorld{dir: t.TempDir()}
	if err := os.Mkdir(filepath.Join(w.dir, "charts"), 0o755); err != nil {
		t.Fatal(err)
	}
	data := []byte("apiVersion: v2\nname: platform\nversion: 0.1.0\ndependencies:\n  - name: redis\n    version: 1.0.0\n    repository: oci://registry.example/charts\n")
	w.chartYAML = filepath.Join(w.dir, ChartFileName)
	w.oldArchive = filepath.Join(w.dir, "charts", "redis-1.0.0.tgz")
	w.newArchive = filepath.Join(w.dir, "charts", "redis-1.1.0.tgz")
	writeTestFile(t, w.chartYAML, data)
	writeTestFile(t, w.oldArchive, []byte("old archive"))
	w.chartDigest, w.oldDigest = sha256.Sum256(data), sha256.Sum256([]byte("old archive"))
	src := ChartReader{}.Read(File{Name: ChartFileName, Data: data}).Sources()
	if len(src) != 1 {
		t.Fatalf("the chart has %d sources, want 1", len(src))
	}
	w.edits = []Edit{{Location: src[0].Location, Old: "1.0.0", New: "1.1.0"}}
	return w
}

func (w *bundleWorld) bundle(added []byte) Bundle {
	return Bundle{
		Edits:  []FileEdits{{Path: w.chartYAML, Digest: w.chartDigest, Edits: w.edits}},
		Add:    []NewFile{{Path: w.newArchive, Data: added, Perm: 0o644}},
		Remove: []Removal{{Path: w.oldArchive, Digest: w.oldDigest}},
	}
}

// names lists the files of the chart directory and its charts/.
func (w *bundleWorld) names(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, d := range []string{w.dir, filepath.Join(w.dir, "charts")} {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !e.IsDir() {
				out = append(out, e.Name())
			}
		}
	}
	slices.Sort(out)
	return out
}

func writeTestFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWriteBundleAddsTheNewArchiveRemovesTheOldAndEditsChartYAML(t *testing.T) {
	w := newBundleWorld(t)
	res, err := WriteBundle(w.bundle([]byte("new archive")))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Edited, []bool{true}) || !slices.Equal(res.Added, []bool{true}) || !slices.Equal(res.Removed, []bool{true}) {
		t.Errorf("result %+v, want everything written", res)
	}
	if got := w.names(t); !slices.Equal(got, []string{ChartFileName, "redis-1.1.0.tgz"}) {
		t.Errorf("files after the write: %q, want Chart.yaml and the new archive only (no temporary file)", got)
	}
	if data, _ := os.ReadFile(w.newArchive); string(data) != "new archive" {
		t.Errorf("the new archive holds %q", data)
	}
	if data, _ := os.ReadFile(w.chartYAML); !strings.Contains(string(data), "version: 1.1.0\n") {
		t.Errorf("Chart.yaml not edited:\n%s", data)
	}
	// Again: the new archive is there with those bytes and the old one is gone, so the
	// plan of the next run (made from the new tree) has nothing to add; the old plan is refused.
	if _, err := WriteBundle(w.bundle([]byte("new archive"))); err == nil {
		t.Error("a bundle planned from the old tree was written again")
	}
}

func TestWriteBundleWritesNothingWhenAnyFileFailsItsCheck(t *testing.T) {
	cases := []struct {
		name    string
		spoil   func(t *testing.T, w *bundleWorld)
		wantErr string
	}{
		{"Chart.yaml changed after it was read", func(t *testing.T, w *bundleWorld) {
			writeTestFile(t, w.chartYAML, []byte("apiVersion: v2\nname: platform\nversion: 0.2.0\n"))
		}, "Chart.yaml changed after it was read"},
		{"the old archive changed after it was read", func(t *testing.T, w *bundleWorld) {
			writeTestFile(t, w.oldArchive, []byte("rebuilt by hand"))
		}, "redis-1.0.0.tgz changed after it was read"},
		{"the old archive is gone", func(t *testing.T, w *bundleWorld) {
			if err := os.Remove(w.oldArchive); err != nil {
				t.Fatal(err)
			}
		}, "redis-1.0.0.tgz"},
		{"another file has the new archive's name", func(t *testing.T, w *bundleWorld) {
			writeTestFile(t, w.newArchive, []byte("someone else's"))
		}, "redis-1.1.0.tgz is there already with other content"},
		{"charts/ is a symbolic link", func(t *testing.T, w *bundleWorld) {
			charts := filepath.Join(w.dir, "charts")
			moved := filepath.Join(t.TempDir(), "elsewhere")
			if err := os.Rename(charts, moved); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(moved, charts); err != nil {
				t.Skip("no symbolic links here:", err)
			}
		}, "not a directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newBundleWorld(t)
			c.spoil(t, w)
			chartBefore, _ := os.ReadFile(w.chartYAML)
			oldBefore, oldErr := os.ReadFile(w.oldArchive)
			newBefore, newErr := os.ReadFile(w.newArchive)
			res, err := WriteBundle(w.bundle([]byte("new archive")))
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("WriteBundle = %v, want an error containing %q", err, c.wantErr)
			}
			if slices.Contains(res.Edited, true) || slices.Contains(res.Added, true) || slices.Contains(res.Removed, true) {
				t.Errorf("result %+v: something was written", res)
			}
			chartAfter, _ := os.ReadFile(w.chartYAML)
			oldAfter, oldErrAfter := os.ReadFile(w.oldArchive)
			newAfter, newErrAfter := os.ReadFile(w.newArchive)
			if string(chartAfter) != string(chartBefore) || string(oldAfter) != string(oldBefore) || (oldErr == nil) != (oldErrAfter == nil) ||
				string(newAfter) != string(newBefore) || (newErr == nil) != (newErrAfter == nil) {
				t.Errorf("the chart's files changed although the bundle was refused")
			}
		})
	}
}
