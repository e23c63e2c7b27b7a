package promote_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/downloader"
	"helm.sh/helm/v3/pkg/getter"
	helmregistry "helm.sh/helm/v3/pkg/registry"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// readersWorld is testdata/readers in a temporary directory, with every kind of file
// chart-promoter reads: Applications (one pinned by digest), a kustomization's helmCharts
// and an umbrella chart whose Chart.lock Helm's own dependency manager wrote, against a
// registry whose charts Helm's client pushed.
type readersWorld struct {
	reg     *testenv.Registry
	root    string
	digests map[string]string // "redis:18.1.9" → manifest digest
}

func newReadersWorld(t *testing.T) *readersWorld {
	t.Helper()
	w := &readersWorld{reg: testenv.StartRegistry(t), root: t.TempDir(), digests: map[string]string{}}
	push := func(name string, versions ...string) {
		for _, v := range versions {
			w.digests[name+":"+v] = w.reg.PushChart(t, "charts", name, v)
		}
	}
	// What the registry held when the chart's lock was written...
	push("webapp", "1.0.0")
	push("podinfo", "6.7.1")
	push("redis", "17.3.14", "18.1.6")
	copyTree(t, filepath.Join("testdata", "readers"), w.root, w.reg.Host)
	apps := filepath.Join(w.root, "apps", "podinfo.yaml")
	writeFile(t, w.root, "apps/podinfo.yaml", strings.ReplaceAll(string(readFile(t, apps)), "PODINFO_DIGEST", w.digests["podinfo:6.7.1"]))
	platform := filepath.Join(w.root, "charts", "platform")
	m, out := helmDependencies(t, w.reg, platform)
	if err := m.Update(); err != nil {
		t.Fatalf("helm dependency update: %v\n%s", err, out)
	}
	if err := os.RemoveAll(filepath.Join(platform, "charts")); err != nil {
		t.Fatal(err)
	}
	// ... and what was released since.
	push("webapp", "1.1.0", "1.2.0+b.3")
	push("podinfo", "6.7.2", "6.8.0")
	push("redis", "17.4.0", "18.1.9", "18.2.0")
	return w
}

// helmDependencies is Helm's own `helm dependency` logic for the chart in dir.
func helmDependencies(t *testing.T, reg *testenv.Registry, dir string) (*downloader.Manager, *bytes.Buffer) {
	t.Helper()
	client, err := helmregistry.NewClient(
		helmregistry.ClientOptHTTPClient(reg.HTTPClient()),
		helmregistry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "registry.json")),
	)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	home := t.TempDir()
	return &downloader.Manager{
		Out: &out, ChartPath: dir, SkipUpdate: true, Getters: getter.Getters(), RegistryClient: client,
		RepositoryConfig: filepath.Join(home, "repositories.yaml"), RepositoryCache: filepath.Join(home, "cache"),
	}, &out
}

