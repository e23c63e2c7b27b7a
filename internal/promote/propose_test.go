package promote_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// The GitOps repository every promotion test works on, and the token that guards it: the
// Git server and the fake GitHub both accept exactly this token, as GitHub does for
// GITHUB_TOKEN.
const (
	gitopsOwner = "acme"
	gitopsName  = "gitops"
	gitopsToken = "ghs_proposeTestToken0123456789abcdefghijkl"
)

// proposeNow stamps every promotion commit, so commits are reproducible.
var proposeNow = time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC)

// chartFixture is one chart repository of testdata/propose/charts.json: the Chart.yaml
// fields every version pushed gets, with {version}, {minor} and {patch} filled in.
type chartFixture struct {
	Description string `json:"description"`
	AppVersion  string `json:"appVersion"`
	Changes     string `json:"changes"`
}

// gitops is the world a promotion runs in: a registry holding charts, a real Git server
// holding the GitOps repository, a shallow clone of it as actions/checkout leaves one,
// and a fake GitHub API for the same repository.
type gitops struct {
	t        *testing.T
	reg      *testenv.Registry
	git      *testenv.GitServer
	gh       *testenv.FakeGitHub
	clone    string
	files    map[string]string // the repository's first commit
	registry *registry.Client
	charts   map[string]chartFixture
	digests  map[string]string // "charts/webapp:1.2.4" → manifest digest
}

// gitopsOption adds fault injection to the Git server or the fake GitHub before they start.
type gitopsOption func(*gitopsConfig)

type gitopsConfig struct {
	gh  []testenv.FakeGitHubOption
	git []testenv.GitServerOption
	// files edit the repository's first commit before it is made.
	files []func(*testing.T, map[string]string)
}

func withGitHubMiddleware(mw func(http.Handler) http.Handler) gitopsOption {
	return func(c *gitopsConfig) { c.gh = append(c.gh, testenv.WithFakeGitHubMiddleware(mw)) }
}

func withGitHubOptions(opts ...testenv.FakeGitHubOption) gitopsOption {
	return func(c *gitopsConfig) { c.gh = append(c.gh, opts...) }
}

func withGitMiddleware(mw func(http.Handler) http.Handler) gitopsOption {
	return func(c *gitopsConfig) { c.git = append(c.git, testenv.WithGitMiddleware(mw)) }
}

