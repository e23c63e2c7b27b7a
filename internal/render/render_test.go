package render

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func webapp() *Application {
	return &Application{Name: "webapp", Namespace: "shop", Refs: map[string]RefSource{}}
}

func TestCompareSummarisesWhatTheNewVersionChanges(t *testing.T) {
	from, to := loadChart(t, "webapp-1.0.0"), loadChart(t, "webapp-1.1.0")
	res := NewResult("1.0.0", "1.1.0")
	Compare(context.Background(), webapp(), from, to, Options{}, res)
	if !res.Rendered {
		t.Fatalf("not rendered: %v", res.Notes)
	}
	s := res.Summary
	wantAdded := []Ref{{Kind: "Deployment", Namespace: "shop", Name: "webapp-worker"}}
	wantRemoved := []Ref{{Kind: "ConfigMap", Namespace: "shop", Name: "webapp-legacy"}}
	wantChanged := []Ref{{Kind: "CustomResourceDefinition", Name: "widgets.example.com"}, {Kind: "Deployment", Namespace: "shop", Name: "webapp-web"}}
	if !reflect.DeepEqual(s.Added, wantAdded) {
		t.Errorf("added = %v, want %v", s.Added, wantAdded)
	}
	if !reflect.DeepEqual(s.Removed, wantRemoved) {
		t.Errorf("removed = %v, want %v", s.Removed, wantRemoved)
	}
	if !reflect.DeepEqual(s.Changed, wantChanged) {
		t.Errorf("changed = %v, want %v", s.Changed, wantChanged)
	}
	wantCRDs := []CRDChange{{Ref: Ref{Kind: "CustomResourceDefinition", Name: "widgets.example.com"}, Change: "changed"}}
	if !reflect.DeepEqual(s.CRDs, wantCRDs) {
		t.Errorf("crds = %v, want %v", s.CRDs, wantCRDs)
	}
	wantImages := []ImageChange{
		{From: "", To: "busybox:1.37", Resources: []string{"Deployment shop/webapp-worker (container worker)"}},
		{From: "nginx:1.25.0", To: "nginx:1.26.0", Resources: []string{"Deployment shop/webapp-web (container web)"}},
	}
	if !reflect.DeepEqual(s.Images, wantImages) {
		t.Errorf("images = %+v, want %+v", s.Images, wantImages)
	}
	if s.Unchanged != 4 { // the Service, the Secret and the two hooks
		t.Errorf("unchanged = %d, want 4", s.Unchanged)
	}
	added, removed := countDiffLines(res.Diff)
	if added != s.LinesAdded || removed != s.LinesRemoved || added == 0 || removed == 0 {
		t.Errorf("summary counts +%d -%d lines, the diff has +%d -%d", s.LinesAdded, s.LinesRemoved, added, removed)
	}
	for _, want := range []string{
		"--- 1.0.0/Deployment/shop/webapp-web\n+++ 1.1.0/Deployment/shop/webapp-web\n",
		`-          image: "nginx:1.25.0"` + "\n" + `+          image: "nginx:1.26.0"`,
		"--- /dev/null\n+++ 1.1.0/Deployment/shop/webapp-worker\n",
		"--- 1.0.0/ConfigMap/shop/webapp-legacy\n+++ /dev/null\n",
		"+                colour:\n",
	} {
		if !strings.Contains(res.Diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, res.Diff)
		}
	}
	if strings.Contains(res.Diff, "Service") {
		t.Errorf("the diff shows the unchanged Service:\n%s", res.Diff)
	}
}

func TestValuesDiffShowsTheChangedDefaults(t *testing.T) {
	got := ValuesDiff(loadChart(t, "webapp-1.0.0"), loadChart(t, "webapp-1.1.0"))
	for _, want := range []string{"--- 1.0.0/values.yaml\n+++ 1.1.0/values.yaml\n", "-replicas: 1\n+replicas: 2\n", "-  tag: 1.25.0\n+  tag: 1.26.0\n", "-legacy:\n", "+worker:\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("values diff lacks %q:\n%s", want, got)
		}
	}
	for _, unchanged := range []string{"service:", "  port: 80", "  repository: nginx"} {
		if strings.Contains(got, "\n-"+unchanged+"\n") || strings.Contains(got, "\n+"+unchanged+"\n") {
			t.Errorf("values diff shows the unchanged %q as a change:\n%s", unchanged, got)
		}
	}
}