func TestPlanAndApplyMoveApplicationsKustomizationsAndChartLocksAlike(t *testing.T) {
	w := newReadersWorld(t)
	cfg, err := config.Load(w.root, "")
	if err != nil {
		t.Fatal(err)
	}
	client := newClient(t, w.reg)
	plan, err := promote.Make(t.Context(), promote.Options{Dir: w.root, Config: cfg, Registry: client})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Errors) > 0 {
		t.Fatalf("plan errors: %+v", plan.Errors)
	}
	chart := func(name string) string { return w.reg.Host + "/charts/" + name }
	type want struct {
		file, owner, kind, form, from, to, pin, fromVersion, toVersion, rng, lock, warning string
	}
	wants := []want{
		{file: "apps/podinfo.yaml", owner: "Application podinfo", kind: "Application", form: "oci", from: w.digests["podinfo:6.7.1"], to: w.digests["podinfo:6.8.0"], pin: "digest", fromVersion: "6.7.1", toVersion: "6.8.0"},
		{file: "apps/podinfo.yaml", owner: "Application podinfo-canary", kind: "Application", form: "oci", from: "6.7.1", to: w.digests["podinfo:6.8.0"], pin: "digest", fromVersion: "6.7.1", toVersion: "6.8.0"},
		{file: "apps/webapp.yaml", owner: "Application webapp", kind: "Application", form: "helm-oci", from: "1.0.0", to: "1.2.0+b.3"},
		{file: "charts/platform/Chart.yaml", owner: "chart platform", kind: "Chart", form: "helm-dependency", from: "1.0.0", to: "1.2.0+b.3", lock: "charts/platform/Chart.lock"},
		{file: "charts/platform/Chart.yaml", owner: "chart platform", kind: "Chart", form: "helm-dependency", from: "18.1.6", to: "18.1.9", rng: "~18.1.0", lock: "charts/platform/Chart.lock", warning: "only charts/platform/Chart.lock moves"},
		{file: "charts/platform/Chart.yaml", owner: "chart platform", kind: "Chart", form: "helm-dependency", from: "17.3.14", to: "17.4.0", lock: "charts/platform/Chart.lock"},
		{file: "envs/prod/kustomization.yaml", owner: "kustomization envs/prod", kind: "Kustomization", form: "kustomize", from: "1.0.0", to: "1.2.0+b.3", warning: "pin: digest (rules[1]"},
	}
	if len(plan.Changes) != len(wants) {
		t.Fatalf("%d changes, want %d: %+v", len(plan.Changes), len(wants), plan.Changes)
	}
	for i, c := range plan.Changes {
		wt := wants[i]
		got := want{c.File, c.Owner, c.Kind, c.Form, c.From, c.To, c.Pin, c.FromVersion, c.ToVersion, c.Range, c.LockFile, ""}
		if strings.Contains(strings.Join(c.Warnings, "\n"), wt.warning) {
			got.warning = wt.warning
		}
		if got != wt {
			t.Errorf("change %d = %+v\nwant       %+v (warnings %q)", i, got, wt, c.Warnings)
		}
		if c.Pin == "digest" && c.Digest != c.To {
			t.Errorf("change %d pins %s but the digest of %s is %s", i, c.To, c.ToVersion, c.Digest)
		}
	}
	if c := plan.Changes[5]; c.Constraint != "^17" || c.Chart != chart("redis") {
		t.Errorf("the queue dependency moves under %q (%s), want the comment's ^17", c.Constraint, c.Chart)
	}
	if c := plan.Changes[6]; len(c.DeployedBy) != 1 || !strings.HasPrefix(c.DeployedBy[0], "Application shop (apps/podinfo.yaml:") {
		t.Errorf("the kustomization is deployed by %q, want the Application shop whose path is envs/prod", c.DeployedBy)
	}
	if c := plan.Changes[4]; c.Constraint != "~18.1.0" {
		t.Errorf("the sessions dependency moves under %q, want Chart.yaml's range", c.Constraint)
	}
	var sawRange bool
	for _, s := range plan.Skipped {
		if s.File == "envs/prod/kustomization.yaml" && strings.Contains(s.Reason, `version "~6.7.0" is a range: helm pull resolves it`) {
			sawRange = true
		}
		if s.File != "apps/webapp.yaml" && s.File != "apps/podinfo.yaml" && strings.Contains(s.Reason, "targetRevision") {
			t.Errorf("a skip of %s speaks of targetRevision, which it has not: %s", s.File, s.Reason)
		}
	}
	if !sawRange {
		t.Errorf("the kustomization's range is not skipped as helm pull's: %+v", plan.Skipped)
	}

	written, failed := plan.Apply()
	if len(failed) > 0 {
		t.Fatalf("Apply: %+v", failed)
	}
	wantWritten := []string{"apps/podinfo.yaml", "apps/webapp.yaml", "charts/platform/Chart.lock", "charts/platform/Chart.yaml", "envs/prod/kustomization.yaml"}
	if strings.Join(written, " ") != strings.Join(wantWritten, " ") {
		t.Errorf("Apply wrote %v, want %v", written, wantWritten)
	}
	podinfo := string(readFile(t, filepath.Join(w.root, "apps", "podinfo.yaml")))
	if n := strings.Count(podinfo, "targetRevision: "+w.digests["podinfo:6.8.0"]+" # chart-promoter: version=6.8.0\n"); n != 2 {
		t.Errorf("apps/podinfo.yaml pins 6.8.0 by digest %d times, want 2:\n%s", n, podinfo)
	}
	// Argo CD pulls the digest: the registry serves that manifest, and it is 6.8.0.
	cv, err := client.Chart(t.Context(), chart("podinfo"), w.digests["podinfo:6.8.0"])
	if err != nil || cv.Metadata.Version != "6.8.0" {
		t.Errorf("the pinned digest resolves to %+v, %v; want podinfo 6.8.0", cv.Metadata, err)
	}

	// Helm's own dependency build accepts the lock chart-promoter wrote, and downloads
	// exactly the versions the plan chose.
	platform := filepath.Join(w.root, "charts", "platform")
	m, out := helmDependencies(t, w.reg, platform)
	if err := m.Build(); err != nil {
		t.Fatalf("helm dependency build refused the lock chart-promoter wrote: %v\n%s\n%s", err, readFile(t, filepath.Join(platform, "Chart.lock")), out)
	}
	for _, archive := range []string{"webapp-1.2.0+b.3.tgz", "redis-18.1.9.tgz", "redis-17.4.0.tgz"} {
		if _, err := os.Stat(filepath.Join(platform, "charts", archive)); err != nil {
			t.Errorf("helm dependency build did not fetch %s: %v", archive, err)
		}
	}
	if err := os.RemoveAll(filepath.Join(platform, "charts")); err != nil {
		t.Fatal(err)
	}

	// Planned again, everything is where its policy wants it: digest pins read back as
	// pins at their versions, and the range says what it holds back.
	again, err := promote.Make(t.Context(), promote.Options{Dir: w.root, Config: cfg, Registry: client})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Changes) > 0 || len(again.Errors) > 0 {
		t.Fatalf("second plan: %d changes %+v, errors %+v; want none", len(again.Changes), again.Changes, again.Errors)
	}
	var heldBack bool
	for _, s := range again.Skipped {
		if strings.Contains(s.Reason, "18.2.0 is out and Chart.yaml's range ~18.1.0 does not allow it") {
			heldBack = true
		}
	}
	if !heldBack {
		t.Errorf("the second plan does not say that the range holds 18.2.0 back: %+v", again.Skipped)
	}
}