// newGitOps starts the world with testdata/propose/FIXTURE as the repository's main branch
// and the given chart versions ("charts/webapp": 1.2.3) in the registry, then clones the
// repository with depth 1.
func newGitOps(t *testing.T, fixture string, versions map[string][]string, opts ...gitopsOption) *gitops {
	t.Helper()
	var cfg gitopsConfig
	for _, o := range opts {
		o(&cfg)
	}
	w := &gitops{t: t, digests: map[string]string{}}
	w.reg = testenv.StartRegistry(t)
	w.git = testenv.StartGitServer(t, append([]testenv.GitServerOption{testenv.WithGitBasicAuth("x-access-token", gitopsToken)}, cfg.git...)...)
	w.gh = testenv.StartFakeGitHub(t, gitopsToken, cfg.gh...)
	w.gh.AddRepo(gitopsOwner, gitopsName, "main")

	data, err := os.ReadFile(filepath.Join("testdata", "propose", "charts.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &w.charts); err != nil {
		t.Fatalf("charts.json: %v", err)
	}
	repos := make([]string, 0, len(versions))
	for repo := range versions {
		repos = append(repos, repo)
	}
	slices.Sort(repos)
	for _, repo := range repos {
		for _, v := range versions[repo] {
			w.push(repo, v)
		}
	}

	w.files = fixtureFiles(t, filepath.Join("testdata", "propose", fixture), w.reg.Host)
	for _, edit := range cfg.files {
		edit(t, w.files)
	}
	for name, text := range w.files {
		w.files[name] = strings.ReplaceAll(text, fixtureHost, w.reg.Host)
	}
	w.git.CreateRepo(t, gitopsName, w.files)
	w.clone = w.git.Clone(t, gitopsName, testenv.CloneDepth(1))
	if w.registry, err = registry.New(registry.WithRootCAs(w.reg.CertPool)); err != nil {
		t.Fatal(err)
	}
	return w
}

// fixtureFiles reads a fixture tree as CreateRepo takes it, with the fixture's registry
// host replaced by host.
func fixtureFiles(t *testing.T, dir, host string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = strings.ReplaceAll(string(data), fixtureHost, host)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// push publishes version of chart repository repo ("charts/webapp") with Helm's client,
// with the Chart.yaml fields charts.json gives it, and returns its digest.
func (w *gitops) push(repo, version string) string {
	w.t.Helper()
	fx, ok := w.charts[repo]
	if !ok {
		w.t.Fatalf("charts.json has no %s", repo)
	}
	parts := strings.SplitN(version, ".", 3)
	fill := strings.NewReplacer("{version}", version, "{minor}", parts[1], "{patch}", parts[2]).Replace
	dir, name := filepath.Split(repo)
	digest := w.reg.PushChart(w.t, strings.TrimSuffix(dir, "/"), name, version,
		testenv.WithDescription(fill(fx.Description)),
		testenv.WithAppVersion(fill(fx.AppVersion)),
		testenv.WithAnnotations(map[string]string{"artifacthub.io/changes": fill(fx.Changes)}))
	w.digests[repo+":"+version] = digest
	return digest
}

// chart is the normalised chart repository of "charts/webapp" in the test registry.
func (w *gitops) chart(repo string) string { return w.reg.Host + "/" + repo }

// chartBranch is the branch group-by chart gives chart repository repo.
func (w *gitops) chartBranch(repo string) string {
	return "chart-promoter/chart/" + strings.NewReplacer("/", "-", ":", "-").Replace(w.chart(repo))
}

// options are the promotion settings of a plain run: everything in the clone, PRs into main.
func (w *gitops) options() promote.ProposeOptions {
	return promote.ProposeOptions{
		Plan:  promote.Options{Dir: w.clone, Registry: w.registry},
		Owner: gitopsOwner, Repo: gitopsName, Base: "main",
		Now: func() time.Time { return proposeNow },
	}
}

// propose runs one promotion from the clone, connected as a workflow connects: the
// checkout's remote with the tool's own token, and the fake GitHub API.
func (w *gitops) propose(opts promote.ProposeOptions) *promote.Result {
	w.t.Helper()
	deps, _, err := promote.Connect(w.clone, gitopsToken, w.gh.URL, "chart-promoter-test")
	if err != nil {
		w.t.Fatal(err)
	}
	deps.Log = testLog{w.t}
	res, err := promote.Propose(w.t.Context(), opts, deps)
	if err != nil {
		w.t.Fatalf("Propose: %v", err)
	}
	if res.Plan.HasErrors() {
		w.t.Fatalf("the plan has errors: %+v", res.Plan.Errors)
	}
	return res
}

// bare runs real git in the server's bare repository.
func (w *gitops) bare(args ...string) string {
	w.t.Helper()
	return w.git.Git(w.t, gitopsName, args...)
}

// branches lists the repository's branches other than main, sorted.
func (w *gitops) branches() []string {
	w.t.Helper()
	out := w.bare("for-each-ref", "--format=%(refname:short)", "refs/heads/")
	var names []string
	for _, b := range strings.Fields(out) {
		if b != "main" {
			names = append(names, b)
		}
	}
	return names
}

// pushes counts the pushes the Git server received.
func (w *gitops) pushes() int {
	return w.git.Requests.Count(func(method, path string) bool {
		return method == http.MethodPost && strings.HasSuffix(path, "/git-receive-pack")
	})
}

// pulls returns the repository's pull requests on the fake GitHub, oldest first.
func (w *gitops) pulls() []testenv.FakePR { return w.gh.PullRequests(gitopsOwner, gitopsName) }

// commitAs pushes a commit by a person onto branch of the repository.
func (w *gitops) commitAs(branch string, files map[string]string, message string) string {
	w.t.Helper()
	return w.git.CommitAs(w.t, gitopsName, branch, files, message, "Dana Reviewer", "dana@example.com")
}

// checkDiffMovesOnly asserts with git diff that branch changes, against base, exactly the
// lines want (before → after) and nothing else.
func (w *gitops) checkDiffMovesOnly(base, branch string, want map[string]string) {
	w.t.Helper()
	var removed, added []string
	for _, line := range strings.Split(w.bare("diff", "--unified=0", base, branch), "\n") {
		switch {
		case strings.HasPrefix(line, "---"), strings.HasPrefix(line, "+++"):
		case strings.HasPrefix(line, "-"):
			removed = append(removed, line[1:])
		case strings.HasPrefix(line, "+"):
			added = append(added, line[1:])
		}
	}
	var wantRemoved, wantAdded []string
	for before, after := range want {
		wantRemoved, wantAdded = append(wantRemoved, before), append(wantAdded, after)
	}
	for _, l := range [][]string{removed, added, wantRemoved, wantAdded} {
		slices.Sort(l)
	}
	if !slices.Equal(removed, wantRemoved) || !slices.Equal(added, wantAdded) {
		w.t.Errorf("git diff %s %s removes %q and adds %q; want it to remove %q and add %q",
			base, branch, removed, added, wantRemoved, wantAdded)
	}
}

// webappLines are the two targetRevision lines of the webapp fixture, moved from 1.2.3 to version.
func webappLines(version string) map[string]string {
	return map[string]string{
		"    targetRevision: 1.2.3": "    targetRevision: " + version,
		`      targetRevision: "1.2.3"   # quoted on purpose; the quotes stay`: `      targetRevision: "` + version + `"   # quoted on purpose; the quotes stay`,
	}
}

// only returns the one proposal of a run.
func only(t *testing.T, res *promote.Result) promote.Proposal {
	t.Helper()
	if len(res.Proposals) != 1 {
		t.Fatalf("%d proposals, want 1: %+v", len(res.Proposals), res.Proposals)
	}
	return res.Proposals[0]
}

// bodyMarker is the hidden record a promotion PR body carries, as later runs read it.
type bodyMarker struct {
	Version     int    `json:"v"`
	Group       string `json:"group"`
	Branch      string `json:"branch"`
	Fingerprint string `json:"fingerprint"`
	Changes     []struct {
		File, Path, Chart, From, To string
	} `json:"changes"`
	Versions []struct {
		Chart, Tag, Digest string
	} `json:"versions"`
}

func readMarker(t *testing.T, body string) bodyMarker {
	t.Helper()
	const prefix, suffix = "<!-- chart-promoter:metadata ", " -->"
	_, rest, ok := strings.Cut(body, prefix)
	raw, _, ok2 := strings.Cut(rest, suffix)
	var m bodyMarker
	if !ok || !ok2 {
		t.Fatalf("the PR body has no marker:\n%s", body)
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("the PR body's marker %s: %v", raw, err)
	}
	return m
}

type testLog struct{ t *testing.T }

func (l testLog) Infof(format string, args ...any)    { l.t.Logf(format, args...) }
func (l testLog) Warningf(format string, args ...any) { l.t.Logf("warning: "+format, args...) }

func TestANewChartVersionOpensAPullRequestWhoseOneCommitMovesOnlyTargetRevisions(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3"}})
	digest := w.push("charts/webapp", "1.2.4")
	mainTip := w.bare("rev-parse", "refs/heads/main")
	cloneHead := w.git.GitIn(t, w.clone, "rev-parse", "HEAD")

	opts := w.options()
	opts.PullRequest = promote.PullRequestOptions{
		Labels: []string{"promotion", "webapp"}, Reviewers: []string{"alice"}, TeamReviewers: []string{"sre"}, Assignees: []string{"bob"},
	}
	res := w.propose(opts)
	p := only(t, res)
	branch := w.chartBranch("charts/webapp")
	if p.Action != promote.Opened || p.Branch != branch || p.Number == 0 || len(p.Warnings) > 0 {
		t.Fatalf("proposal %+v; want %s opened, without warnings", p, branch)
	}

	// The branch: one commit, on main's tip, by the bot, at the fixed time.
	if got := w.bare("rev-parse", "refs/heads/"+branch); got != p.Commit {
		t.Errorf("%s is at %s, the proposal says %s", branch, got, p.Commit)
	}
	if got := w.bare("log", "-1", "--format=%P", branch); got != mainTip {
		t.Errorf("the commit's parents are %q, want exactly main's tip %s", got, mainTip)
	}
	if got, want := w.bare("log", "-1", "--format=%an <%ae> %aI|%cn <%ce> %cI", branch),
		"github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com> 2025-06-01T09:30:00+00:00|"+
			"github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com> 2025-06-01T09:30:00+00:00"; got != want {
		t.Errorf("author|committer %q, want %q", got, want)
	}
	w.checkDiffMovesOnly("main", branch, webappLines("1.2.4"))
	if got := w.bare("diff", "--name-only", "main", branch); got != "apps/production/webapp.yaml\napps/staging/webapp.yaml" {
		t.Errorf("the commit changes %q", got)
	}
	w.bare("fsck", "--strict", "--no-dangling")

	// The commit message, read by git itself: subject, every Application, the trailer.
	if got := w.bare("log", "-1", "--format=%s", branch); got != "chore(deploy): promote webapp 1.2.3 → 1.2.4" {
		t.Errorf("subject %q", got)
	}
	body := w.bare("log", "-1", "--format=%b", branch)
	for _, line := range []string{
		"- webapp-production (apps/production/webapp.yaml:13): webapp 1.2.3 → 1.2.4",
		"- webapp-staging (apps/staging/webapp.yaml:12): webapp 1.2.3 → 1.2.4",
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("the commit body lacks %q:\n%s", line, body)
		}
	}
	fingerprint := w.bare("log", "-1", "--format=%(trailers:key=Chart-Promoter-Fingerprint,valueonly)", branch)
	if len(fingerprint) != 16 {
		t.Errorf("git reads the fingerprint trailer as %q; want 16 hex digits", fingerprint)
	}

	// The pull request.
	prs := w.pulls()
	if len(prs) != 1 {
		t.Fatalf("%d pull requests, want 1: %+v", len(prs), prs)
	}
	pr := prs[0]
	if pr.Number != p.Number || p.URL != "https://github.com/acme/gitops/pull/1" || pr.Head != branch || pr.Base != "main" ||
		pr.State != "open" || pr.Draft || !pr.MaintainerCanModify || pr.Author != w.gh.Login {
		t.Errorf("pull request %+v, proposal %+v", pr, p)
	}
	if pr.Title != "Promote webapp to 1.2.4" || p.Title != pr.Title {
		t.Errorf("title %q", pr.Title)
	}
	if !slices.Equal(pr.Labels, []string{"promotion", "webapp"}) || !slices.Equal(pr.Reviewers, []string{"alice"}) ||
		!slices.Equal(pr.TeamReviewers, []string{"sre"}) || !slices.Equal(pr.Assignees, []string{"bob"}) {
		t.Errorf("labels %v, reviewers %v, teams %v, assignees %v", pr.Labels, pr.Reviewers, pr.TeamReviewers, pr.Assignees)
	}
	for _, want := range []string{
		"| Application | File | Destination | Chart | Change |",
		"| webapp-production | `apps/production/webapp.yaml:13` |",
		"| webapp-staging | `apps/staging/webapp.yaml:12` |",
		"| webapp | `1.2.3` → `1.2.4` |",
		"### webapp 1.2.4",
		`The acme web front end, with a \<b\>bold\</b\> claim that must stay text.`,
		"- Digest: `" + digest + "`",
		"- appVersion: `5.0.4`",
		"<details><summary>Changes in 1.2.4</summary>",
		"- **added**: Readiness probe on the web container in 1.2.4",
		"- **fixed**: Service port name ([PR 42](https://github.com/acme/charts/pull/42))",
	} {
		if !strings.Contains(pr.Body, want) {
			t.Errorf("the PR body lacks %q:\n%s", want, pr.Body)
		}
	}
	if strings.Contains(pr.Body, "<b>") {
		t.Errorf("the PR body carries the chart's HTML:\n%s", pr.Body)
	}
	m := readMarker(t, pr.Body)
	if m.Version != 1 || m.Branch != branch || m.Fingerprint != fingerprint || len(m.Changes) != 2 {
		t.Errorf("marker %+v; want branch %s, fingerprint %s (the commit's), 2 changes", m, branch, fingerprint)
	}

	// The checkout the workflow gave the tool is as it was.
	if got := w.git.GitIn(t, w.clone, "status", "--porcelain"); got != "" {
		t.Errorf("git status in the clone:\n%s", got)
	}
	if got := w.git.GitIn(t, w.clone, "rev-parse", "HEAD"); got != cloneHead {
		t.Errorf("the clone's HEAD moved from %s to %s", cloneHead, got)
	}
}

func TestAPromotionAfterAKilledApplyRemovesItsTemporaryFilesAndNeverCommitsThem(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3"}})
	w.push("charts/webapp", "1.2.4")
	// What `chart-promoter apply`, killed before its renames, leaves in a checkout: the new
	// bytes beside each file, under names `git add -A` would commit.
	var left []string
	for _, env := range []string{"production", "staging"} {
		data, err := os.ReadFile(filepath.Join(w.clone, "apps", env, "webapp.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		rel := "apps/" + env + "/.webapp.yaml.chart-promoter-tmp-0123456789abcdef"
		if err := os.WriteFile(filepath.Join(w.clone, filepath.FromSlash(rel)), data[:len(data)/2], 0o600); err != nil {
			t.Fatal(err)
		}
		left = append(left, rel)
	}

	res := w.propose(w.options())
	if p := only(t, res); p.Action != promote.Opened {
		t.Fatalf("proposal %+v", p)
	}
	if !slices.Equal(res.Plan.Removed, left) {
		t.Errorf("Removed = %q, want %q", res.Plan.Removed, left)
	}
	branch := w.chartBranch("charts/webapp")
	if got := w.bare("diff", "--name-only", "main", branch); got != "apps/production/webapp.yaml\napps/staging/webapp.yaml" {
		t.Errorf("the commit changes %q", got)
	}
	if tree := w.bare("ls-tree", "-r", "--name-only", branch); strings.Contains(tree, "chart-promoter-tmp") {
		t.Errorf("the promotion commit holds a temporary file:\n%s", tree)
	}
	if got := w.git.GitIn(t, w.clone, "status", "--porcelain", "--untracked-files=all"); got != "" {
		t.Errorf("git status in the clone after the run:\n%s", got)
	}
}

func TestANewerVersionMovesTheSameBranchOntoCurrentMainAndUpdatesTheSamePullRequest(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3"}})
	w.push("charts/webapp", "1.2.4")
	opts := w.options()
	opts.PullRequest.Labels = []string{"promotion"}
	first := only(t, w.propose(opts))

	// Meanwhile a reviewer merges something else into main.
	newMain := w.commitAs("main", map[string]string{"README.md": "# gitops\n\nNow with docs.\n"}, "docs: explain the repository")
	digest := w.push("charts/webapp", "1.2.5")
	second := only(t, w.propose(opts))

	branch := w.chartBranch("charts/webapp")
	if second.Action != promote.Updated || second.Branch != branch || second.Number != first.Number || second.Commit == first.Commit {
		t.Fatalf("second run %+v; want PR #%d updated with a new commit on %s", second, first.Number, branch)
	}
	if got := w.bare("rev-parse", "refs/heads/"+branch); got != second.Commit {
		t.Errorf("%s is at %s, want %s", branch, got, second.Commit)
	}
	if got := w.bare("log", "-1", "--format=%P", branch); got != newMain {
		t.Errorf("the new commit's parents are %q, want the current main %s", got, newMain)
	}
	if got := w.bare("rev-list", "--count", "main.."+branch); got != "1" {
		t.Errorf("%s holds %s commits main lacks, want 1", branch, got)
	}
	if got := w.bare("log", "-1", "--format=%s", branch); got != "chore(deploy): promote webapp 1.2.3 → 1.2.5" {
		t.Errorf("subject %q", got)
	}
	w.checkDiffMovesOnly("main", branch, webappLines("1.2.5"))

	prs := w.pulls()
	if len(prs) != 1 {
		t.Fatalf("%d pull requests, want the one updated: %+v", len(prs), prs)
	}
	pr := prs[0]
	if pr.Title != "Promote webapp to 1.2.5" || !strings.Contains(pr.Body, "`1.2.3` → `1.2.5`") ||
		!strings.Contains(pr.Body, digest) || strings.Contains(pr.Body, "1.2.4") {
		t.Errorf("the PR says %q:\n%s", pr.Title, pr.Body)
	}
	if !slices.Equal(pr.Labels, []string{"promotion"}) {
		t.Errorf("labels %v", pr.Labels)
	}
}

func TestARunWithNothingNewWritesNothing(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}})
	first := only(t, w.propose(w.options()))
	branch := w.chartBranch("charts/webapp")
	tip := w.bare("rev-parse", "refs/heads/"+branch)
	writes := w.gh.Writes()
	w.git.Requests.Reset()
	w.gh.Requests.Reset()

	again := only(t, w.propose(w.options()))
	if again.Action != promote.Unchanged || again.Number != first.Number || again.Commit != tip {
		t.Errorf("second run %+v; want PR #%d unchanged at %s", again, first.Number, tip)
	}
	if got := w.gh.Writes(); got != writes {
		t.Errorf("GitHub writes went from %d to %d", writes, got)
	}
	for _, r := range w.gh.Requests.All() {
		if !strings.HasPrefix(r, "GET ") {
			t.Errorf("GitHub request %s", r)
		}
	}
	if n := w.pushes(); n != 0 {
		t.Errorf("%d pushes; Git requests: %v", n, w.git.Requests.All())
	}
	if got := w.bare("rev-parse", "refs/heads/"+branch); got != tip {
		t.Errorf("%s moved from %s to %s", branch, tip, got)
	}
}

