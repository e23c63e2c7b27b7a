package action

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// runToken is the workflow's token: the Git server and the fake GitHub accept exactly it.
const runToken = "ghs_runTestToken0123456789abcdefghijklmnop"

// runFixture is the GitOps repository the promotion tests share, written for the registry
// host "registry.test".
var runFixture = filepath.Join("..", "internal", "promote", "testdata", "propose", "webapp")

// runWorld is a workflow run's surroundings: a registry, the GitOps repository on a real
// Git server checked out with depth 1 as the working directory, a fake GitHub, and the
// files the runner hands a step (event payload, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY).
type runWorld struct {
	reg   *testenv.Registry
	git   *testenv.GitServer
	gh    *testenv.FakeGitHub
	clone string
	env   map[string]string
	// testdata is this package's testdata directory; the working directory is the clone.
	testdata string
}

// newRunWorld sets the world up with versions of charts/webapp pushed and the clone as
// the current directory, as actions/checkout leaves it. Tests using it cannot be parallel.
func newRunWorld(t *testing.T, versions ...string) *runWorld {
	t.Helper()
	creds := t.TempDir()
	t.Setenv("DOCKER_CONFIG", creds)
	t.Setenv("HELM_REGISTRY_CONFIG", filepath.Join(creds, "helm-registry.json"))

	w := &runWorld{reg: testenv.StartRegistry(t)}
	for _, v := range versions {
		w.pushWebapp(t, v)
	}
	files := map[string]string{}
	err := filepath.WalkDir(runFixture, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(runFixture, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = strings.ReplaceAll(string(data), "registry.test", w.reg.Host)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	w.git = testenv.StartGitServer(t, testenv.WithGitBasicAuth("x-access-token", runToken))
	w.git.CreateRepo(t, "gitops", files)
	w.clone = w.git.Clone(t, "gitops", testenv.CloneDepth(1))
	w.gh = testenv.StartFakeGitHub(t, runToken)
	w.gh.AddRepo("acme", "gitops", "main")
	if w.testdata, err = filepath.Abs("testdata"); err != nil {
		t.Fatal(err)
	}
	t.Chdir(w.clone)
	w.git.Requests.Reset()

	dir := t.TempDir()
	w.env = map[string]string{
		"GITHUB_REPOSITORY":     "acme/gitops",
		"GITHUB_OUTPUT":         filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY":   filepath.Join(dir, "summary.md"),
		"GITHUB_EVENT_PATH":     filepath.Join(dir, "event.json"),
		input("token"):          runToken,
		input("ca-file"):        w.reg.CAFile,
		input("github-api-url"): w.gh.URL,
	}
	return w
}

func (w *runWorld) pushWebapp(t *testing.T, version string) string {
	t.Helper()
	return w.reg.PushChart(t, "charts", "webapp", version, testenv.WithAppVersion("5.0."+version[strings.LastIndex(version, ".")+1:]))
}

func (w *runWorld) chart() string { return w.reg.Host + "/charts/webapp" }

// event writes the payload of event name where GITHUB_EVENT_PATH points.
func (w *runWorld) event(t *testing.T, name string, payload []byte) {
	t.Helper()
	w.env["GITHUB_EVENT_NAME"] = name
	if err := os.WriteFile(w.env["GITHUB_EVENT_PATH"], payload, 0o600); err != nil {
		t.Fatal(err)
	}
}

// dispatch is a repository_dispatch naming the chart and version.
func (w *runWorld) dispatch(t *testing.T, version string) {
	t.Helper()
	payload, err := json.Marshal(map[string]any{
		"action":         "promote",
		"client_payload": map[string]string{"chart": "oci://" + w.chart(), "version": version},
		"sender":         map[string]string{"login": "release-bot"},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.event(t, "repository_dispatch", payload)
}

// run runs the step and returns its exit status and what it printed.
func (w *runWorld) run(t *testing.T) (int, *bytes.Buffer) {
	t.Helper()
	a, out := newAction(w.env)
	code := Run(t.Context(), a, "chart-promoter-test")
	t.Logf("exit %d\n%s", code, out)
	return code, out
}

func (w *runWorld) outputs(t *testing.T) map[string]string {
	t.Helper()
	return parseOutputFile(t, readText(t, w.env["GITHUB_OUTPUT"]))
}

func (w *runWorld) summary(t *testing.T) string {
	t.Helper()
	return readText(t, w.env["GITHUB_STEP_SUMMARY"])
}

func readText(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func (w *runWorld) branch() string {
	return "chart-promoter/chart/" + strings.NewReplacer("/", "-", ":", "-").Replace(w.chart())
}

func TestTheActionOpensAPullRequestForADispatchedVersionAndReportsIt(t *testing.T) {
	w := newRunWorld(t, "1.2.3", "1.2.4")
	w.dispatch(t, "1.2.4")
	w.env[input("labels")] = "promotion"

	code, out := w.run(t)
	if code != ExitOK {
		t.Fatalf("exit %d, want %d", code, ExitOK)
	}
	prs := w.gh.PullRequests("acme", "gitops")
	if len(prs) != 1 || prs[0].Head != w.branch() || prs[0].Title != "Promote webapp to 1.2.4" || prs[0].Labels[0] != "promotion" {
		t.Fatalf("pull requests %+v", prs)
	}
	mainTip := w.git.Git(t, "gitops", "rev-parse", "refs/heads/main")
	if got := w.git.Git(t, "gitops", "log", "-1", "--format=%P", w.branch()); got != mainTip {
		t.Errorf("the promotion commit's parents are %q, want main's tip %s", got, mainTip)
	}
	if got := w.git.GitIn(t, w.clone, "status", "--porcelain"); got != "" {
		t.Errorf("the step changed the checkout:\n%s", got)
	}

	outputs := w.outputs(t)
	for name, want := range map[string]string{
		"changed": "true", "pull-request-number": "1", "pull-request-url": "https://github.com/acme/gitops/pull/1",
		"pull-request-numbers": "[1]", "branch": w.branch(), "skipped": "0", "errors": "0",
		"pull-request-operation": "created", "pull-request-head-sha": w.git.Git(t, "gitops", "rev-parse", "refs/heads/"+w.branch()),
	} {
		if outputs[name] != want {
			t.Errorf("output %s = %q, want %q", name, outputs[name], want)
		}
	}
	// The changes output is what `chart-promoter plan --json` says of the same checkout.
	reg, err := registry.New(registry.WithRootCAs(w.reg.CertPool))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := promote.Make(t.Context(), promote.Options{Dir: ".", Charts: []string{w.chart()}, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(plan.Changes)
	if err != nil {
		t.Fatal(err)
	}
	var gotChanges, wantChanges any
	if err := json.Unmarshal([]byte(outputs["changes"]), &gotChanges); err != nil {
		t.Fatalf("changes output %q: %v", outputs["changes"], err)
	}
	if err := json.Unmarshal(want, &wantChanges); err != nil {
		t.Fatal(err)
	}
	if len(plan.Changes) != 2 || !reflect.DeepEqual(gotChanges, wantChanges) {
		t.Errorf("changes output\n%s\nwant the plan's\n%s", outputs["changes"], want)
	}

	summary := w.summary(t)
	for _, want := range []string{
		"## chart-promoter",
		"repository\\_dispatch \"promote\" for " + w.chart() + ":1.2.4 by release-bot",
		"| Application | File | Chart | Version | Pull request |",
		"| webapp-staging | `apps/staging/webapp.yaml:12` | `" + w.chart() + "` | `1.2.3` → `1.2.4` | [#1](https://github.com/acme/gitops/pull/1) opened |",
		"### Pull requests",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("the step summary lacks %q:\n%s", want, summary)
		}
	}

	// The token is masked before anything is printed, and written nowhere.
	lines := commandLines(out)
	if len(lines) == 0 || lines[0] != "::add-mask::"+runToken {
		t.Errorf("the first line printed is %q, want the token's mask", lines[0])
	}
	if n := strings.Count(out.String(), runToken); n != 1 {
		t.Errorf("the token appears %d times in the step's log, want only in its mask", n)
	}
	places := map[string]string{
		"GITHUB_OUTPUT":       readText(t, w.env["GITHUB_OUTPUT"]),
		"GITHUB_STEP_SUMMARY": summary,
		"commits":             w.git.Git(t, "gitops", "log", "--all", "--format=%an %ae %cn %ce%n%B"),
		"remote of the clone": w.git.GitIn(t, w.clone, "config", "--get-regexp", "."),
	}
	for _, pr := range w.gh.PullRequests("acme", "gitops") {
		places["PR #"+strconv.Itoa(pr.Number)] = pr.Title + pr.Body + strings.Join(w.gh.Comments("acme", "gitops", pr.Number), "")
	}
	for where, text := range places {
		if strings.Contains(text, runToken) {
			t.Errorf("the token is in %s", where)
		}
	}
}

func TestADryRunPrintsThePlanInTheLogAndWarnsAboutAChartNoSourceUses(t *testing.T) {
	w := newRunWorld(t, "1.2.3", "1.2.4")
	w.event(t, "workflow_dispatch", []byte(`{"inputs": {}}`))
	w.env[input("dry-run")] = "true"
	w.env[input("chart")] = w.chart() + "\n" + w.reg.Host + "/charts/webap"
	w.env[input("paths")] = "apps/**, nothing/*.yml"

	code, out := w.run(t)
	if code != ExitOK {
		t.Fatalf("exit %d, want %d: a warning does not fail the step", code, ExitOK)
	}
	log := out.String()
	group := log[strings.Index(log, "::group::Plan and propose"):]
	group = group[:strings.Index(group, "::endgroup::")]
	for _, want := range []string{"Changes (2):", "apps/staging/webapp.yaml:12", "1.2.3 → 1.2.4", "Pull requests (1):", "planned"} {
		if !strings.Contains(group, want) {
			t.Errorf("the dry run's log group lacks %q:\n%s", want, group)
		}
	}
	var warnings []string
	for _, l := range commandLines(out) {
		if strings.HasPrefix(l, "::warning") {
			warnings = append(warnings, l)
		}
	}
	wantChart := "chart: no source uses " + w.reg.Host + "/charts/webap; did you mean " + w.chart() + "?"
	wantGlob := `paths: pattern "nothing/*.yml" matches no file`
	if len(warnings) != 2 || !strings.Contains(warnings[0]+warnings[1], wantChart) || !strings.Contains(warnings[0]+warnings[1], wantGlob) {
		t.Errorf("warning annotations %q; want one saying %q and one saying %q", warnings, wantChart, wantGlob)
	}
	if summary := w.summary(t); !strings.Contains(summary, "did you mean") {
		t.Errorf("the step summary lacks the warning:\n%s", summary)
	}
	if n := w.gh.Requests.Count(nil); n != 0 {
		t.Errorf("a dry run made %d GitHub requests", n)
	}
}

func TestTheActionRejectsAnInvalidInputWithOneErrorNamingIt(t *testing.T) {
	w := newRunWorld(t, "1.2.3", "1.2.4")
	w.dispatch(t, "1.2.4")
	w.env[input("group-by")] = "bogus"

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
	if len(errs) != 1 || !strings.Contains(errs[0], "group-by") || !strings.Contains(errs[0], `"bogus"`) {
		t.Errorf("error lines %q; want one naming group-by and its value", errs)
	}
	if n := w.gh.Requests.Count(nil) + w.git.Requests.Count(nil); n != 0 {
		t.Errorf("%d requests to GitHub and Git; want none", n)
	}
}

func TestTheActionPromotesTheChartARegistryPackageEventNames(t *testing.T) {
	w := newRunWorld(t, "1.2.3", "1.2.5")
	// GHCR's payload, with the chart moved to the test registry.
	payload, err := os.ReadFile(filepath.Join(w.testdata, "events", "registry_package_published.json"))
	if err != nil {
		t.Fatal(err)
	}
	payload = bytes.ReplaceAll(payload, []byte("ghcr.io/acme/charts/webapp"), []byte(w.chart()))
	payload = bytes.ReplaceAll(payload, []byte(`"default_branch": "trunk"`), []byte(`"default_branch": "main"`))
	w.event(t, "registry_package", payload)

	if code, _ := w.run(t); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if prs := w.gh.PullRequests("acme", "gitops"); len(prs) != 1 || prs[0].Title != "Promote webapp to 1.2.5" || prs[0].Base != "main" {
		t.Errorf("pull requests %+v", prs)
	}
	if want := w.chart() + ":1.2.5 published by release-bot"; !strings.Contains(w.summary(t), want) {
		t.Errorf("the summary does not name the trigger %q:\n%s", want, w.summary(t))
	}
}

func TestTheActionWaitsForAVersionTheRegistryDoesNotShowYet(t *testing.T) {
	w := newRunWorld(t, "1.2.3")
	w.dispatch(t, "1.2.6")
	// Checks at 0 s and 1 s miss it; the wait must still use the rest of its 3 s.
	w.env[input("wait-for-version")] = "3s"

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(1500 * time.Millisecond)
		w.pushWebapp(t, "1.2.6")
	}()
	code, out := w.run(t)
	wg.Wait()
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), ":1.2.6 not visible yet") || !strings.Contains(out.String(), ":1.2.6 is visible") {
		t.Errorf("the log does not show the wait:\n%s", out)
	}
	if prs := w.gh.PullRequests("acme", "gitops"); len(prs) != 1 || prs[0].Title != "Promote webapp to 1.2.6" {
		t.Errorf("pull requests %+v", prs)
	}
}

func TestAnOCIRepoURLWithAChartArgoCDNeverSyncsIsAnAnnotatedErrorAndTheRestIsProposed(t *testing.T) {
	w := newRunWorld(t, "1.2.3", "1.2.4")
	w.dispatch(t, "1.2.4")
	data := strings.ReplaceAll(readText(t, filepath.Join(w.testdata, "manifests", "blog-form.yaml")), "registry.test", w.reg.Host)
	if err := os.WriteFile(filepath.Join("apps", "blog-form.yaml"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}

	code, out := w.run(t)
	if code != ExitFailed {
		t.Errorf("exit %d, want %d", code, ExitFailed)
	}
	want := "::error file=apps/blog-form.yaml,line=11,title=chart-promoter::" + w.chart() + `: repoURL "oci://` + w.reg.Host + `/charts" with chart "webapp" never syncs`
	if !strings.Contains(out.String(), want) {
		t.Errorf("the log lacks the annotation %q:\n%s", want, out)
	}
	if got := readText(t, filepath.Join("apps", "blog-form.yaml")); got != data {
		t.Errorf("the source Argo CD cannot sync was changed:\n%s", got)
	}
	prs := w.gh.PullRequests("acme", "gitops")
	if len(prs) != 1 || strings.Contains(prs[0].Body, "blog-form") {
		t.Fatalf("pull requests %+v; want the one for the other Applications, without the broken source", prs)
	}
	if got := w.outputs(t); got["errors"] != "1" || got["changed"] != "true" {
		t.Errorf("outputs %v", got)
	}
}

func TestTheActionHoldsAPullRequestTheRateLimitCannotFinishAndFails(t *testing.T) {
	w := newRunWorld(t, "1.2.3", "1.2.4")
	w.dispatch(t, "1.2.4")
	// Two requests: the list of open pull requests (whose recorded digests planning checks)
	// and the look-up of closed ones; none is left for the create.
	w.gh = testenv.StartFakeGitHub(t, runToken, testenv.WithFakeGitHubRateLimit(2))
	w.gh.AddRepo("acme", "gitops", "main")
	w.env[input("github-api-url")] = w.gh.URL

	code, out := w.run(t)
	if code != ExitFailed {
		t.Errorf("exit %d, want %d", code, ExitFailed)
	}
	want := "::error::" + w.branch() + ": held: GitHub's API rate limit allows 0 more request(s) until "
	if !strings.Contains(out.String(), want) {
		t.Errorf("the log lacks %q:\n%s", want, out)
	}
	if prs := w.gh.PullRequests("acme", "gitops"); len(prs) != 0 {
		t.Errorf("pull requests %+v; want none", prs)
	}
	if refs := w.git.Git(t, "gitops", "for-each-ref", "--format=%(refname:short)", "refs/heads/"); refs != "main" {
		t.Errorf("branches %q; want main only: nothing pushed for the held pull request", refs)
	}
	if got := w.outputs(t); got["errors"] != "1" || got["changed"] != "false" {
		t.Errorf("outputs %v", got)
	}
	if summary := w.summary(t); !strings.Contains(summary, "held") {
		t.Errorf("the step summary does not show the held pull request:\n%s", summary)
	}
}

func TestTheActionFailsWhenTheVersionNeverShowsAndProposesNothing(t *testing.T) {
	w := newRunWorld(t, "1.2.3", "1.2.4")
	w.dispatch(t, "1.2.9")
	w.env[input("wait-for-version")] = "1s"

	code, out := w.run(t)
	if code != ExitFailed {
		t.Errorf("exit %d, want %d", code, ExitFailed)
	}
	if !strings.Contains(out.String(), "::error::"+w.chart()+":1.2.9 is still not visible after 1s") {
		t.Errorf("the log does not end the wait with an error:\n%s", out)
	}
	// One check at once, one at the limit.
	checks := w.reg.Requests.Count(func(method, path string) bool { return strings.HasSuffix(path, "/manifests/1.2.9") })
	if checks != 2 {
		t.Errorf("the registry was asked for 1.2.9 %d times, want 2", checks)
	}
	if n := w.gh.Requests.Count(nil) + w.git.Requests.Count(nil); n != 0 {
		t.Errorf("%d requests to GitHub and Git; want none", n)
	}
	if got := w.outputs(t); got["changed"] != "false" || got["errors"] != "1" {
		t.Errorf("outputs %v", got)
	}
}
