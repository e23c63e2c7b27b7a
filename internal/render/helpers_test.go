package render

import (
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

// packageChart packages the chart directory testdata/charts/dir with Helm's own
// chartutil.Save, as helm package does, and returns the archive.
func packageChart(tb testing.TB, dir string) []byte {
	tb.Helper()
	ch, err := loader.LoadDir(filepath.Join("testdata", "charts", dir))
	if err != nil {
		tb.Fatalf("load %s: %v", dir, err)
	}
	file, err := chartutil.Save(ch, tb.TempDir())
	if err != nil {
		tb.Fatalf("package %s: %v", dir, err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// loadChart packages and loads testdata/charts/dir.
func loadChart(tb testing.TB, dir string) *Chart {
	tb.Helper()
	c, err := LoadChart(packageChart(tb, dir))
	if err != nil {
		tb.Fatalf("LoadChart(%s): %v", dir, err)
	}
	return c
}