func TestAHumanCommitOnThePromotionBranchIsLeftAloneAndMentionedOnce(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}})
	first := only(t, w.propose(w.options()))
	branch := w.chartBranch("charts/webapp")
	staging := strings.Replace(w.files["apps/staging/webapp.yaml"], "replicas: 1", "replicas: 3", 1)
	human := w.commitAs(branch, map[string]string{"apps/staging/webapp.yaml": staging}, "Scale staging while we test 1.2.4")
	w.push("charts/webapp", "1.2.6")

	for run := 1; run <= 2; run++ {
		res := w.propose(w.options())
		p := only(t, res)
		if p.Action != promote.Blocked || p.Number != first.Number || !isBlockedBy(p.Err, "Dana Reviewer") || res.Failed() {
			t.Errorf("run %d: %+v; want PR #%d blocked by Dana Reviewer's commit, and the run not failed", run, p, first.Number)
		}
		if got := w.bare("rev-parse", "refs/heads/"+branch); got != human {
			t.Errorf("run %d: %s moved from the human's %s to %s", run, branch, human, got)
		}
		comments := w.gh.Comments(gitopsOwner, gitopsName, first.Number)
		if len(comments) != 1 || !strings.Contains(comments[0], "did not make") || !strings.Contains(comments[0], "webapp 1.2.6") {
			t.Errorf("run %d: comments %q; want one saying the branch is left alone and 1.2.6 waits", run, comments)
		}
	}
	if prs := w.pulls(); len(prs) != 1 || prs[0].Title != "Promote webapp to 1.2.4" {
		t.Errorf("pull requests %+v; want the first one, untouched", prs)
	}
}

