package promote_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// fixtureHost is the registry host the fixtures are written with; every file is copied
// with it replaced by the test registry's 127.0.0.1:PORT.
const fixtureHost = "registry.test"

// planCase is the case.json of one directory under testdata/plan. The directory's in/
// tree is planned against a registry filled as the case says; out/, when present, is
// the tree apply must leave.
type planCase struct {
	// About says in a sentence what the case shows; it names the subtest.
	About   string `json:"about"`
	Options struct {
		Constraint string   `json:"constraint"`
		Charts     []string `json:"charts"`
		Include    []string `json:"include"`
		Exclude    []string `json:"exclude"`
	} `json:"options"`
	Registry registryContent `json:"registry"`
	// Untouched are URL path prefixes the registry must not be asked for while planning.
	Untouched []string     `json:"untouched"`
	Changes   []wantChange `json:"changes"`
	Skipped   []wantSkip   `json:"skipped"`
	Errors    []wantError  `json:"errors"`
	// Warnings are the plan's top-level warnings, in order; absent means none.
	Warnings []wantWarning `json:"warnings"`
}

type wantWarning struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Chart   string `json:"chart"`
	Setting string `json:"setting"`
	Message string `json:"message"` // a substring
	// Mentions are substrings the message must hold.
	Mentions []string `json:"mentions"`
}

// registryContent is what a case's registry holds.
type registryContent struct {
	Charts []chartContent `json:"charts"`
	Images []struct {
		Repository string   `json:"repository"`
		Tags       []string `json:"tags"`
	} `json:"images"`
	// Faults answer requests under a URL path prefix with an error status, once the
	// registry is filled.
	Faults map[string]int `json:"faults"`
}

// chartContent is one chart repository: its versions, all with the same Chart.yaml fields.
type chartContent struct {
	Repository  string            `json:"repository"` // path/name
	Versions    []string          `json:"versions"`
	AppVersion  string            `json:"appVersion"`
	Description string            `json:"description"`
	Annotations map[string]string `json:"annotations"`
}

// wantChange lists the fields a change must have; empty fields are not compared, except
// that the digest and metadata name and version are always checked against the registry.
type wantChange struct {
	File             string             `json:"file"`
	Line             int                `json:"line"`
	Column           int                `json:"column"`
	Path             string             `json:"path"`
	Application      string             `json:"application"`
	ApplicationSet   string             `json:"applicationSet"`
	Kind             string             `json:"kind"`
	Chart            string             `json:"chart"`
	Form             string             `json:"form"`
	From             string             `json:"from"`
	To               string             `json:"to"`
	Tag              string             `json:"tag"`
	Constraint       string             `json:"constraint"`
	ConstraintOrigin string             `json:"constraintOrigin"`
	Warning          string             `json:"warning"` // a substring of one warning
	Metadata         *registry.Metadata `json:"metadata"`
}

type wantSkip struct {
	File        string `json:"file"`
	Line        int    `json:"line"`
	Application string `json:"application"`
	Chart       string `json:"chart"`
	// Reason is a substring of the reason, or its beginning when ReasonPrefix is set.
	Reason       string `json:"reason"`
	ReasonPrefix bool   `json:"reasonPrefix"`
}

type wantError struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Chart    string   `json:"chart"`
	Mentions []string `json:"mentions"`
}

func loadPlanCase(t *testing.T, file, host string) planCase {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var c planCase
	dec := json.NewDecoder(bytes.NewReader(bytes.ReplaceAll(data, []byte(fixtureHost), []byte(host))))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return c
}

