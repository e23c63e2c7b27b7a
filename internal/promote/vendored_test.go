package promote_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	helmaction "helm.sh/helm/v4/pkg/action"
	helmloader "helm.sh/helm/v4/pkg/chart/v2/loader"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// vendoredWorld is testdata/vendored in a temporary directory: umbrella charts whose
// Chart.lock and charts/*.tgz Helm's own `helm dependency update` wrote, against a
// registry whose charts Helm's client pushed, and newer versions pushed since.
type vendoredWorld struct {
	reg  *testenv.Registry
	root string
	// faults, when set, answers some of the registry's requests in its place.
	faults *testenv.Faults
}

func newVendoredWorld(t *testing.T, opts ...testenv.RegistryOption) *vendoredWorld {
	t.Helper()
	w := &vendoredWorld{reg: testenv.StartRegistry(t, opts...), root: t.TempDir()}
	w.reg.PushChart(t, "charts", "redis", "1.0.0")
	w.reg.PushChart(t, "charts", "common", "2.0.0")
	copyTree(t, filepath.Join("testdata", "vendored"), w.root, w.reg.Host)
	for _, chart := range []string{"platform", "aliased"} {
		m, out := helmDependencies(t, w.reg, filepath.Join(w.root, chart))
		if err := m.Update(); err != nil {
			t.Fatalf("helm dependency update %s: %v\n%s", chart, err, out)
		}
	}
	w.reg.PushChart(t, "charts", "redis", "1.1.0")
	w.reg.PushChart(t, "charts", "common", "2.0.1")
	w.reg.PushChart(t, "charts", "common", "2.1.0") // beyond Chart.yaml's ~2.0.0
	return w
}