func TestAnAmendedPromotionCommitIsAPersonsAndLeftAlone(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}})
	first := only(t, w.propose(w.options()))
	branch := w.chartBranch("charts/webapp")

	// A person amends the tool's commit (keeping its message and trailer) and force-pushes:
	// git makes them the committer, which is what tells the tool the work is theirs.
	dir := w.git.Clone(t, gitopsName, testenv.CloneBranch(branch))
	w.git.GitIn(t, dir, "-c", "user.name=Dana Reviewer", "-c", "user.email=dana@example.com",
		"commit", "--amend", "--no-edit", "--allow-empty", "--quiet")
	w.git.GitIn(t, dir, "push", "--quiet", "--force", "origin", "HEAD:refs/heads/"+branch)
	amended := w.bare("rev-parse", "refs/heads/"+branch)
	w.push("charts/webapp", "1.2.5")

	p := only(t, w.propose(w.options()))
	if p.Action != promote.Blocked || p.Number != first.Number {
		t.Errorf("%+v; want PR #%d blocked", p, first.Number)
	}
	if got := w.bare("rev-parse", "refs/heads/"+branch); got != amended {
		t.Errorf("%s moved from the amended %s to %s", branch, amended, got)
	}
}

func TestAStaleCloneBuildsOnTheCurrentMainAndKeepsWhatMainGained(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		about string
		main  func(files map[string]string) map[string]string
	}{{
		about: "an unrelated file changed",
		main: func(map[string]string) map[string]string {
			return map[string]string{"README.md": "# gitops\n\nOwned by the platform team.\n"}
		},
	}, {
		about: "another line of a promoted file changed",
		main: func(files map[string]string) map[string]string {
			return map[string]string{"apps/staging/webapp.yaml": strings.Replace(files["apps/staging/webapp.yaml"], "replicas: 1", "replicas: 2", 1)}
		},
	}} {
		t.Run(tc.about, func(t *testing.T) {
			t.Parallel()
			w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}})
			changed := tc.main(w.files)
			newMain := w.commitAs("main", changed, "An edit made while the workflow ran")

			p := only(t, w.propose(w.options()))
			branch := w.chartBranch("charts/webapp")
			if p.Action != promote.Opened {
				t.Fatalf("%+v", p)
			}
			if got := w.bare("log", "-1", "--format=%P", branch); got != newMain {
				t.Errorf("parents %q, want the new main %s", got, newMain)
			}
			w.checkDiffMovesOnly(newMain, branch, webappLines("1.2.4"))
			for file, content := range changed {
				got := w.bare("show", branch+":"+file) + "\n"
				if file == "apps/staging/webapp.yaml" {
					content = strings.Replace(content, "\n    targetRevision: 1.2.3\n", "\n    targetRevision: 1.2.4\n", 1)
				}
				if got != content {
					t.Errorf("%s on %s:\n%s\nwant\n%s", file, branch, got, content)
				}
			}
		})
	}
}