// start starts a registry, pushes the case's charts and images and then turns on its
// faults. It returns the digest of every chart version pushed, by "path/name:version".
func (rc registryContent) start(t *testing.T) (*testenv.Registry, map[string]string) {
	t.Helper()
	var faultsOn atomic.Bool
	faults := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if faultsOn.Load() {
				for prefix, status := range rc.Faults {
					if strings.HasPrefix(r.URL.Path, prefix) {
						w.Header().Set("Content-Type", "application/json")
						w.WriteHeader(status)
						_, _ = w.Write([]byte(`{"errors":[{"code":"DENIED","message":"refused by the test's fault injection"}]}`))
						return
					}
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	reg := testenv.StartRegistry(t, testenv.WithMiddleware(faults))
	digests := map[string]string{}
	for _, ch := range rc.Charts {
		dir, name := path.Split(ch.Repository)
		var opts []testenv.ChartOption
		if ch.AppVersion != "" {
			opts = append(opts, testenv.WithAppVersion(ch.AppVersion))
		}
		if ch.Description != "" {
			opts = append(opts, testenv.WithDescription(ch.Description))
		}
		if ch.Annotations != nil {
			opts = append(opts, testenv.WithAnnotations(ch.Annotations))
		}
		for _, v := range ch.Versions {
			digests[ch.Repository+":"+v] = reg.PushChart(t, strings.TrimSuffix(dir, "/"), name, v, opts...)
		}
	}
	for _, img := range rc.Images {
		for _, tag := range img.Tags {
			reg.PushImage(t, img.Repository, tag)
		}
	}
	faultsOn.Store(true)
	reg.Requests.Reset()
	return reg, digests
}

// copyTree copies the fixture tree src to dst with the fixture host replaced by host.
func copyTree(t *testing.T, src, dst, host string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, bytes.ReplaceAll(data, []byte(fixtureHost), []byte(host)), 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

// readTree returns every file under root by slash-separated relative path.
func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// expectedTree is a fixture tree as it reads once copied for host.
func expectedTree(t *testing.T, dir, host string) map[string][]byte {
	t.Helper()
	tree := readTree(t, dir)
	for name, data := range tree {
		tree[name] = bytes.ReplaceAll(data, []byte(fixtureHost), []byte(host))
	}
	return tree
}

func compareTrees(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: %s is missing", what, name)
		case !bytes.Equal(g, w):
			t.Errorf("%s: %s differs:\n--- got\n%s\n--- want\n%s", what, name, g, w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: unexpected file %s", what, name)
		}
	}
}

func newClient(t *testing.T, reg *testenv.Registry) *registry.Client {
	t.Helper()
	c, err := registry.New(registry.WithRootCAs(reg.CertPool))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMakePlansWhatEachFixtureExpects(t *testing.T) {
	t.Parallel()
	cases, err := filepath.Glob(filepath.Join("testdata", "plan", "*", "case.json"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no fixtures under testdata/plan (err %v)", err)
	}
	for _, caseFile := range cases {
		dir := filepath.Dir(caseFile)
		about := loadPlanCase(t, caseFile, fixtureHost).About
		t.Run(filepath.Base(dir)+": "+about, func(t *testing.T) {
			t.Parallel()
			reg, digests := loadPlanCase(t, caseFile, fixtureHost).Registry.start(t)
			c := loadPlanCase(t, caseFile, reg.Host)
			root := t.TempDir()
			copyTree(t, filepath.Join(dir, "in"), root, reg.Host)
			before := readTree(t, root)
			cfg, err := config.Load(root, "") // in/chart-promoter.yaml, when the case has one
			if err != nil {
				t.Fatalf("config: %v", err)
			}

			plan, err := promote.Make(t.Context(), promote.Options{
				Dir:               root,
				Charts:            c.Options.Charts,
				Include:           c.Options.Include,
				Exclude:           c.Options.Exclude,
				DefaultConstraint: c.Options.Constraint,
				Config:            cfg,
				Registry:          newClient(t, reg),
			})
			if err != nil {
				t.Fatalf("Make: %v", err)
			}
			checkChanges(t, plan.Changes, c.Changes, reg.Host, digests)
			checkSkips(t, plan.Skipped, c.Skipped)
			checkErrors(t, plan.Errors, c.Errors)
			checkWarnings(t, plan.Warnings, c.Warnings)
			for _, prefix := range c.Untouched {
				for _, req := range reg.Requests.All() {
					if _, p, _ := strings.Cut(req, " "); strings.HasPrefix(p, prefix) {
						t.Errorf("the registry was asked for %s; nothing under %s should be read", req, prefix)
					}
				}
			}
			compareTrees(t, "after Make (which must change nothing)", readTree(t, root), before)

			// The plan previews exactly the bytes on disk and one edited file per file changed.
			var edited []string
			for _, f := range plan.Files {
				edited = append(edited, f.File)
				if !bytes.Equal(f.Before, before[f.File]) {
					t.Errorf("plan.Files[%s].Before is not the file on disk", f.File)
				}
				if bytes.Equal(f.Before, f.After) {
					t.Errorf("plan.Files lists %s without an edit", f.File)
				}
			}
			var changedFiles []string
			for _, ch := range plan.Changes {
				if !slices.Contains(changedFiles, ch.File) {
					changedFiles = append(changedFiles, ch.File)
				}
			}
			if !slices.Equal(edited, changedFiles) {
				t.Errorf("plan.Files = %v, want the files of the changes %v", edited, changedFiles)
			}

			written, failed := plan.Apply()
			if len(failed) > 0 {
				t.Fatalf("Apply failed: %+v", failed)
			}
			if !slices.Equal(written, edited) {
				t.Errorf("Apply wrote %v, want %v", written, edited)
			}
			after := readTree(t, root)
			for _, f := range plan.Files {
				if !bytes.Equal(after[f.File], f.After) {
					t.Errorf("Apply wrote %s differently from the plan's preview:\n%s", f.File, after[f.File])
				}
			}
			if out := filepath.Join(dir, "out"); isDir(out) {
				compareTrees(t, "after Apply", after, expectedTree(t, out, reg.Host))
			} else if len(plan.Files) > 0 {
				t.Errorf("the fixture changes files but has no out/ tree to compare them with")
			}

			// Planning again finds nothing to do: apply is idempotent.
			again, err := promote.Make(t.Context(), promote.Options{
				Dir:               root,
				Charts:            c.Options.Charts,
				Include:           c.Options.Include,
				Exclude:           c.Options.Exclude,
				DefaultConstraint: c.Options.Constraint,
				Config:            cfg,
				Registry:          newClient(t, reg),
			})
			if err != nil {
				t.Fatalf("second Make: %v", err)
			}
			if len(again.Changes) > 0 || len(again.Files) > 0 {
				t.Errorf("second plan has %d change(s), %d file(s); want none: %+v", len(again.Changes), len(again.Files), again.Changes)
			}
			if written, failed := again.Apply(); len(written) > 0 || len(failed) > 0 {
				t.Errorf("second Apply wrote %v, failed %v; want nothing", written, failed)
			}
			compareTrees(t, "after the second Apply", readTree(t, root), after)
		})
	}
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

func checkChanges(t *testing.T, got []promote.Change, want []wantChange, host string, digests map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d change(s), want %d:", len(got), len(want))
		for _, c := range got {
			t.Errorf("  got %s:%d %s %s %s → %s (%s)", c.File, c.Line, c.Application, c.Chart, c.From, c.To, c.Constraint)
		}
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		where := g.File + ":" + itoa(g.Line) + " " + g.Application
		field := func(name, got, want string) {
			if want != "" && got != want {
				t.Errorf("change %d (%s): %s = %q, want %q", i, where, name, got, want)
			}
		}
		field("file", g.File, w.File)
		field("line", itoa(g.Line), itoaNonZero(w.Line))
		field("column", itoa(g.Column), itoaNonZero(w.Column))
		field("path", g.Path, w.Path)
		field("application", g.Application, w.Application)
		field("applicationSet", g.ApplicationSet, w.ApplicationSet)
		field("kind", g.Kind, w.Kind)
		field("chart", g.Chart, w.Chart)
		field("form", g.Form, w.Form)
		field("from", g.From, w.From)
		field("to", g.To, w.To)
		field("tag", g.Tag, w.Tag)
		field("constraint", g.Constraint, w.Constraint)
		field("constraintOrigin", g.ConstraintOrigin, w.ConstraintOrigin)
		if w.Warning != "" && !slices.ContainsFunc(g.Warnings, func(s string) bool { return strings.Contains(s, w.Warning) }) {
			t.Errorf("change %d (%s): warnings %q, want one mentioning %q", i, where, g.Warnings, w.Warning)
		}
		if w.Warning == "" && len(g.Warnings) > 0 {
			t.Errorf("change %d (%s): unexpected warnings %q", i, where, g.Warnings)
		}

		// The digest and metadata are those of the chart version pushed under the tag.
		repo := strings.TrimPrefix(g.Chart, host+"/")
		pushedAs := repo + ":" + version.HelmSpelling(g.Tag)
		if d, ok := digests[pushedAs]; !ok || g.Digest != d {
			t.Errorf("change %d (%s): digest %q, want %q (what Helm pushed as %s)", i, where, g.Digest, d, pushedAs)
		}
		if g.Metadata.Name != path.Base(repo) || g.Metadata.Version != version.HelmSpelling(g.Tag) {
			t.Errorf("change %d (%s): metadata %s %s, want %s %s", i, where, g.Metadata.Name, g.Metadata.Version, path.Base(repo), version.HelmSpelling(g.Tag))
		}
		if m := w.Metadata; m != nil {
			gm := g.Metadata
			if gm.Name != m.Name || gm.Version != m.Version || gm.AppVersion != m.AppVersion || gm.Description != m.Description ||
				!sameMap(gm.Annotations, m.Annotations) {
				t.Errorf("change %d (%s): metadata %+v, want %+v", i, where, gm, *m)
			}
		}
	}
}

func checkSkips(t *testing.T, got []promote.Skip, want []wantSkip) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d skip(s), want %d:", len(got), len(want))
		for _, s := range got {
			t.Errorf("  got %s:%d %s %s: %s", s.File, s.Line, s.Application, s.Chart, s.Reason)
		}
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		reasonOK := strings.Contains(g.Reason, w.Reason)
		if w.ReasonPrefix {
			reasonOK = strings.HasPrefix(g.Reason, w.Reason)
		}
		if g.File != w.File || g.Line != w.Line || (w.Application != "" && g.Application != w.Application) ||
			(w.Chart != "" && g.Chart != w.Chart) || !reasonOK {
			t.Errorf("skip %d = %s:%d %s %s: %q\n want %s:%d %s %s: %q", i, g.File, g.Line, g.Application, g.Chart, g.Reason,
				w.File, w.Line, w.Application, w.Chart, w.Reason)
		}
	}
}

func checkErrors(t *testing.T, got []promote.Error, want []wantError) {
	t.Helper()
	checkReported(t, "error", got, want)
}

// checkReported compares a plan's errors or warnings (what names them) with the case's.
func checkReported(t *testing.T, what string, got []promote.Error, want []wantError) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d %s(s), want %d:", len(got), what, len(want))
		for _, e := range got {
			t.Errorf("  got %+v", e)
		}
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if g.File != w.File || g.Line != w.Line || g.Chart != w.Chart {
			t.Errorf("%s %d = %+v, want file %q line %d chart %q", what, i, g, w.File, w.Line, w.Chart)
		}
		for _, m := range w.Mentions {
			if !strings.Contains(g.Message, m) {
				t.Errorf("%s %d (%s) does not mention %q", what, i, g.Error(), m)
			}
		}
	}
}

