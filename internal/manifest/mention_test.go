package manifest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestMentioningParsesOnlyFilesThatCanHoldTheChart(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	app := "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: %s}\nspec:\n  source: {repoURL: ghcr.io/acme/charts, chart: %s, targetRevision: 1.0.0}\n"
	write("webapp.yaml", fmt.Sprintf(app, "web", "webapp"))
	write("api.yaml", fmt.Sprintf(app, "api", "api"))
	write("broken.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: [\n")
	write("templated.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: '{{ .name }}'}\nspec:\n  source: {repoURL: ghcr.io/acme/charts, chart: '{{ .chart }}', targetRevision: 1.0.0}\n")

	all, err := Discover(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	some, err := Discover(context.Background(), dir, Options{Mentioning: []string{"webapp"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Sources) != 2 || len(all.Problems) != 1 {
		t.Fatalf("without Mentioning: %d sources, %d problems; want 2 and 1", len(all.Sources), len(all.Problems))
	}
	if len(some.Sources) != 1 || some.Sources[0].Chart != "ghcr.io/acme/charts/webapp" {
		t.Errorf("with Mentioning webapp: sources %+v; want only webapp's", some.Sources)
	}
	if len(some.Problems) != 0 {
		t.Errorf("a file that cannot hold the chart was parsed and reported: %+v", some.Problems)
	}
	if len(some.Skipped) != 1 || some.Skipped[0].File != "templated.yaml" {
		t.Errorf("a templated file could render the chart and must still be read: skipped %+v", some.Skipped)
	}
}