func TestAVersionChangedByHandOnMainIsNeverReverted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		about string
		hand  string // the version someone wrote into staging on main during the run
		// wantFailed: the group fails and nothing is written; otherwise only production moves.
		wantFailed bool
	}{
		{about: "to a version the plan did not expect, the group fails", hand: "1.2.4", wantFailed: true},
		{about: "to the version the plan wants, only the other source moves", hand: "1.2.5"},
	} {
		t.Run(tc.about, func(t *testing.T) {
			t.Parallel()
			w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4", "1.2.5"}})
			staging := strings.Replace(w.files["apps/staging/webapp.yaml"], "\n    targetRevision: 1.2.3\n", "\n    targetRevision: "+tc.hand+"\n", 1)
			newMain := w.commitAs("main", map[string]string{"apps/staging/webapp.yaml": staging}, "Bump staging by hand")
			w.git.Requests.Reset()

			res := w.propose(w.options())
			p := only(t, res)
			branch := w.chartBranch("charts/webapp")
			if got := w.bare("rev-parse", "refs/heads/main"); got != newMain {
				t.Errorf("main moved from %s to %s", newMain, got)
			}
			if tc.wantFailed {
				if p.Action != promote.Failed || !strings.Contains(errText(p.Err), "re-run") || !strings.Contains(errText(p.Err), `"1.2.4"`) || !res.Failed() {
					t.Errorf("%+v; want the group failed, saying what changed and to re-run", p)
				}
				if b := w.branches(); len(b) != 0 || w.pushes() != 0 || len(w.pulls()) != 0 {
					t.Errorf("branches %v, %d pushes, pull requests %+v; want none", b, w.pushes(), w.pulls())
				}
				return
			}
			if p.Action != promote.Opened {
				t.Fatalf("%+v", p)
			}
			if got := w.bare("show", branch+":apps/staging/webapp.yaml") + "\n"; got != staging {
				t.Errorf("staging on %s is\n%s\nwant the hand-made version kept\n%s", branch, got, staging)
			}
			w.checkDiffMovesOnly(newMain, branch, map[string]string{
				`      targetRevision: "1.2.3"   # quoted on purpose; the quotes stay`: `      targetRevision: "1.2.5"   # quoted on purpose; the quotes stay`,
			})
		})
	}
}