func checkWarnings(t *testing.T, got []promote.Warning, want []wantWarning) {
	t.Helper()
	for i := 0; i < len(got) || i < len(want); i++ {
		switch {
		case i >= len(want):
			t.Errorf("unexpected warning %+v", got[i])
		case i >= len(got):
			t.Errorf("missing warning %+v", want[i])
		case got[i].File != want[i].File || got[i].Line != want[i].Line || got[i].Chart != want[i].Chart ||
			got[i].Setting != want[i].Setting || !strings.Contains(got[i].Message, want[i].Message):
			t.Errorf("warning %d = %+v, want %+v", i, got[i], want[i])
		default:
			for _, m := range want[i].Mentions {
				if !strings.Contains(got[i].Message, m) {
					t.Errorf("warning %d (%s) does not mention %q", i, got[i], m)
				}
			}
		}
	}
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }

func itoaNonZero(n int) string {
	if n == 0 {
		return ""
	}
	return itoa(n)
}

// simpleRegistry starts a registry holding each chart repository's versions.
func simpleRegistry(t *testing.T, charts map[string][]string) (*testenv.Registry, map[string]string) {
	t.Helper()
	var rc registryContent
	for repo, versions := range charts {
		rc.Charts = append(rc.Charts, chartContent{Repository: repo, Versions: versions})
	}
	return rc.start(t)
}