// plan makes the plan of the world's tree through reg (nil: a client of the registry).
func (w *vendoredWorld) plan(t *testing.T, reg promote.Registry) *promote.Plan {
	t.Helper()
	cfg, err := config.Load(w.root, "")
	if err != nil {
		t.Fatal(err)
	}
	if reg == nil {
		reg = newClient(t, w.reg)
	}
	plan, err := promote.Make(t.Context(), promote.Options{Dir: w.root, Config: cfg, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// charts lists the files of a chart's charts/ directory.
func (w *vendoredWorld) charts(t *testing.T, chart string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(w.root, chart, "charts"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// layerDigest reads, straight from the registry's HTTP API, the digest the manifest of
// chart:tag gives its chart layer.
func (w *vendoredWorld) layerDigest(t *testing.T, chart, tag string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://"+w.reg.Host+"/v2/charts/"+chart+"/manifests/"+tag, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", ocispec.MediaTypeImageManifest)
	res, err := w.reg.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m ocispec.Manifest
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Layers {
		if l.MediaType == "application/vnd.cncf.helm.chart.content.v1.tar+gzip" {
			return l.Digest.String()
		}
	}
	t.Fatalf("%s:%s has no chart layer: %+v", chart, tag, m.Layers)
	return ""
}

// helmDependencyList is `helm dependency list` (Helm 4's own action) of a chart directory:
// each dependency's status as Helm judges the archives in charts/.
func helmDependencyList(t *testing.T, dir string) string {
	t.Helper()
	var out bytes.Buffer
	if err := helmaction.NewDependency().List(dir, &out); err != nil {
		t.Fatalf("helm dependency list: %v", err)
	}
	return out.String()
}

// statusOf is the STATUS column of a dependency's row in helm dependency list.
func statusOf(t *testing.T, list, name, version string) string {
	t.Helper()
	for _, line := range strings.Split(list, "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[0] == name && strings.Trim(f[1], `"`) == version {
			return strings.Join(f[3:], " ")
		}
	}
	t.Fatalf("helm dependency list has no row for %s %s:\n%s", name, version, list)
	return ""
}

func sha256Of(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func TestApplyReplacesTheVendoredArchiveWithTheLayerThePlanResolvedAndHelmAcceptsIt(t *testing.T) {
	w := newVendoredWorld(t)
	if list := helmDependencyList(t, filepath.Join(w.root, "platform")); statusOf(t, list, "redis", "1.0.0") != "ok" {
		t.Fatalf("before the change Helm does not accept the vendored archive:\n%s", list)
	}
	plan := w.plan(t, nil)
	if len(plan.Errors) > 0 {
		t.Fatalf("plan errors: %+v", plan.Errors)
	}
	redisLayer, commonLayer := w.layerDigest(t, "redis", "1.1.0"), w.layerDigest(t, "common", "2.0.1")
	want := map[string]promote.ArchiveReplacement{
		"redis":  {Removed: "platform/charts/redis-1.0.0.tgz", Added: "platform/charts/redis-1.1.0.tgz", Digest: redisLayer},
		"common": {Removed: "platform/charts/common-2.0.0.tgz", Added: "platform/charts/common-2.0.1.tgz", Digest: commonLayer},
	}
	var platform int
	for _, c := range plan.Changes {
		if c.File != "platform/Chart.yaml" {
			continue
		}
		platform++
		name := c.Chart[strings.LastIndex(c.Chart, "/")+1:]
		got := c.Archives
		if got == nil {
			t.Errorf("%s %s → %s replaces no archive; warnings %q", name, c.From, c.To, c.Warnings)
			continue
		}
		if w := want[name]; got.Removed != w.Removed || got.Added != w.Added || got.Digest != w.Digest || got.Size == 0 {
			t.Errorf("%s: archives = %+v, want %+v", name, *got, w)
		}
		if c.StaleArchive != "" {
			t.Errorf("%s: reported stale (%s) although it is replaced", name, c.StaleArchive)
		}
	}
	if platform != 2 {
		t.Fatalf("%d changes of platform/Chart.yaml, want redis and common: %+v", platform, plan.Changes)
	}
	var doc struct {
		Changes []map[string]json.RawMessage `json:"changes"`
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(plan); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var archivesJSON []string
	for _, c := range doc.Changes {
		if a, ok := c["archives"]; ok {
			archivesJSON = append(archivesJSON, string(a))
		}
	}
	if len(archivesJSON) < 2 || !strings.Contains(strings.Join(archivesJSON, "\n"), `"removed":"platform/charts/redis-1.0.0.tgz","added":"platform/charts/redis-1.1.0.tgz","digest":"`+redisLayer+`"`) {
		t.Errorf("the JSON changes carry archives %q", archivesJSON)
	}

	written, failed := plan.Apply()
	if len(failed) > 0 {
		t.Fatalf("apply failed: %+v", failed)
	}
	for _, f := range []string{"platform/Chart.yaml", "platform/Chart.lock", "platform/charts/redis-1.1.0.tgz", "platform/charts/redis-1.0.0.tgz"} {
		if !slices.Contains(written, f) {
			t.Errorf("apply did not report %s written (or removed): %q", f, written)
		}
	}
	if got := w.charts(t, "platform"); !slices.Equal(got, []string{"common-2.0.1.tgz", "redis-1.1.0.tgz"}) {
		t.Errorf("platform/charts after apply: %q, want the new archives only", got)
	}
	for name, layer := range map[string]string{"redis-1.1.0.tgz": redisLayer, "common-2.0.1.tgz": commonLayer} {
		if got := sha256Of(readFile(t, filepath.Join(w.root, "platform", "charts", name))); got != layer {
			t.Errorf("%s hashes to %s, not to the manifest's layer digest %s", name, got, layer)
		}
	}
	// Helm's own loader reads the umbrella chart with the new archives as its subcharts,
	// and helm dependency list judges each "ok" against Chart.yaml and Chart.lock.
	ch, err := helmloader.Load(filepath.Join(w.root, "platform"))
	if err != nil {
		t.Fatalf("Helm's loader refuses the chart after apply: %v", err)
	}
	var subcharts []string
	for _, d := range ch.Dependencies() {
		subcharts = append(subcharts, d.Name()+" "+d.Metadata.Version)
	}
	slices.Sort(subcharts)
	if !slices.Equal(subcharts, []string{"common 2.0.1", "redis 1.1.0"}) {
		t.Errorf("Helm loads the subcharts %q, want common 2.0.1 and redis 1.1.0", subcharts)
	}
	if ch.Lock == nil || len(ch.Lock.Dependencies) != 2 || ch.Lock.Dependencies[0].Version != "1.1.0" || ch.Lock.Dependencies[1].Version != "2.0.1" {
		t.Errorf("Chart.lock as Helm reads it: %+v", ch.Lock)
	}
	list := helmDependencyList(t, filepath.Join(w.root, "platform"))
	for _, row := range [][2]string{{"redis", "1.1.0"}, {"common", "~2.0.0"}} {
		if got := statusOf(t, list, row[0], row[1]); got != "ok" {
			t.Errorf("helm dependency list says %s is %q, want ok:\n%s", row[0], got, list)
		}
	}
	// helm dependency build's own check: the lock is in sync with Chart.yaml.
	m, out := helmDependencies(t, w.reg, filepath.Join(w.root, "platform"))
	if err := m.Build(); err != nil {
		t.Errorf("helm dependency build refuses the chart after apply: %v\n%s", err, out)
	}

	// Apply twice is apply once: the next plan finds the chart up to date.
	again := w.plan(t, nil)
	for _, c := range again.Changes {
		if c.File == "platform/Chart.yaml" {
			t.Errorf("after apply the plan still moves %s %s → %s", c.Chart, c.From, c.To)
		}
	}
}

func TestAnArchiveAnotherDependencyStillUsesStaysBesideTheNewOne(t *testing.T) {
	w := newVendoredWorld(t)
	plan := w.plan(t, nil)
	var change *promote.Change
	for i, c := range plan.Changes {
		if c.File == "aliased/Chart.yaml" {
			change = &plan.Changes[i]
		}
	}
	if change == nil || change.Archives == nil {
		t.Fatalf("no archive replacement for aliased/Chart.yaml: %+v, errors %+v", plan.Changes, plan.Errors)
	}
	if a := change.Archives; a.Removed != "" || a.Added != "aliased/charts/redis-1.1.0.tgz" {
		t.Errorf("archives = %+v, want redis-1.1.0.tgz added and redis-1.0.0.tgz kept for the alias sessions", *a)
	}
	if _, failed := plan.Apply(); len(failed) > 0 {
		t.Fatal(failed)
	}
	if got := w.charts(t, "aliased"); !slices.Equal(got, []string{"redis-1.0.0.tgz", "redis-1.1.0.tgz"}) {
		t.Errorf("aliased/charts after apply: %q, want both versions", got)
	}
	ch, err := helmloader.Load(filepath.Join(w.root, "aliased"))
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, d := range ch.Dependencies() {
		versions = append(versions, d.Metadata.Version)
	}
	slices.Sort(versions)
	if !slices.Equal(versions, []string{"1.0.0", "1.1.0"}) {
		t.Errorf("Helm loads redis at %q, want 1.0.0 (for sessions) and 1.1.0", versions)
	}
}

func TestWithoutTheRuleAVendoredArchiveIsReportedStaleAndLeftAlone(t *testing.T) {
	w := newVendoredWorld(t)
	if err := os.Remove(filepath.Join(w.root, "chart-promoter.yaml")); err != nil {
		t.Fatal(err)
	}
	plan := w.plan(t, nil)
	var stale []string
	for _, c := range plan.Changes {
		if c.Archives != nil {
			t.Errorf("%s %s → %s replaces its archive without the rule", c.Chart, c.From, c.To)
		}
		if c.StaleArchive != "" {
			stale = append(stale, c.StaleArchive)
			if !strings.Contains(strings.Join(c.Warnings, "\n"), c.StaleArchive+" is the vendored archive of "+c.From+" and is stale after this change: run helm dependency build") {
				t.Errorf("the stale archive's warning is gone: %q", c.Warnings)
			}
		}
	}
	slices.Sort(stale)
	if want := []string{"aliased/charts/redis-1.0.0.tgz", "platform/charts/common-2.0.0.tgz", "platform/charts/redis-1.0.0.tgz"}; !slices.Equal(stale, want) {
		t.Errorf("stale archives %q, want %q", stale, want)
	}
	if len(plan.Archives) != 0 {
		t.Errorf("the plan writes archives %+v", plan.Archives)
	}
	if _, failed := plan.Apply(); len(failed) > 0 {
		t.Fatal(failed)
	}
	if got := w.charts(t, "platform"); !slices.Equal(got, []string{"common-2.0.0.tgz", "redis-1.0.0.tgz"}) {
		t.Errorf("platform/charts after apply: %q, want it untouched", got)
	}
	// What the report warns of: Helm finds the old archive no longer matching Chart.yaml.
	if got := statusOf(t, helmDependencyList(t, filepath.Join(w.root, "platform")), "redis", "1.1.0"); got != "wrong version" {
		t.Errorf("helm dependency list says the stale archive is %q, want wrong version", got)
	}
}

// tamperedArchives is the registry client with its chart downloads altered after they
// arrive, as a faulty client or a cache could hand them back: what the plan's own checks
// must catch where the client's would not.
type tamperedArchives struct {
	*registry.Client
	alter func(a registry.ChartArchive) registry.ChartArchive
}

func (c tamperedArchives) ChartArchive(ctx context.Context, chart, ref string) (registry.ChartArchive, error) {
	a, err := c.Client.ChartArchive(ctx, chart, ref)
	if err != nil || !strings.HasSuffix(chart, "/redis") {
		return a, err
	}
	return c.alter(a), nil
}

func TestAnArchiveThatIsNotTheLayerThePlanResolvedChangesNothingOfItsChart(t *testing.T) {
	older := testenv.PackageChart(t, "redis", "1.0.0")
	olderData, err := os.ReadFile(older)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		tamper  func(t *testing.T, w *vendoredWorld) promote.Registry
		wantErr string
	}{
		{"a registry that serves another blob for the chart layer", func(t *testing.T, w *vendoredWorld) promote.Registry {
			layer := w.layerDigest(t, "redis", "1.1.0")
			w.faults.Add(http.MethodGet, "^/v2/charts/redis/blobs/"+regexp.QuoteMeta(layer)+"$", 0, testenv.Rewrite(func(status int, _ http.Header, body []byte) (int, []byte) {
				body[len(body)/2] ^= 0xff
				return status, body
			}))
			return nil
		}, "digest"},
		{"a client that hands back other bytes than the layer digest names", func(t *testing.T, w *vendoredWorld) promote.Registry {
			return tamperedArchives{newClient(t, w.reg), func(a registry.ChartArchive) registry.ChartArchive {
				a.Data = append(bytes.Clone(a.Data), 0)
				return a
			}}
		}, "the chart layer's bytes hash to"},
		{"a client that hands back another manifest than the one planned", func(t *testing.T, w *vendoredWorld) promote.Registry {
			return tamperedArchives{newClient(t, w.reg), func(a registry.ChartArchive) registry.ChartArchive {
				a.Digest = "sha256:" + strings.Repeat("0", 64)
				return a
			}}
		}, "not sha256:"},
		{"a layer that holds another version of the chart", func(t *testing.T, w *vendoredWorld) promote.Registry {
			return tamperedArchives{newClient(t, w.reg), func(a registry.ChartArchive) registry.ChartArchive {
				a.Data, a.LayerDigest = olderData, sha256Of(olderData)
				return a
			}}
		}, "holds redis 1.0.0, not redis 1.1.0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			faults := testenv.NewFaults()
			w := newVendoredWorld(t, testenv.WithMiddleware(faults.Middleware))
			w.faults = faults
			before := readTree(t, w.root)
			plan := w.plan(t, c.tamper(t, w))
			var failedRedis []string
			for _, e := range plan.Errors {
				if strings.HasSuffix(e.Chart, "/redis") && strings.Contains(e.Message, "nothing of this change is written") && strings.Contains(e.Message, c.wantErr) {
					failedRedis = append(failedRedis, e.File)
				}
			}
			slices.Sort(failedRedis)
			if !slices.Equal(failedRedis, []string{"aliased/Chart.yaml", "platform/Chart.yaml"}) {
				t.Fatalf("errors %+v; want one for each chart's redis, saying %q", plan.Errors, c.wantErr)
			}
			for _, ch := range plan.Changes {
				if strings.HasSuffix(ch.Chart, "/redis") {
					t.Errorf("the plan still moves redis in %s", ch.File)
				}
			}
			if _, failed := plan.Apply(); len(failed) > 0 {
				t.Fatal(failed)
			}
			after := readTree(t, w.root)
			// redis stays wholly where it was; common, whose archive was fine, moves.
			for _, f := range []string{"aliased/Chart.yaml", "aliased/Chart.lock", "aliased/charts/redis-1.0.0.tgz", "platform/Chart.yaml", "platform/charts/redis-1.0.0.tgz"} {
				if !bytes.Equal(after[f], before[f]) {
					t.Errorf("%s changed although redis's archive failed", f)
				}
			}
			for _, f := range []string{"aliased/charts/redis-1.1.0.tgz", "platform/charts/redis-1.1.0.tgz", "platform/charts/common-2.0.0.tgz"} {
				if _, ok := after[f]; ok {
					t.Errorf("%s is in the tree after apply", f)
				}
			}
			if !bytes.Contains(after["platform/Chart.lock"], []byte("version: 2.0.1")) || !bytes.Contains(after["platform/Chart.lock"], []byte("version: 1.0.0")) {
				t.Errorf("platform/Chart.lock should move common alone:\n%s", after["platform/Chart.lock"])
			}
			m, out := helmDependencies(t, w.reg, filepath.Join(w.root, "platform"))
			if err := m.Build(); err != nil {
				t.Errorf("helm dependency build refuses the chart: %v\n%s", err, out)
			}
		})
	}
}

func TestTheGatesRunBeforeAnyArchiveIsDownloaded(t *testing.T) {
	w := newVendoredWorld(t)
	layer := w.layerDigest(t, "redis", "1.1.0")
	layerGETs := func() int {
		return w.reg.Requests.Count(func(method, path string) bool {
			return method == http.MethodGet && strings.HasSuffix(path, "/blobs/"+layer)
		})
	}
	// Every version was pushed moments ago: a day's minimum age holds them all.
	writeFile(t, w.root, "chart-promoter.yaml", "rules:\n  - replaceVendoredArchives: true\n    minimumReleaseAge: 24h\n")
	w.reg.Requests.Reset()
	plan := w.plan(t, nil)
	for _, c := range plan.Changes {
		if strings.HasSuffix(c.Chart, "/redis") {
			t.Errorf("redis moves to %s although the age gate holds it", c.To)
		}
	}
	if n := layerGETs(); n != 0 {
		t.Errorf("the chart layer of redis 1.1.0, which the age gate holds, was downloaded %d time(s)", n)
	}
	// Control: without the age, the same plan downloads it.
	writeFile(t, w.root, "chart-promoter.yaml", "rules:\n  - replaceVendoredArchives: true\n")
	if w.plan(t, nil); layerGETs() == 0 {
		t.Error("the chart layer is not downloaded even when it passes the gates: the test proves nothing")
	}
}

// newVendoredGitOps puts the vendored world's tree in a real Git server as the GitOps
// repository's main branch, with a fake GitHub for it, and clones it with depth 1.
func newVendoredGitOps(t *testing.T, ghOpts ...testenv.FakeGitHubOption) (*gitops, *vendoredWorld) {
	t.Helper()
	vw := newVendoredWorld(t)
	w := &gitops{t: t, reg: vw.reg, digests: map[string]string{}}
	w.git = testenv.StartGitServer(t, testenv.WithGitBasicAuth("x-access-token", gitopsToken))
	w.gh = testenv.StartFakeGitHub(t, gitopsToken, ghOpts...)
	w.gh.AddRepo(gitopsOwner, gitopsName, "main")
	w.files = map[string]string{}
	for name, data := range readTree(t, vw.root) {
		w.files[name] = string(data)
	}
	w.git.CreateRepo(t, gitopsName, w.files)
	w.clone = w.git.Clone(t, gitopsName, testenv.CloneDepth(1))
	w.registry = newClient(t, w.reg)
	return w, vw
}

// vendoredOptions are the promotion's options with the clone's config file and one pull
// request per chart directory.
func vendoredOptions(t *testing.T, w *gitops) promote.ProposeOptions {
	t.Helper()
	opts := w.options()
	opts.GroupBy = promote.GroupByApplication
	cfg, err := config.Load(w.clone, "")
	if err != nil {
		t.Fatal(err)
	}
	opts.Plan.Config = cfg
	return opts
}

// platformProposal is the pull request of the platform chart.
func platformProposal(t *testing.T, res *promote.Result) promote.Proposal {
	t.Helper()
	for _, p := range res.Proposals {
		if p.Branch == "chart-promoter/helm-chart/platform" {
			if p.Commit == "" {
				t.Fatalf("the platform chart's proposal made no commit: %+v", p)
			}
			if !strings.Contains(p.Body, "The vendored archive `platform/charts/redis-1.0.0.tgz` is replaced by `platform/charts/redis-1.1.0.tgz`: the chart layer `sha256:") {
				t.Errorf("the pull request body does not tell the archive replacement:\n%s", p.Body)
			}
			return p
		}
	}
	t.Fatalf("no pull request for the platform chart: %+v", res.Proposals)
	return promote.Proposal{}
}

// gitBlobID is the ID Git gives a blob of data.
func gitBlobID(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

func TestAPullRequestCommitsTheReplacedArchiveThroughGit(t *testing.T) {
	w, vw := newVendoredGitOps(t)
	p := platformProposal(t, w.propose(vendoredOptions(t, w)))
	if got, want := w.bare("diff-tree", "--no-commit-id", "--name-status", "-r", "main", p.Commit),
		"M\tplatform/Chart.lock\nM\tplatform/Chart.yaml\nD\tplatform/charts/common-2.0.0.tgz\nA\tplatform/charts/common-2.0.1.tgz\nD\tplatform/charts/redis-1.0.0.tgz\nA\tplatform/charts/redis-1.1.0.tgz"; got != want {
		t.Errorf("the commit changes\n%s\nwant\n%s", got, want)
	}
	// The blob is the chart layer, byte for byte: its Git ID is that of the layer's bytes.
	a, err := w.registry.ChartArchive(t.Context(), w.chart("charts/redis"), "1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if sha256Of(a.Data) != vw.layerDigest(t, "redis", "1.1.0") {
		t.Fatal("the registry's layer does not hash to its digest")
	}
	if got := w.bare("rev-parse", p.Commit+":platform/charts/redis-1.1.0.tgz"); got != gitBlobID(a.Data) {
		t.Errorf("the committed archive is blob %s, want %s, the blob of the chart layer", got, gitBlobID(a.Data))
	}
	w.bare("fsck", "--strict", "--no-progress")
	if got := w.bare("show", p.Commit+":platform/Chart.yaml"); !strings.Contains(got, "version: 1.1.0") {
		t.Errorf("the committed Chart.yaml does not move redis:\n%s", got)
	}
}

func TestAPullRequestCommitsTheReplacedArchiveThroughTheGitHubAPI(t *testing.T) {
	m := &githubMirror{}
	w, vw := newVendoredGitOps(t, testenv.WithFakeGitHubMiddleware(m.middleware))
	main := m.mirror(t, w)
	w.gh.Requests.Reset()
	opts := vendoredOptions(t, w)
	opts.CommitVia = promote.CommitViaAPI
	p := platformProposal(t, w.propose(opts))
	c, ok := w.gh.Commit(gitopsOwner, gitopsName, p.Commit)
	if !ok || !c.Verified || !slices.Equal(c.Parents, []string{main}) {
		t.Fatalf("GitHub's commit %+v; want it verified, on main", c)
	}
	for file, layer := range map[string]string{
		"platform/charts/redis-1.1.0.tgz":  vw.layerDigest(t, "redis", "1.1.0"),
		"platform/charts/common-2.0.1.tgz": vw.layerDigest(t, "common", "2.0.1"),
	} {
		got, ok := w.gh.File(gitopsOwner, gitopsName, p.Commit, file)
		if !ok || sha256Of(got) != layer {
			t.Errorf("%s on GitHub (found %v) hashes to %s, want the chart layer %s: the blob went up intact", file, ok, sha256Of(got), layer)
		}
	}
	for _, file := range []string{"platform/charts/redis-1.0.0.tgz", "platform/charts/common-2.0.0.tgz"} {
		if _, ok := w.gh.File(gitopsOwner, gitopsName, p.Commit, file); ok {
			t.Errorf("%s is still in GitHub's commit", file)
		}
		if _, ok := w.gh.File(gitopsOwner, gitopsName, main, file); !ok {
			t.Errorf("%s is not on main: the test proves nothing", file)
		}
	}
	if lock, _ := w.gh.File(gitopsOwner, gitopsName, p.Commit, "platform/Chart.lock"); !bytes.Contains(lock, []byte("version: 1.1.0")) {
		t.Errorf("GitHub's Chart.lock does not move redis:\n%s", lock)
	}
	if n := w.pushes(); n != 0 {
		t.Errorf("%d git pushes; want none: the API made the commits", n)
	}
}

func TestReplaceVendoredArchivesOnRulesThatMeetNoChartDependencyIsAWarning(t *testing.T) {
	w := newVendoredWorld(t)
	writeFile(t, w.root, "apps/web.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\nspec:\n  source:\n    repoURL: "+w.reg.Host+"/charts\n    chart: redis\n    targetRevision: 1.0.0\n")
	writeFile(t, w.root, "chart-promoter.yaml", "rules:\n  - applications: [web]\n    replaceVendoredArchives: true\n  - applications: [\"*/Chart.yaml\"]\n    replaceVendoredArchives: true\n")
	plan := w.plan(t, nil)
	var warned []int
	for _, wn := range plan.Warnings {
		if strings.Contains(wn.Message, "sets replaceVendoredArchives, but none of the sources it matches is a Helm chart's dependency") {
			warned = append(warned, wn.Line)
		}
	}
	if !slices.Equal(warned, []int{3}) {
		t.Errorf("warned of replaceVendoredArchives at lines %v, want line 3 only (rules[0], which only an Application matches): %+v", warned, plan.Warnings)
	}
}