func TestPromoteOpensOnePullRequestPerKustomizationChartAndApplication(t *testing.T) {
	rw := newReadersWorld(t)
	w := &gitops{t: t, reg: rw.reg, digests: rw.digests}
	w.git = testenv.StartGitServer(t, testenv.WithGitBasicAuth("x-access-token", gitopsToken))
	w.gh = testenv.StartFakeGitHub(t, gitopsToken)
	w.gh.AddRepo(gitopsOwner, gitopsName, "main")
	w.files = map[string]string{}
	for name, data := range readTree(t, rw.root) {
		w.files[name] = string(data)
	}
	w.git.CreateRepo(t, gitopsName, w.files)
	w.clone = w.git.Clone(t, gitopsName, testenv.CloneDepth(1))
	w.registry = newClient(t, w.reg)

	opts := w.options()
	opts.GroupBy = promote.GroupByApplication
	cfg, err := config.Load(w.clone, "")
	if err != nil {
		t.Fatal(err)
	}
	opts.Plan.Config = cfg
	res := w.propose(opts)
	byBranch := map[string]promote.Proposal{}
	for _, p := range res.Proposals {
		byBranch[p.Branch] = p
	}
	for _, branch := range []string{
		"chart-promoter/kustomization/envs-prod",
		"chart-promoter/helm-chart/charts-platform",
		"chart-promoter/app/argocd/webapp",
		"chart-promoter/app/argocd/podinfo",
		"chart-promoter/app/argocd/podinfo-canary",
	} {
		if _, ok := byBranch[branch]; !ok {
			t.Errorf("no pull request on %s; proposals %v", branch, w.branches())
		}
	}
	p := byBranch["chart-promoter/helm-chart/charts-platform"]
	if len(p.Changes) != 3 {
		t.Fatalf("the chart's pull request carries %d changes, want its 3 dependencies", len(p.Changes))
	}
	for _, want := range []string{"| chart platform |", "`charts/platform/Chart.lock`", "(within `~18.1.0`)"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the chart's pull request body lacks %q:\n%s", want, p.Body)
		}
	}
	// The commit holds Chart.yaml and Chart.lock in step: the lock records the digest Helm
	// computes from both, and the generated time of the run.
	chartYAML := w.bare("show", p.Branch+":charts/platform/Chart.yaml")
	lock := w.bare("show", p.Branch+":charts/platform/Chart.lock")
	digest, err := manifest.LockDigest([]byte(chartYAML), []byte(lock))
	if err != nil || !strings.Contains(lock, "digest: "+digest+"\n") {
		t.Errorf("the committed lock does not record the digest Helm computes (%s, %v):\n%s", digest, err, lock)
	}
	if !strings.Contains(lock, `generated: "`+proposeNow.Format(time.RFC3339Nano)+`"`) {
		t.Errorf("the committed lock is not generated at the run's time:\n%s", lock)
	}
	pin := byBranch["chart-promoter/app/argocd/podinfo-canary"]
	if !strings.Contains(pin.Body, "pinned by digest `"+rw.digests["podinfo:6.8.0"]+"`") || pin.Title != "Promote podinfo to 6.8.0" {
		t.Errorf("the digest pin's pull request does not show version and digest: %q\n%s", pin.Title, pin.Body)
	}
	k := byBranch["chart-promoter/kustomization/envs-prod"]
	if !strings.Contains(k.Body, "| kustomization envs/prod |") || !strings.Contains(k.Body, "synced by Application shop") {
		t.Errorf("the kustomization's pull request does not name it:\n%s", k.Body)
	}
}