func TestApplyRefusesAFileChangedAfterPlanningAndStillWritesTheOthers(t *testing.T) {
	t.Parallel()
	reg, _ := simpleRegistry(t, map[string][]string{"charts/webapp": {"1.0.0", "1.1.0"}})
	root := t.TempDir()
	copyTree(t, filepath.Join("testdata", "apply-after-edit", "in"), root, reg.Host)

	plan, err := promote.Make(t.Context(), promote.Options{Dir: root, Registry: newClient(t, reg)})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Files) != 2 || len(plan.Changes) != 2 || len(plan.Errors) != 0 {
		t.Fatalf("plan has %d file(s), %d change(s), errors %v; want 2, 2, none", len(plan.Files), len(plan.Changes), plan.Errors)
	}
	// Someone edits backend.yaml between plan and apply.
	backend := filepath.Join(root, "backend.yaml")
	edited := append(readFile(t, backend), []byte("# edited by hand after the plan\n")...)
	if err := os.WriteFile(backend, edited, 0o644); err != nil {
		t.Fatal(err)
	}

	written, failed := plan.Apply()
	if !slices.Equal(written, []string{"frontend.yaml"}) {
		t.Errorf("Apply wrote %v, want [frontend.yaml]", written)
	}
	if len(failed) != 1 || failed[0].File != "backend.yaml" || !strings.Contains(failed[0].Message, "changed") {
		t.Errorf("Apply failed %+v, want one error for backend.yaml saying it changed", failed)
	}
	if !slices.ContainsFunc(plan.Errors, func(e promote.Error) bool { return e.File == "backend.yaml" }) {
		t.Errorf("plan.Errors %+v do not record the refused file", plan.Errors)
	}
	if got := readFile(t, backend); !bytes.Equal(got, edited) {
		t.Errorf("the refused file was touched:\n%s", got)
	}
	for _, f := range plan.Files {
		if f.File == "frontend.yaml" && !bytes.Equal(readFile(t, filepath.Join(root, "frontend.yaml")), f.After) {
			t.Error("frontend.yaml is not what the plan previewed")
		}
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestEachRepositoryIsReadOnceHoweverManySourcesShareIt(t *testing.T) {
	t.Parallel()
	reg, _ := simpleRegistry(t, map[string][]string{
		"charts/webapp": {"1.0.0", "1.1.0", "1.1.3", "1.2.0"},
		"charts/api":    {"2.0.0", "2.0.4", "2.1.0"},
		"charts/steady": {"3.0.0"},
	})
	root := t.TempDir()
	copyTree(t, filepath.Join("testdata", "shared-repositories", "in"), root, reg.Host)

	plan, err := promote.Make(t.Context(), promote.Options{Dir: root, Registry: newClient(t, reg), Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	// webapp: 6 sources to 1.2.0, 3 held to ~1.1 to 1.1.3, 5 list elements to 1.2.0;
	// api: 9 held to ~2.0 to 2.0.4; steady: 9 up to date.
	if len(plan.Changes) != 23 || len(plan.Skipped) != 9 || len(plan.Errors) != 0 {
		t.Fatalf("plan has %d change(s), %d skip(s), errors %v; want 23, 9, none", len(plan.Changes), len(plan.Skipped), plan.Errors)
	}
	count := func(repo, kind string) int {
		return reg.Requests.Count(func(method, p string) bool {
			return method == http.MethodGet && strings.HasPrefix(p, "/v2/charts/"+repo+"/"+kind)
		})
	}
	tests := []struct {
		repo, kind string
		want       int
		why        string
	}{
		{"webapp", "tags/list", 1, "14 sources share the repository"},
		{"api", "tags/list", 1, "9 sources share the repository"},
		{"steady", "tags/list", 1, "9 sources share the repository"},
		{"webapp", "manifests/", 2, "two constraints, two answers"},
		{"api", "manifests/", 1, "one constraint, one answer"},
		{"steady", "manifests/", 0, "every source is up to date: nothing to confirm"},
		{"steady", "blobs/", 0, "every source is up to date: no metadata to read"},
	}
	for _, tt := range tests {
		if got := count(tt.repo, tt.kind); got != tt.want {
			t.Errorf("GET /v2/charts/%s/%s… %d time(s), want %d (%s)", tt.repo, tt.kind, got, tt.want, tt.why)
		}
	}
	if t.Failed() {
		t.Logf("requests:\n%s", strings.Join(reg.Requests.All(), "\n"))
	}
}

func TestMakeRefusesOptionsItCannotHonour(t *testing.T) {
	t.Parallel()
	reg, _ := simpleRegistry(t, map[string][]string{"charts/webapp": {"1.0.0"}})
	root := t.TempDir()
	copyTree(t, filepath.Join("testdata", "apply-after-edit", "in"), root, reg.Host)
	tests := []struct {
		name    string
		opts    promote.Options
		wantErr string
	}{
		{name: "an invalid --constraint is refused", opts: promote.Options{Dir: root, DefaultConstraint: "newest please"}, wantErr: "--constraint"},
		{name: "a chart that is no repository reference is refused", opts: promote.Options{Dir: root, Charts: []string{"webapp"}}, wantErr: "--chart"},
		{name: "a directory that does not exist is refused", opts: promote.Options{Dir: filepath.Join(root, "missing")}, wantErr: "missing"},
		{name: "a concurrency above the cap is refused", opts: promote.Options{Dir: root, Concurrency: promote.MaxConcurrency + 1}, wantErr: "--concurrency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Registry = newClient(t, reg)
			reg.Requests.Reset()
			plan, err := promote.Make(t.Context(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Make = %v, %v; want an error mentioning %q", plan, err, tt.wantErr)
			}
			if n := reg.Requests.Count(nil); n > 0 {
				t.Errorf("the registry was asked %d time(s) for a run that could not start", n)
			}
		})
	}
}

func TestNewestFindsTheNewestAllowedChartVersion(t *testing.T) {
	t.Parallel()
	reg, digests := simpleRegistry(t, map[string][]string{"charts/webapp": {"1.2.3", "1.2.5", "1.3.0", "2.0.0-rc.1"}})
	reg.PushImage(t, "charts/webapp", "1.3.1")
	chart := reg.Host + "/charts/webapp"
	tests := []struct {
		name       string
		constraint string
		want       string // the version, "" when none is allowed
		wantErr    string
	}{
		{name: "a tilde range picks the newest patch", constraint: "~1.2", want: "1.2.5"},
		{name: "a container image at the newest tag is passed over", constraint: "*", want: "1.3.0"},
		{name: "a prerelease is picked when the constraint names one", constraint: ">=1.0.0-0", want: "2.0.0-rc.1"},
		{name: "a constraint nothing satisfies is an error naming the chart", constraint: ">=3", wantErr: chart + ": no chart version among 5 tags satisfies >=3"},
	}
	client := newClient(t, reg)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := version.ParseConstraint(tt.constraint)
			if err != nil {
				t.Fatal(err)
			}
			v, cv, err := promote.Newest(t.Context(), client, chart, c)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Newest = %s, %v; want error %q", v, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.String() != tt.want || cv.Digest != digests["charts/webapp:"+tt.want] || cv.Metadata.Version != tt.want {
				t.Errorf("Newest = %s (%s, metadata %s), want %s (%s)", v, cv.Digest, cv.Metadata.Version, tt.want, digests["charts/webapp:"+tt.want])
			}
		})
	}
}