func TestGroupByDecidesWhichChangesShareAPullRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		groupBy promote.Grouping
		// want maps each branch to its PR title and the files its commit changes.
		want map[string][2]string
	}{{
		groupBy: promote.GroupByApplication,
		want: map[string][2]string{
			"chart-promoter/app/argocd/cache":             {"Promote cache to 1.0.0", "platform/cache.yaml"},
			"chart-promoter/app/argocd/webapp-production": {"Promote webapp to 1.2.4", "apps/webapp-production.yaml"},
			"chart-promoter/app/argocd/webapp-staging":    {"Promote webapp to 1.2.4", "apps/webapp-staging.yaml"},
		},
	}, {
		groupBy: promote.GroupByAll,
		want: map[string][2]string{
			"chart-promoter/all": {"Promote cache 1.0.0; webapp 1.2.4", "apps/webapp-production.yaml\napps/webapp-staging.yaml\nplatform/cache.yaml"},
		},
	}} {
		t.Run(string(tc.groupBy), func(t *testing.T) {
			t.Parallel()
			w := newGitOps(t, "two-charts", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}, "charts/cache": {"0.9.0", "1.0.0"}})
			opts := w.options()
			opts.GroupBy = tc.groupBy
			res := w.propose(opts)

			if len(res.Proposals) != len(tc.want) {
				t.Fatalf("%d proposals, want %d: %+v", len(res.Proposals), len(tc.want), res.Proposals)
			}
			prs := w.pulls()
			if len(prs) != len(tc.want) {
				t.Fatalf("%d pull requests, want %d: %+v", len(prs), len(tc.want), prs)
			}
			byHead := map[string]testenv.FakePR{}
			for _, pr := range prs {
				byHead[pr.Head] = pr
			}
			mainTip := w.bare("rev-parse", "refs/heads/main")
			for _, p := range res.Proposals {
				want, ok := tc.want[p.Branch]
				pr := byHead[p.Branch]
				if !ok || p.Action != promote.Opened || pr.Number != p.Number || pr.Title != want[0] {
					t.Errorf("proposal %+v with PR %+v; want %v", p, pr, want)
					continue
				}
				if got := w.bare("diff", "--name-only", "main", p.Branch); got != want[1] {
					t.Errorf("%s changes %q, want %q", p.Branch, got, want[1])
				}
				if got := w.bare("log", "-1", "--format=%P", p.Branch); got != mainTip {
					t.Errorf("%s's parents are %q, want %s", p.Branch, got, mainTip)
				}
			}
			if tc.groupBy == promote.GroupByAll {
				if got := w.bare("log", "-1", "--format=%s", "chart-promoter/all"); got != "chore(deploy): promote 2 charts" {
					t.Errorf("subject %q", got)
				}
			}
		})
	}
}

func TestCommitViaAPIMakesAVerifiedCommitThroughGitHubsGitDatabase(t *testing.T) {
	t.Parallel()
	m := &githubMirror{} // GitHub and the Git server, one store as in reality
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}}, withGitHubMiddleware(m.middleware))
	mirror := m.mirror(t, w)
	w.gh.Requests.Reset()

	opts := w.options()
	opts.CommitVia = promote.CommitViaAPI
	p := only(t, w.propose(opts))
	branch := w.chartBranch("charts/webapp")
	if p.Action != promote.Opened || p.Commit == "" {
		t.Fatalf("%+v", p)
	}
	if got := w.gh.Ref(gitopsOwner, gitopsName, branch); got != p.Commit {
		t.Errorf("GitHub's %s is at %q, want the proposal's commit %s", branch, got, p.Commit)
	}
	c, ok := w.gh.Commit(gitopsOwner, gitopsName, p.Commit)
	if !ok || !c.Verified || !slices.Equal(c.Parents, []string{mirror}) || !strings.HasPrefix(c.Message, "chore(deploy): promote webapp 1.2.3 → 1.2.4\n") {
		t.Errorf("GitHub's commit %+v; want it verified, on main, with the promotion's message", c)
	}
	for _, file := range []string{"apps/staging/webapp.yaml", "apps/production/webapp.yaml", "README.md"} {
		want := w.files[file]
		for before, after := range webappLines("1.2.4") {
			want = strings.Replace(want, "\n"+before+"\n", "\n"+after+"\n", 1)
		}
		if got, _ := w.gh.File(gitopsOwner, gitopsName, branch, file); string(got) != want {
			t.Errorf("%s on GitHub's %s:\n%s\nwant\n%s", file, branch, got, want)
		}
	}
	var writes []string
	for _, r := range w.gh.Requests.All() {
		if !strings.HasPrefix(r, "GET ") {
			writes = append(writes, r)
		}
	}
	if want := []string{
		"POST /repos/acme/gitops/git/blobs", "POST /repos/acme/gitops/git/blobs",
		"POST /repos/acme/gitops/git/trees", "POST /repos/acme/gitops/git/commits",
		"POST /repos/acme/gitops/git/refs", "POST /repos/acme/gitops/pulls",
	}; !slices.Equal(writes, want) {
		t.Errorf("GitHub writes %q, want %q", writes, want)
	}
	if n := w.pushes(); n != 0 || len(w.branches()) != 0 {
		t.Errorf("%d git pushes, branches %v; want none: the API made the commit", n, w.branches())
	}
	if prs := w.pulls(); len(prs) != 1 || prs[0].Head != branch || prs[0].Number != p.Number {
		t.Errorf("pull requests %+v", prs)
	}
}

func TestOlderPromotionPullRequestsAreClosedAsSupersededButNeverAPersonsOwn(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}})
	opts := w.options()
	opts.GroupBy = promote.GroupByApplication
	older := w.propose(opts)
	if len(older.Proposals) != 2 {
		t.Fatalf("%+v", older.Proposals)
	}
	// A person's PR under the tool's prefix, and one on a person's branch whose body was
	// copied from the tool's, marker and all.
	hand := w.gh.OpenPR(gitopsOwner, gitopsName, testenv.FakePR{Head: "chart-promoter/pin-by-hand", Base: "main", Title: "Pin webapp", Body: "Keep this open."})
	w.commitAs("chart-promoter/copied", map[string]string{"NOTES.md": "copied\n"}, "Copy the promotion")
	copied := w.gh.OpenPR(gitopsOwner, gitopsName, testenv.FakePR{Head: "chart-promoter/copied", Base: "main", Title: "Copy", Body: w.pulls()[0].Body})

	w.push("charts/webapp", "1.2.5")
	opts.GroupBy = promote.GroupByChart
	p := only(t, w.propose(opts))
	if p.Action != promote.Opened {
		t.Fatalf("%+v", p)
	}
	want := []int{older.Proposals[0].Number, older.Proposals[1].Number}
	if got := slices.Sorted(slices.Values(p.Superseded)); !slices.Equal(got, want) {
		t.Errorf("superseded %v, want %v", p.Superseded, want)
	}
	state := map[int]string{}
	for _, pr := range w.pulls() {
		state[pr.Number] = pr.State
	}
	for _, n := range want {
		comments := w.gh.Comments(gitopsOwner, gitopsName, n)
		if state[n] != "closed" || len(comments) != 1 || !strings.Contains(comments[0], "Superseded by #"+itoa(p.Number)) {
			t.Errorf("PR #%d is %s with comments %q; want it closed with one comment linking #%d", n, state[n], comments, p.Number)
		}
	}
	for _, n := range []int{hand, copied} {
		if state[n] != "open" || len(w.gh.Comments(gitopsOwner, gitopsName, n)) != 0 {
			t.Errorf("PR #%d, not the tool's, is %s with comments %q", n, state[n], w.gh.Comments(gitopsOwner, gitopsName, n))
		}
	}
	// The superseded PRs' branches are deleted; a person's branch under the prefix stays.
	if got, want := w.branches(), []string{w.chartBranch("charts/webapp"), "chart-promoter/copied"}; !slices.Equal(got, want) {
		t.Errorf("branches %v, want %v", got, want)
	}
}