func TestPinTagTurnsADigestPinBackIntoATagAndABareDigestStaysPut(t *testing.T) {
	reg := testenv.StartRegistry(t)
	old := reg.PushChart(t, "charts", "podinfo", "6.7.1")
	reg.PushChart(t, "charts", "podinfo", "6.8.0")
	root := t.TempDir()
	app := func(name, revision string) string {
		return "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: " + name + "\nspec:\n  source:\n    repoURL: oci://" + reg.Host + "/charts/podinfo\n    path: .\n    targetRevision: " + revision + "\n  destination:\n    name: in-cluster\n"
	}
	writeFile(t, root, "pinned.yaml", app("pinned", old+" # chart-promoter: version=6.7.1"))
	writeFile(t, root, "bare.yaml", app("bare", old))
	writeFile(t, root, "chart-promoter.yaml", "rules:\n  - pin: tag\n")
	cfg, err := config.Load(root, "")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := promote.Make(t.Context(), promote.Options{Dir: root, Config: cfg, Registry: newClient(t, reg)})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Changes) != 1 || len(plan.Errors) > 0 {
		t.Fatalf("%d changes %+v, errors %+v; want the pinned source only", len(plan.Changes), plan.Changes, plan.Errors)
	}
	if c := plan.Changes[0]; c.From != old || c.To != "6.8.0" || c.FromVersion != "6.7.1" || c.Pin != "" {
		t.Errorf("change = from %s (%s) to %s, pin %q; want the digest of 6.7.1 to the tag 6.8.0", c.From, c.FromVersion, c.To, c.Pin)
	}
	var bare bool
	for _, s := range plan.Skipped {
		bare = bare || (s.File == "bare.yaml" && strings.Contains(s.Reason, "is a digest: pinned on purpose"))
	}
	if !bare {
		t.Errorf("the bare digest is not skipped as pinned on purpose: %+v", plan.Skipped)
	}
	if _, failed := plan.Apply(); len(failed) > 0 {
		t.Fatal(failed)
	}
	if got := string(readFile(t, filepath.Join(root, "pinned.yaml"))); got != app("pinned", "6.8.0") {
		t.Errorf("pinned.yaml after apply:\n%s\nwant the tag without the tool's comment", got)
	}
}
