package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

const renderApplication = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: webapp
spec:
  destination:
    namespace: shop
  source:
    repoURL: HOST/charts
    chart: webapp
    targetRevision: 1.0.0
`

func TestPlanRenderShowsTheChangesInTheTerminalAndInJSON(t *testing.T) {
	isolateCLICredentials(t)
	t.Setenv("GITHUB_TOKEN", "")
	t.Setenv("GH_TOKEN", "")
	reg := testenv.StartRegistry(t)
	for _, v := range []string{"1.0.0", "1.1.0"} {
		reg.PushChartDir(t, "charts", filepath.Join("..", "..", "internal", "render", "testdata", "charts", "webapp-"+v))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "webapp.yaml"), []byte(strings.ReplaceAll(renderApplication, "HOST", reg.Host)), 0o644); err != nil {
		t.Fatal(err)
	}

	res := runCLI(t, "", "plan", "--dir", dir, "--ca-file", reg.CAFile, "--render", "--json")
	if res.code != 0 {
		t.Fatalf("plan --render --json: %s", res)
	}
	var out struct {
		Changes []struct {
			To     string `json:"to"`
			Render struct {
				Summary struct {
					Added   []map[string]string `json:"added"`
					Removed []map[string]string `json:"removed"`
					Changed []map[string]string `json:"changed"`
					Images  []map[string]any    `json:"images"`
					CRDs    []map[string]string `json:"crds"`
				} `json:"summary"`
				ValuesDiff string   `json:"valuesDiff"`
				Diff       string   `json:"diff"`
				Notes      []string `json:"notes"`
			} `json:"render"`
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, res.stdout)
	}
	if len(out.Changes) != 1 || out.Changes[0].To != "1.1.0" {
		t.Fatalf("changes = %+v", out.Changes)
	}
	r := out.Changes[0].Render
	if len(r.Summary.Added) != 1 || r.Summary.Added[0]["kind"] != "Deployment" || r.Summary.Added[0]["namespace"] != "shop" || r.Summary.Added[0]["name"] != "webapp-worker" {
		t.Errorf("render.summary.added = %v", r.Summary.Added)
	}
	if len(r.Summary.Removed) != 1 || len(r.Summary.Changed) != 2 || len(r.Summary.CRDs) != 1 || len(r.Summary.Images) != 2 {
		t.Errorf("render.summary = %+v", r.Summary)
	}
	if r.Summary.Images[1]["from"] != "nginx:1.25.0" || r.Summary.Images[1]["to"] != "nginx:1.26.0" {
		t.Errorf("render.summary.images = %v", r.Summary.Images)
	}
	if !strings.Contains(r.ValuesDiff, "+replicas: 2") || !strings.Contains(r.Diff, "+++ 1.1.0/Deployment/shop/webapp-worker") || r.Notes == nil {
		t.Errorf("render = %+v", r)
	}

	text := runCLI(t, "", "plan", "--dir", dir, "--ca-file", reg.CAFile, "--render", "--color", "always")
	for _, want := range []string{
		"What " + reg.Host + "/charts/webapp 1.0.0 → 1.1.0 changes for Application webapp:",
		"\x1b[32m+\x1b[0m Deployment shop/webapp-worker",
		"\x1b[31m-\x1b[0m ConfigMap shop/webapp-legacy",
		"image nginx:1.25.0 → nginx:1.26.0",
		"\x1b[32m+replicas: 2\x1b[0m",
	} {
		if !strings.Contains(text.stdout, want) {
			t.Errorf("plan --render lacks %q:\n%s", want, text.stdout)
		}
	}
	if plain := runCLI(t, "", "plan", "--dir", dir, "--ca-file", reg.CAFile); strings.Contains(plain.stdout, "changes for") {
		t.Errorf("plan without --render rendered:\n%s", plain.stdout)
	}
}