func TestAPullRequestProposingANewerVersionIsNotSupersededByAnOlderOne(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4", "1.3.0"}})
	newest := only(t, w.propose(w.options()))
	if newest.Title != "Promote webapp to 1.3.0" {
		t.Fatalf("%+v", newest)
	}
	// Another workflow promotes patch releases only, one PR per Application.
	opts := w.options()
	opts.Plan.DefaultConstraint = "~1.2"
	opts.GroupBy = promote.GroupByApplication
	patches := w.propose(opts)
	if len(patches.Proposals) != 2 {
		t.Fatalf("%+v", patches.Proposals)
	}
	for _, p := range patches.Proposals {
		if len(p.Superseded) > 0 {
			t.Errorf("%s (1.2.4) closed %v", p.Branch, p.Superseded)
		}
	}
	for _, pr := range w.pulls() {
		if pr.State != "open" {
			t.Errorf("PR #%d %q was closed; comments %q", pr.Number, pr.Title, w.gh.Comments(gitopsOwner, gitopsName, pr.Number))
		}
	}
}

func TestAutoMergeIsRequestedAndARefusalIsOnlyAWarning(t *testing.T) {
	t.Parallel()
	for _, allowed := range []bool{false, true} {
		t.Run(map[bool]string{false: "the repository does not allow it", true: "the repository allows it"}[allowed], func(t *testing.T) {
			t.Parallel()
			w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}})
			w.gh.SetAutoMergeAllowed(gitopsOwner, gitopsName, allowed)
			opts := w.options()
			opts.PullRequest.AutoMerge = "squash"
			res := w.propose(opts)
			p := only(t, res)
			prs := w.pulls()
			if p.Action != promote.Opened || res.Failed() || len(prs) != 1 {
				t.Fatalf("%+v, %d PRs; want one opened and the run not failed", p, len(prs))
			}
			if allowed {
				if prs[0].AutoMerge != "SQUASH" || len(p.Warnings) != 0 {
					t.Errorf("auto-merge %q, warnings %q; want SQUASH and none", prs[0].AutoMerge, p.Warnings)
				}
				return
			}
			if prs[0].AutoMerge != "" || len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "auto-merge") || !strings.Contains(p.Warnings[0], "repository settings") {
				t.Errorf("auto-merge %q, warnings %q; want none enabled and one warning saying what to do", prs[0].AutoMerge, p.Warnings)
			}
		})
	}
}

func TestAPullRequestAParallelRunOpenedFirstIsAdopted(t *testing.T) {
	t.Parallel()
	// The server's goroutines learn the world through a lock, not through the socket.
	var mu sync.Mutex
	var w *gitops
	parallel := 0
	// The other run's PR appears between this run's look-up and its create.
	race := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path == "/repos/acme/gitops/pulls" {
				mu.Lock()
				if parallel == 0 {
					parallel = w.gh.OpenPR(gitopsOwner, gitopsName, testenv.FakePR{
						Head: w.chartBranch("charts/webapp"), Base: "main", Title: "Promote webapp", Body: "Opened by a parallel run.", Author: w.gh.Login,
					})
				}
				mu.Unlock()
			}
			next.ServeHTTP(rw, r)
		})
	}
	world := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}}, withGitHubMiddleware(race))
	mu.Lock()
	w = world
	mu.Unlock()
	p := only(t, w.propose(w.options()))
	prs := w.pulls()
	mu.Lock()
	defer mu.Unlock()
	if len(prs) != 1 || parallel == 0 {
		t.Fatalf("%d pull requests (the parallel one #%d): %+v; want exactly one", len(prs), parallel, prs)
	}
	if p.Action != promote.Updated || p.Number != parallel || prs[0].Title != p.Title || prs[0].Body != p.Body {
		t.Errorf("proposal %+v, PR %q; want #%d adopted and given this run's text", p, prs[0].Title, parallel)
	}
}

func TestADryRunPlansTheProposalsAndWritesNothing(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}})
	w.git.Requests.Reset()
	opts := w.options()
	opts.DryRun = true
	p := only(t, w.propose(opts))
	if p.Action != promote.Planned || p.Branch != w.chartBranch("charts/webapp") || p.Title != "Promote webapp to 1.2.4" ||
		!strings.Contains(p.Body, "`1.2.3` → `1.2.4`") || len(p.Changes) != 2 || p.Number != 0 || p.Commit != "" {
		t.Errorf("%+v; want a planned proposal with its title, body and changes", p)
	}
	if n := w.git.Requests.Count(nil); n != 0 {
		t.Errorf("%d Git requests: %v", n, w.git.Requests.All())
	}
	if n := w.gh.Requests.Count(nil); n != 0 {
		t.Errorf("%d GitHub requests: %v", n, w.gh.Requests.All())
	}
	if got := w.git.GitIn(t, w.clone, "status", "--porcelain"); got != "" {
		t.Errorf("git status in the clone:\n%s", got)
	}
}

