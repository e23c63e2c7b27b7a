package action

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// TestTheActionPromotesAlongStages runs the step on a GitOps repository whose history
// says staging moved to 1.4.0 three days ago and to 1.4.1 two hours ago, with 1.4.2 in the
// registry: staging gets a pull request to 1.4.2, production one to 1.4.0 (not 1.4.1,
// which has not soaked), and staging's pull request and the step summary say when
// production gets 1.4.1. The checkout has depth 1, as actions/checkout leaves it; the
// soak clock deepens it with the step's token.
func TestTheActionPromotesAlongStages(t *testing.T) {
	creds := t.TempDir()
	t.Setenv("DOCKER_CONFIG", creds)
	t.Setenv("HELM_REGISTRY_CONFIG", filepath.Join(creds, "helm-registry.json"))
	reg := testenv.StartRegistry(t)
	for _, v := range []string{"1.3.0", "1.4.0", "1.4.1", "1.4.2"} {
		reg.PushChart(t, "charts", "webapp", v)
	}
	const argoToken = "argocd-token-4f9c2e7b1d"
	argo := testenv.StartFakeArgoCD(t, argoToken)
	argo.SetApplication(t, "argocd", "webapp-staging", `{"sync":{"status":"Synced","revision":"1.4.1"},"health":{"status":"Healthy"}}`)

	cfg, err := os.ReadFile(filepath.Join("testdata", "stages", "chart-promoter.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := os.ReadFile(filepath.Join("..", "internal", "promote", "testdata", "propose", "templates", "application.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	app := func(name, rev string) string {
		return strings.ReplaceAll(fmt.Sprintf(string(tmpl), name, "webapp", rev), "registry.test", reg.Host)
	}
	git := testenv.StartGitServer(t, testenv.WithGitBasicAuth("x-access-token", runToken))
	git.CreateRepo(t, "gitops", map[string]string{"README.md": "# gitops\n", "chart-promoter.yaml": strings.Replace(string(cfg), "server: ARGOCD", "server: "+argo.URL, 1)})
	work := git.Clone(t, "gitops")
	now := time.Now().UTC().Truncate(time.Second)
	git.CommitAt(t, work, "main", map[string]string{"apps/webapp-staging.yaml": app("webapp-staging", "1.3.0"), "apps/webapp-production.yaml": app("webapp-production", "1.3.0")}, "webapp 1.3.0", now.Add(-10*24*time.Hour))
	git.CommitAt(t, work, "main", map[string]string{"apps/webapp-staging.yaml": app("webapp-staging", "1.4.0")}, "staging: webapp 1.4.0", now.Add(-3*24*time.Hour))
	since := now.Add(-2 * time.Hour)
	git.CommitAt(t, work, "main", map[string]string{"apps/webapp-staging.yaml": app("webapp-staging", "1.4.1")}, "staging: webapp 1.4.1", since)
	git.CommitAt(t, work, "main", map[string]string{"README.md": "# gitops\n\nPromoted by chart-promoter.\n"}, "docs", now.Add(-time.Hour))

	clone := git.Clone(t, "gitops", testenv.CloneDepth(1))
	gh := testenv.StartFakeGitHub(t, runToken)
	gh.AddRepo("acme", "gitops", "main")
	t.Chdir(clone)
	dir := t.TempDir()
	env := map[string]string{
		"GITHUB_REPOSITORY":     "acme/gitops",
		"GITHUB_OUTPUT":         filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY":   filepath.Join(dir, "summary.md"),
		"GITHUB_EVENT_PATH":     filepath.Join(dir, "event.json"),
		"GITHUB_EVENT_NAME":     "schedule",
		"ARGOCD_TOKEN":          argoToken,
		input("token"):          runToken,
		input("ca-file"):        reg.CAFile,
		input("github-api-url"): gh.URL,
		input("group-by"):       "application",
	}
	if err := os.WriteFile(env["GITHUB_EVENT_PATH"], []byte(`{"schedule": "17 * * * *"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	a, out := newAction(env)
	code := Run(t.Context(), a, "chart-promoter-test")
	t.Logf("exit %d\n%s", code, out)
	if code != ExitOK {
		t.Fatalf("exit %d, want %d", code, ExitOK)
	}

	prs := gh.PullRequests("acme", "gitops")
	titles := map[string]string{}
	bodies := map[string]string{}
	for _, p := range prs {
		name := p.Head[strings.LastIndex(p.Head, "/")+1:]
		titles[name], bodies[name] = p.Title, p.Body
	}
	if len(prs) != 2 || titles["webapp-staging"] != "Promote webapp to 1.4.2" || titles["webapp-production"] != "Promote webapp to 1.4.0" {
		t.Fatalf("pull requests %v, want staging to 1.4.2 and production to 1.4.0", titles)
	}
	until := since.Add(24 * time.Hour).Format(time.RFC3339)
	if want := "production gets 1.4.1 at " + until; !strings.Contains(bodies["webapp-staging"], want) {
		t.Errorf("staging's pull request does not say %q:\n%s", want, bodies["webapp-staging"])
	}

	outputs := parseOutputFile(t, readText(t, env["GITHUB_OUTPUT"]))
	for _, want := range []string{
		`"stage":"production"`,
		`"upstream":{"application":"webapp-staging","file":"apps/webapp-staging.yaml","version":"1.4.0","since":"` + now.Add(-3*24*time.Hour).Format(time.RFC3339) + `"}`,
		`"gate":"soak"`,
	} {
		if !strings.Contains(outputs["changes"], want) {
			t.Errorf("the changes output lacks %s:\n%s", want, outputs["changes"])
		}
	}
	summary := readText(t, env["GITHUB_STEP_SUMMARY"])
	if want := "production gets 1.4.1 at " + until; !strings.Contains(summary, want) {
		t.Errorf("the step summary does not say %q:\n%s", want, summary)
	}
	if argo.Requests == 0 {
		t.Error("Argo CD was not asked about staging")
	}
	// The Argo CD token is masked first, and written nowhere.
	if !strings.Contains(out.String(), "::add-mask::"+argoToken) || strings.Count(out.String(), argoToken) != 1 {
		t.Errorf("the Argo CD token is not masked, or printed besides its mask")
	}
	for where, text := range map[string]string{"summary": summary, "outputs": readText(t, env["GITHUB_OUTPUT"]), "staging PR": bodies["webapp-staging"], "production PR": bodies["webapp-production"]} {
		if strings.Contains(text, argoToken) {
			t.Errorf("the Argo CD token is in the %s", where)
		}
	}
}