func TestSecretValuesNeverAppear(t *testing.T) {
	const secret = "hunter2-correct-horse"
	app := &Application{Name: "creds", Namespace: "shop", Helm: Helm{Parameters: []Parameter{{Name: "password", Value: secret}}}}
	res := NewResult("1.0.0", "2.0.0")
	Compare(context.Background(), app, loadChart(t, "secrets-1"), loadChart(t, "secrets-2"), Options{}, res)
	if !res.Rendered {
		t.Fatalf("not rendered: %v", res.Notes)
	}
	out, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{secret, base64.StdEncoding.EncodeToString([]byte("v1:" + secret)), base64.StdEncoding.EncodeToString([]byte("v2:" + secret)), "hunter2"} {
		if strings.Contains(string(out), leak) {
			t.Errorf("the result shows %q:\n%s", leak, res.Diff)
		}
	}
	for _, want := range []string{"+  username: (redacted)", "-  token: (redacted)\n+  token: (redacted, changed)", "  password: (redacted)\n", "again: (redacted, changed)"} {
		if !strings.Contains(res.Diff, want) {
			t.Errorf("the diff lacks %q, which names a key without its value:\n%s", want, res.Diff)
		}
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "Secret values are never shown") {
		t.Errorf("no note says Secret values are hidden: %v", res.Notes)
	}
}

func TestRenderingFailuresAreNotes(t *testing.T) {
	tests := []struct {
		name string
		app  *Application
		opts Options
		want string
	}{
		{"a values file the chart lacks", &Application{Name: "w", Helm: Helm{ValueFiles: []string{"values-staging.yaml"}}}, Options{}, "not rendered at 1.0.0: valueFiles values-staging.yaml: the chart has no such file: Argo CD fails to render this Application"},
		{"a ref source in another repository", &Application{Name: "w", Helm: Helm{ValueFiles: []string{"$values/prod.yaml"}}, Refs: map[string]RefSource{"$values": {RepoURL: "https://github.com/acme/other.git"}}}, Options{}, "valueFiles $values/prod.yaml: left out, it is in another repository (https://github.com/acme/other.git) chart-promoter does not read"},
		{"a value file from a URL", &Application{Name: "w", Helm: Helm{ValueFiles: []string{"https://example.com/v.yaml"}}}, Options{}, "left out, value files from URLs are not fetched"},
		{"a release name Helm refuses", &Application{Name: "Not_A_Name"}, Options{}, `fails to render: release name "Not_A_Name"`},
		{"a render that takes too long", webapp(), Options{Timeout: time.Nanosecond}, "took longer than 1ns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := NewResult("1.0.0", "1.1.0")
			Compare(context.Background(), tt.app, loadChart(t, "webapp-1.0.0"), loadChart(t, "webapp-1.1.0"), tt.opts, res)
			if !strings.Contains(strings.Join(res.Notes, "\n"), tt.want) {
				t.Errorf("notes %q lack %q", res.Notes, tt.want)
			}
		})
	}
}

func TestIgnoreMissingValueFilesRendersWithoutThem(t *testing.T) {
	app := &Application{Name: "w", Helm: Helm{ValueFiles: []string{"values-staging.yaml", "values-production.yaml"}, IgnoreMissingValueFiles: true}}
	out, notes, err := renderOne(context.Background(), app, loadChart(t, "webapp-1.0.0"), Options{})
	if err != nil {
		t.Fatalf("renderOne: %v (notes %v)", err, notes)
	}
	if !strings.Contains(out, "  replicas: 3\n") {
		t.Errorf("values-production.yaml (replicas: 3) was not applied:\n%s", out)
	}
}

// countDiffLines counts the added and removed lines of a unified diff.
func countDiffLines(diff string) (added, removed int) {
	for _, l := range strings.Split(diff, "\n") {
		switch {
		case strings.HasPrefix(l, "+++ "), strings.HasPrefix(l, "--- "):
		case strings.HasPrefix(l, "+"):
			added++
		case strings.HasPrefix(l, "-"):
			removed++
		}
	}
	return added, removed
}
