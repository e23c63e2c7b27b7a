package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
)

// wholeJSON is the plan encoded in one piece, as JSON wrote it before it streamed.
func wholeJSON(t *testing.T, plan *promote.Plan) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(plan); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJSONWritesWhatEncodingThePlanWholeWrites(t *testing.T) {
	change := promote.Change{
		File: "apps/web.yaml", Line: 12, Application: "web <prod> & co", Kind: "Application",
		Chart: "ghcr.io/acme/charts/web", From: "1.2.3", To: "1.3.0+b.1", Digest: "sha256:0123",
		Constraint: "~1.x", Column: 21, Path: "spec.source.targetRevision", Tag: "1.3.0_b.1",
		ConstraintOrigin: "annotation chart-promoter.io/constraint", ApplicationSet: "fleet",
		Namespace: "argocd", Destination: "in-cluster/web", Form: "helm-oci",
		Metadata: registry.Metadata{Name: "web", Version: "1.3.0+b.1", AppVersion: "2.0", Description: "Wëb \"front\"\nend",
			Sources: []string{"https://example.com/a", "https://example.com/b"}, Deprecated: true,
			Annotations: map[string]string{"z": "last", "a": "first", "html": "<b>"}},
		Warnings: []string{"the chart field is ignored"},
	}
	plain := promote.Change{File: "apps/api.yaml", Line: 3, Chart: "ghcr.io/acme/charts/api", From: "1.0.0", To: "1.1.0"}
	for _, c := range []struct {
		about string
		plan  *promote.Plan
	}{
		{about: "a plan with nothing in it", plan: &promote.Plan{Changes: []promote.Change{}, Skipped: []promote.Skip{}, Errors: []promote.Error{}, Warnings: []promote.Warning{}}},
		{about: "a plan whose lists were never made", plan: &promote.Plan{}},
		{about: "a plan with one of everything", plan: &promote.Plan{
			Changes:  []promote.Change{change},
			Skipped:  []promote.Skip{{File: "apps/old.yaml", Line: 4, Application: "old", Chart: "ghcr.io/acme/charts/old", Reason: "up to date", UpToDate: true}},
			Errors:   []promote.Error{{Chart: "ghcr.io/acme/charts/gone", Message: "list tags: not found"}},
			Warnings: []promote.Warning{{File: "chart-promoter.yaml", Line: 3, Setting: "include", Message: "matches nothing"}},
			Removed:  []string{"apps/.web.yaml.chart-promoter-1"},
		}},
		{about: "a plan with many of each", plan: &promote.Plan{
			Changes:  []promote.Change{change, plain, change, plain},
			Skipped:  []promote.Skip{{File: "a.yaml", Reason: "ignored"}, {File: "b.yaml", Line: 2, Reason: "templated"}},
			Errors:   []promote.Error{{File: "c.yaml", Line: 1, Message: "does not parse"}, {Message: "bare"}},
			Warnings: []promote.Warning{{Message: "one"}, {Chart: "ghcr.io/acme/charts/web", Message: "two"}},
		}},
	} {
		t.Run(c.about, func(t *testing.T) {
			var got bytes.Buffer
			if err := JSON(&got, c.plan); err != nil {
				t.Fatal(err)
			}
			if want := wholeJSON(t, c.plan); !bytes.Equal(got.Bytes(), want) {
				t.Errorf("JSON wrote\n%s\nwant\n%s", got.Bytes(), want)
			}
		})
	}
}
