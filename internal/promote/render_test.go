package promote_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/render"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// renderCharts holds the webapp chart the render package's own tests use.
const renderCharts = "../render/testdata/charts"

// application is an Argo CD Application of chart NAME at 1.0.0 from the test registry,
// its values read from the GitOps repository through a ref source.
const application = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: %[1]s
  namespace: argocd
spec:
  project: shop
  destination:
    server: https://kubernetes.default.svc
    namespace: shop
  sources:
    - repoURL: %[2]s/charts
      chart: %[1]s
      targetRevision: 1.0.0
      helm:
        releaseName: %[1]s
        valueFiles:
          - $values/values/%[1]s.yaml
    - repoURL: %[3]s
      targetRevision: main
      ref: values
`

// TestPullRequestsShowWhatTheNewVersionChanges promotes three charts from a real registry
// through real git and the fake GitHub, with rendering on: webapp (adds a Deployment,
// removes a ConfigMap, moves an image tag and changes a CRD), broken (its new version's
// template fails) and bulky (renders 5 MB at each version).
func TestPullRequestsShowWhatTheNewVersionChanges(t *testing.T) {
	reg := testenv.StartRegistry(t)
	git := testenv.StartGitServer(t, testenv.WithGitBasicAuth("x-access-token", gitopsToken))
	gh := testenv.StartFakeGitHub(t, gitopsToken)
	gh.AddRepo(gitopsOwner, gitopsName, "main")
	gh.AddRepo("acme", "webapp", "main")
	gh.AddRelease("acme", "webapp", "v1.1.0")
	for _, dir := range []string{
		filepath.Join(renderCharts, "webapp-1.0.0"), filepath.Join(renderCharts, "webapp-1.1.0"),
		"testdata/render/charts/broken-1.0.0", "testdata/render/charts/broken-1.1.0",
		"testdata/render/charts/bulky-1.0.0", "testdata/render/charts/bulky-1.1.0",
	} {
		reg.PushChartDir(t, "charts", dir)
	}
	repoURL := git.RepoURL(gitopsName)
	const secret = "hunter2-from-the-repository"
	files := map[string]string{
		"values/webapp.yaml": "database:\n  password: " + secret + "\nimage:\n  repository: mirror.example/nginx\n",
		"values/broken.yaml": "port: 8080\n",
		"values/bulky.yaml":  "lines: 2000\n",
	}
	for _, name := range []string{"webapp", "broken", "bulky"} {
		files["apps/"+name+".yaml"] = fmt.Sprintf(application, name, reg.Host, repoURL)
	}
	git.CreateRepo(t, gitopsName, files)
	clone := git.Clone(t, gitopsName, testenv.CloneDepth(1))

	client, err := registry.New(registry.WithRootCAs(reg.CertPool))
	if err != nil {
		t.Fatal(err)
	}
	deps, ghClient, err := promote.Connect(clone, gitopsToken, gh.URL, "chart-promoter-test")
	if err != nil {
		t.Fatal(err)
	}
	deps.Log = testLog{t}
	checkout, err := gitrepo.Open(clone)
	if err != nil {
		t.Fatal(err)
	}
	opts := promote.ProposeOptions{
		Plan: promote.Options{Dir: clone, Registry: client, Render: &promote.RenderOptions{
			Charts: client, Repository: render.NewGitRepository(checkout),
			Releases: ghClient, ReleaseHosts: []string{"github.com"},
		}},
		Owner: gitopsOwner, Repo: gitopsName, Base: "main",
		Now: func() time.Time { return proposeNow },
	}
	res, err := promote.Propose(t.Context(), opts, deps)
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.HasErrors() {
		t.Fatalf("plan errors: %+v", res.Plan.Errors)
	}
	bodies := map[string]string{}
	for _, p := range res.Proposals {
		if p.Action != promote.Opened {
			t.Errorf("%s: %s (%s), want a pull request opened", p.Group, p.Action, p.Err)
		}
		for _, c := range p.Changes {
			bodies[filepath.Base(c.Chart)] = p.Body
		}
	}
	for _, pr := range gh.PullRequests(gitopsOwner, gitopsName) {
		if n := utf8.RuneCountInString(pr.Body); n > 65536 {
			t.Errorf("pull request %q has a body of %d characters, more than GitHub's 65,536", pr.Title, n)
		}
		if strings.Contains(pr.Body, secret) {
			t.Errorf("pull request %q shows a value from the repository's values file", pr.Title)
		}
	}

	t.Run("the summary lists exactly what webapp 1.1.0 changes", func(t *testing.T) {
		var webapp *promote.Change
		for i, c := range res.Plan.Changes {
			if c.Application == "webapp" {
				webapp = &res.Plan.Changes[i]
			}
		}
		if webapp == nil || webapp.Render == nil || !webapp.Render.Rendered {
			t.Fatalf("webapp not rendered: %+v", webapp)
		}
		s := webapp.Render.Summary
		got := map[string][]render.Ref{"added": s.Added, "removed": s.Removed, "changed": s.Changed}
		want := map[string][]render.Ref{
			"added":   {{Kind: "Deployment", Namespace: "shop", Name: "webapp-worker"}},
			"removed": {{Kind: "ConfigMap", Namespace: "shop", Name: "webapp-legacy"}},
			"changed": {{Kind: "CustomResourceDefinition", Name: "widgets.example.com"}, {Kind: "Deployment", Namespace: "shop", Name: "webapp-web"}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("summary = %+v, want %+v", got, want)
		}
		body := bodies["webapp"]
		rows := 0
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "| added |") || strings.HasPrefix(l, "| removed |") || strings.HasPrefix(l, "| changed |") {
				rows++
			}
		}
		if rows != 4 {
			t.Errorf("the body's summary table has %d rows, want 4:\n%s", rows, body)
		}
		for _, w := range []string{
			"| added | Deployment | shop | `webapp-worker` |",
			"| removed | ConfigMap | shop | `webapp-legacy` |",
			"| changed | CustomResourceDefinition | — | `widgets.example.com` |",
			"| changed | Deployment | shop | `webapp-web` |",
			"- ⚠️ CRD changed: `widgets.example.com`",
			"- Image: `mirror.example/nginx:1.25.0` → `mirror.example/nginx:1.26.0`", // the repository's values file
			"- Image: `busybox:1.37` (new)",
			"Release notes: [1.1.0](https://github.com/acme/webapp/releases/tag/v1.1.0)",
			"-replicas: 1\n+replicas: 2\n",
			"-  tag: 1.25.0\n+  tag: 1.26.0\n",
		} {
			if !strings.Contains(body, w) {
				t.Errorf("the body lacks %q:\n%s", w, body)
			}
		}
	})

	t.Run("a template error in the new version is a note, and the pull request still opens", func(t *testing.T) {
		body := bodies["broken"]
		if body == "" {
			t.Fatal("no pull request for broken")
		}
		if !strings.Contains(body, "not rendered: 1.1.0 fails to render:") || !strings.Contains(body, "1.1.0 needs .Values.servicePort") {
			t.Errorf("the body does not say why broken 1.1.0 was not rendered:\n%s", body)
		}
	})

	t.Run("a 5 MB rendering keeps the body under the cap, the summary whole", func(t *testing.T) {
		body := bodies["bulky"]
		var bulky promote.Change
		for _, c := range res.Plan.Changes {
			if c.Application == "bulky" {
				bulky = c
			}
		}
		if bulky.Render == nil || len(bulky.Render.Diff) < 5<<20 {
			t.Fatalf("bulky's diff is not over 5 MB (%v)", bulky.Render)
		}
		if len(body) > 65536 {
			t.Errorf("the body is %d bytes", len(body))
		}
		if !strings.Contains(body, "**0 added · 0 removed · 60 changed**") || !strings.Contains(body, "…and 35 more.") {
			t.Errorf("the body lacks the summary of bulky:\n%s", body[:min(len(body), 3000)])
		}
		if !strings.Contains(body, "more lines are not shown here: the whole diff is in the step summary") {
			t.Errorf("the body does not say where the rest of the diff is")
		}
		if !strings.HasSuffix(strings.TrimSpace(body), "-->") {
			t.Errorf("the body lost its hidden marker")
		}
	})
}
