package action

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// placeConfig copies a config fixture into the checkout at the slash path at.
func (w *runWorld) placeConfig(t *testing.T, fixture, at string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(w.testdata, "config", fixture))
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(w.clone, filepath.FromSlash(at))
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte(strings.ReplaceAll(string(data), "registry.test", w.reg.Host)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestABadConfigFileFailsTheStepWithAnAnnotationOnEachProblem(t *testing.T) {
	w := newRunWorld(t, "1.2.3", "1.2.4")
	w.dispatch(t, "1.2.4")
	w.placeConfig(t, "bad.yaml", ".github/chart-promoter.yaml")
	w.reg.Requests.Reset()

	code, out := w.run(t)
	if code != ExitUsage {
		t.Errorf("exit %d, want %d", code, ExitUsage)
	}
	var errs []string
	for _, l := range commandLines(out) {
		if strings.HasPrefix(l, "::error") {
			errs = append(errs, l)
		}
	}
	want := []string{
		`::error col=5,file=.github/chart-promoter.yaml,line=3,title=chart-promoter::rules[0]: unknown key "constriant": did you mean "constraint"?`,
		`::error col=20,file=.github/chart-promoter.yaml,line=4,title=chart-promoter::rules[1].applications[0]: application glob "[staging" is malformed (an unclosed '[' or a trailing '\')`,
	}
	if strings.Join(errs, "\n") != strings.Join(want, "\n") {
		t.Errorf("error annotations:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(want, "\n"))
	}
	if n := w.gh.Requests.Count(nil) + w.git.Requests.Count(nil) + w.reg.Requests.Count(nil); n != 0 {
		t.Errorf("%d requests to GitHub, Git and the registry; a bad config must stop the step first", n)
	}
}

func TestTheConfigInputNamesTheFileWhoseRulesTheStepFollows(t *testing.T) {
	w := newRunWorld(t, "1.2.3", "1.2.4")
	w.dispatch(t, "1.2.4")
	w.placeConfig(t, "production-held.yaml", "policy/promotions.yaml")
	w.env[input("config")] = "policy/promotions.yaml"

	code, out := w.run(t)
	if code != ExitOK {
		t.Fatalf("exit %d, want %d", code, ExitOK)
	}
	if !strings.Contains(out.String(), "chart-promoter: config policy/promotions.yaml, 1 rule(s)") {
		t.Errorf("the log does not say which config file the step read:\n%s", out)
	}
	prs := w.gh.PullRequests("acme", "gitops")
	if len(prs) != 1 {
		t.Fatalf("pull requests %+v, want one", prs)
	}
	if strings.Contains(prs[0].Body, "apps/production/webapp.yaml") || !strings.Contains(prs[0].Body, "apps/staging/webapp.yaml") {
		t.Errorf("the pull request must promote staging only, as the config says:\n%s", prs[0].Body)
	}
	if got := w.outputs(t)["skipped"]; got != "1" {
		t.Errorf("output skipped = %q, want 1 (production, ignored by the config)", got)
	}
	if summary := w.summary(t); !strings.Contains(summary, `ignored by rules\[0\] (policy/promotions.yaml:4)`) {
		t.Errorf("the summary does not say which rule held production back:\n%s", summary)
	}
}

func TestAConfigInputThatDoesNotExistFailsTheStep(t *testing.T) {
	w := newRunWorld(t, "1.2.3", "1.2.4")
	w.dispatch(t, "1.2.4")
	w.env[input("config")] = "policy/missing.yaml"

	code, out := w.run(t)
	if code != ExitUsage {
		t.Errorf("exit %d, want %d", code, ExitUsage)
	}
	if !strings.Contains(out.String(), "::error::config file policy/missing.yaml does not exist") {
		t.Errorf("the log does not name the missing file:\n%s", out)
	}
}