func TestAPushThatLosesARaceWithAPersonsPushNeverOverwritesIt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		about  string
		before []string // versions promoted by an earlier run, so the branch exists
	}{
		{about: "the branch is new"},
		{about: "the branch exists", before: []string{"1.2.4"}},
	} {
		t.Run(tc.about, func(t *testing.T) {
			t.Parallel()
			// The next push the tool sends waits at the server while a person pushes first.
			var mu sync.Mutex
			armed := false
			intercepted, resume := make(chan struct{}), make(chan struct{})
			hold := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
						mu.Lock()
						fire := armed
						armed = false
						mu.Unlock()
						if fire {
							intercepted <- struct{}{}
							<-resume
						}
					}
					next.ServeHTTP(rw, r)
				})
			}
			w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3"}}, withGitMiddleware(hold))
			for _, v := range tc.before {
				w.push("charts/webapp", v)
				only(t, w.propose(w.options()))
			}
			w.push("charts/webapp", "1.2.5")
			branch := w.chartBranch("charts/webapp")
			prsBefore := len(w.pulls())

			mu.Lock()
			armed = true
			mu.Unlock()
			type outcome struct {
				res *promote.Result
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				deps, _, err := promote.Connect(w.clone, gitopsToken, w.gh.URL, "chart-promoter-test")
				if err != nil {
					done <- outcome{err: err}
					return
				}
				deps.Log = testLog{t}
				res, err := promote.Propose(t.Context(), w.options(), deps)
				done <- outcome{res, err}
			}()
			select {
			case <-intercepted:
			case o := <-done:
				t.Fatalf("the run ended without pushing: %+v, %v", o.res, o.err)
			}
			human := w.commitAs(branch, map[string]string{"NOTES.md": "Testing 1.2.4 by hand.\n"}, "A person's commit that lands first")
			close(resume)
			o := <-done
			if o.err != nil {
				t.Fatal(o.err)
			}
			p := only(t, o.res)
			if p.Action != promote.Blocked {
				t.Errorf("%+v; want the branch, now a person's, left alone", p)
			}
			if got := w.bare("rev-parse", "refs/heads/"+branch); got != human {
				t.Errorf("%s is at %s, want the person's %s", branch, got, human)
			}
			if got := len(w.pulls()); got != prsBefore {
				t.Errorf("%d pull requests, want %d", got, prsBefore)
			}
		})
	}
}

func TestOptionsShapeTheBranchTheCommitAndThePullRequest(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}})
	opts := w.options()
	opts.BranchPrefix = "bots/promote/"
	opts.Author = promote.Identity{Name: "Release Bot", Email: "release-bot@example.com"}
	opts.SignOff = true
	opts.PullRequest.Draft = true
	p := only(t, w.propose(opts))

	branch := strings.Replace(w.chartBranch("charts/webapp"), "chart-promoter/", "bots/promote/", 1)
	if p.Action != promote.Opened || p.Branch != branch || !slices.Equal(w.branches(), []string{branch}) {
		t.Fatalf("%+v, branches %v; want %s", p, w.branches(), branch)
	}
	if got := w.bare("log", "-1", "--format=%an <%ae>|%cn <%ce>", branch); got != "Release Bot <release-bot@example.com>|Release Bot <release-bot@example.com>" {
		t.Errorf("author|committer %q", got)
	}
	// git reads both trailers from the message's last paragraph.
	if got := w.bare("log", "-1", "--format=%(trailers:only,unfold)", branch); !strings.HasPrefix(got, "Chart-Promoter-Fingerprint: ") ||
		!strings.HasSuffix(got, "\nSigned-off-by: Release Bot <release-bot@example.com>") {
		t.Errorf("trailers %q", got)
	}
	if prs := w.pulls(); len(prs) != 1 || !prs[0].Draft || prs[0].Head != branch {
		t.Errorf("pull requests %+v; want one draft from %s", prs, branch)
	}
}

func TestACheckoutScannedFromASubdirectoryCommitsPathsFromTheRoot(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}})
	apps := filepath.Join(w.clone, "apps")
	opts := w.options()
	opts.Plan.Dir = apps
	deps, _, err := promote.Connect(apps, gitopsToken, w.gh.URL, "chart-promoter-test")
	if err != nil {
		t.Fatal(err)
	}
	res, err := promote.Propose(t.Context(), opts, deps)
	if err != nil {
		t.Fatal(err)
	}
	p := only(t, res)
	if p.Action != promote.Opened {
		t.Fatalf("%+v", p)
	}
	w.checkDiffMovesOnly("main", p.Branch, webappLines("1.2.4"))
	if got := w.bare("diff", "--name-only", "main", p.Branch); got != "apps/production/webapp.yaml\napps/staging/webapp.yaml" {
		t.Errorf("the commit changes %q", got)
	}
	// Reviewers find files from the repository root, whatever directory was scanned.
	if body := w.pulls()[0].Body; !strings.Contains(body, "| webapp-staging | `apps/staging/webapp.yaml:12` |") {
		t.Errorf("the PR body does not name files relative to the repository root:\n%s", body)
	}
}

func TestWhatGitHubRefusesWhenDecoratingANewPullRequestIsAWarning(t *testing.T) {
	t.Parallel()
	// The token may open pull requests but not create labels, as GITHUB_TOKEN without
	// issues: write cannot.
	noLabels := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/labels") {
				rw.Header().Set("Content-Type", "application/json; charset=utf-8")
				rw.WriteHeader(http.StatusForbidden)
				_, _ = io.WriteString(rw, `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/issues/labels#add-labels-to-an-issue","status":"403"}`)
				return
			}
			next.ServeHTTP(rw, r)
		})
	}
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}}, withGitHubMiddleware(noLabels))
	opts := w.options()
	// GitHub refuses a review request from the pull request's own author.
	opts.PullRequest = promote.PullRequestOptions{Labels: []string{"promotion"}, Reviewers: []string{w.gh.Login}, Assignees: []string{"bob"}}
	res := w.propose(opts)
	p := only(t, res)
	if p.Action != promote.Opened || res.Failed() || p.Number == 0 {
		t.Errorf("%+v; want the pull request opened and the run not failed", p)
	}
	if len(p.Warnings) != 2 || !strings.Contains(p.Warnings[0], "label") || !strings.Contains(p.Warnings[1], "review") {
		t.Errorf("warnings %q; want one about the labels and one about the reviewers", p.Warnings)
	}
	if prs := w.pulls(); len(prs) != 1 || !slices.Equal(prs[0].Assignees, []string{"bob"}) {
		t.Errorf("pull requests %+v; want one, assigned to bob all the same", prs)
	}
}
