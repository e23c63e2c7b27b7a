package manifest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// discoverCase is the want.json of one directory under testdata/discover. The directory's
// in/ subdirectory is copied to a temporary directory, prepared as setup says, and
// discovered with the include and exclude patterns given.
type discoverCase struct {
	// About says in a sentence what the case shows; it names the subtest.
	About   string   `json:"about"`
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// UnmatchedInclude and UnmatchedExclude are the patterns that must be reported as
	// doing nothing; absent means none.
	UnmatchedInclude []string `json:"unmatchedInclude,omitempty"`
	UnmatchedExclude []string `json:"unmatchedExclude,omitempty"`
	Setup            struct {
		// Rename moves paths after the copy, for names Git cannot hold (".git").
		Rename map[string]string `json:"rename,omitempty"`
		// Symlink creates links (name → target), which checkouts do not reliably keep.
		Symlink map[string]string `json:"symlink,omitempty"`
	} `json:"setup"`
	Sources  []wantSource  `json:"sources"`
	Skipped  []wantSkip    `json:"skipped"`
	Problems []wantProblem `json:"problems"`
	// Files lists the files with sources, whose digests Discover must record.
	Files []string `json:"files"`
}

type wantSource struct {
	File           string `json:"file"`
	Line           int    `json:"line"`
	Column         int    `json:"column"`
	Kind           string `json:"kind"`
	Application    string `json:"application"`
	ApplicationSet string `json:"applicationSet,omitempty"`
	Namespace      string `json:"namespace,omitempty"`
	Destination    string `json:"destination,omitempty"`
	Chart          string `json:"chart"`
	Form           string `json:"form"`
	Revision       string `json:"revision"`
	Quote          string `json:"quote,omitempty"`
	Constraint     string `json:"constraint,omitempty"`
	// ConstraintFrom and IgnoreFrom are substrings of the origins.
	ConstraintFrom string `json:"constraintFrom,omitempty"`
	Ignore         bool   `json:"ignore,omitempty"`
	IgnoreFrom     string `json:"ignoreFrom,omitempty"`
	Path           string `json:"path"`
	// Problem and Warning are substrings; empty means there must be none.
	Problem string `json:"problem,omitempty"`
	Warning string `json:"warning,omitempty"`
	// Range, LockFile, LockLine and Archive describe a Helm chart's dependency.
	Range    string `json:"range,omitempty"`
	LockFile string `json:"lockFile,omitempty"`
	LockLine int    `json:"lockLine,omitempty"`
	Archive  string `json:"archive,omitempty"`
}

type wantSkip struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Reason string `json:"reason"` // a substring
}

type wantProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"` // a substring
}

func TestDiscoverFindsWhatEachFixtureExpects(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("testdata", "discover", "*", "want.json"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no discovery fixtures under testdata/discover (err %v)", err)
	}
	for _, wantFile := range cases {
		dir := filepath.Dir(wantFile)
		want := readDiscoverCase(t, wantFile)
		t.Run(filepath.Base(dir)+": "+want.About, func(t *testing.T) {
			root := prepareTree(t, filepath.Join(dir, "in"), want)
			opts := Options{Concurrency: 2}
			if want.Include != nil {
				opts.Include = mustGlobs(t, want.Include)
			}
			if want.Exclude != nil {
				opts.Exclude = mustGlobs(t, want.Exclude)
			}
			got, err := Discover(context.Background(), root, opts)
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			compareSources(t, got.Sources, want.Sources)
			compareSkipped(t, got.Skipped, want.Skipped)
			compareProblems(t, got.Problems, want.Problems)
			compareFiles(t, root, got.Files, want.Files)
			if !slices.Equal(got.UnmatchedInclude, want.UnmatchedInclude) || !slices.Equal(got.UnmatchedExclude, want.UnmatchedExclude) {
				t.Errorf("unmatched include %q, exclude %q; want %q, %q", got.UnmatchedInclude, got.UnmatchedExclude, want.UnmatchedInclude, want.UnmatchedExclude)
			}
		})
	}
}

func readDiscoverCase(t *testing.T, path string) discoverCase {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c discoverCase
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if c.About == "" {
		t.Fatalf("%s: say what the case shows in \"about\"", path)
	}
	return c
}

// prepareTree copies a fixture tree to a temporary directory and applies its setup.
func prepareTree(t *testing.T, src string, c discoverCase) string {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(src)); err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	for from, to := range c.Setup.Rename {
		if err := os.Rename(filepath.Join(root, filepath.FromSlash(from)), filepath.Join(root, filepath.FromSlash(to))); err != nil {
			t.Fatalf("setup: %v", err)
		}
	}
	for name, target := range c.Setup.Symlink {
		if runtime.GOOS == "windows" {
			t.Skip("symbolic links need privileges on Windows")
		}
		if err := os.Symlink(filepath.FromSlash(target), filepath.Join(root, filepath.FromSlash(name))); err != nil {
			t.Fatalf("setup: %v", err)
		}
	}
	return root
}

func mustGlobs(t *testing.T, patterns []string) []*Glob {
	t.Helper()
	g, err := CompileGlobs(patterns)
	if err != nil {
		t.Fatalf("CompileGlobs(%q): %v", patterns, err)
	}
	return g
}

func compareSources(t *testing.T, got []Source, want []wantSource) {
	t.Helper()
	for i := 0; i < len(got) || i < len(want); i++ {
		switch {
		case i >= len(want):
			t.Errorf("unexpected source %s", describeSource(got[i]))
			continue
		case i >= len(got):
			t.Errorf("missing source %s:%d %s (%s)", want[i].File, want[i].Line, want[i].Chart, want[i].Path)
			continue
		}
		g, w := got[i], want[i]
		at := g.File + ":" + itoa(g.Location.Line)
		check := func(field string, gotV, wantV any) {
			if gotV != wantV {
				t.Errorf("source %d (%s) %s = %#v, want %#v", i, at, field, gotV, wantV)
			}
		}
		check("File", g.File, w.File)
		check("Line", g.Location.Line, w.Line)
		check("Column", g.Location.Column, w.Column)
		check("Kind", g.Kind, w.Kind)
		check("Application", g.Application, w.Application)
		check("ApplicationSet", g.ApplicationSet, w.ApplicationSet)
		check("Chart", g.Chart, w.Chart)
		check("Form", g.Form.String(), w.Form)
		check("Revision", g.Revision, w.Revision)
		check("Quote", quoteName(g.Location.Quote), w.Quote)
		check("Constraint", g.Constraint, w.Constraint)
		check("Ignore", g.Ignore, w.Ignore)
		check("Path", g.Location.Path, w.Path)
		if w.Namespace != "" {
			check("Namespace", g.Namespace, w.Namespace)
		}
		if w.Destination != "" {
			check("Destination", g.Destination, w.Destination)
		}
		checkSubstring(t, at+" ConstraintOrigin", g.ConstraintOrigin, w.ConstraintFrom, w.Constraint != "")
		checkSubstring(t, at+" IgnoreOrigin", g.IgnoreOrigin, w.IgnoreFrom, w.Ignore || w.IgnoreFrom != "")
		checkSubstring(t, at+" Location.Problem", g.Location.Problem, w.Problem, w.Problem != "")
		checkSubstring(t, at+" Warnings", strings.Join(g.Warnings, "\n"), w.Warning, w.Warning != "")
		var dep Dependency
		if g.Dependency != nil {
			dep = *g.Dependency
		}
		check("Dependency.Range", dep.Range, w.Range)
		check("Dependency.LockFile", dep.LockFile, w.LockFile)
		check("Dependency.LockLocation.Line", dep.LockLocation.Line, w.LockLine)
		check("Dependency.Archive", dep.Archive, w.Archive)
		if g.Form == HelmDependency && g.Dependency == nil {
			t.Errorf("source %d (%s) is a Helm dependency without its Dependency", i, at)
		}
		if g.Location.Problem == "" && (g.Location.Length == 0 || g.Location.Offset <= 0) {
			t.Errorf("source %d (%s) has no problem but no byte span (offset %d, length %d)", i, at, g.Location.Offset, g.Location.Length)
		}
	}
}

// checkSubstring checks that got contains want, and that got is empty when nothing is
// expected (present false).
func checkSubstring(t *testing.T, what, got, want string, present bool) {
	t.Helper()
	switch {
	case !present && got != "":
		t.Errorf("%s = %q, want none", what, got)
	case present && got == "":
		t.Errorf("%s is empty, want one containing %q", what, want)
	case !strings.Contains(got, want):
		t.Errorf("%s = %q, want it to contain %q", what, got, want)
	}
}

func compareSkipped(t *testing.T, got []Skip, want []wantSkip) {
	t.Helper()
	for i := 0; i < len(got) || i < len(want); i++ {
		switch {
		case i >= len(want):
			t.Errorf("unexpected skip %s:%d: %s", got[i].File, got[i].Line, got[i].Reason)
		case i >= len(got):
			t.Errorf("missing skip %s:%d: …%s…", want[i].File, want[i].Line, want[i].Reason)
		case got[i].File != want[i].File || got[i].Line != want[i].Line || !strings.Contains(got[i].Reason, want[i].Reason):
			t.Errorf("skip %d = %s:%d: %s\nwant %s:%d: …%s…", i, got[i].File, got[i].Line, got[i].Reason, want[i].File, want[i].Line, want[i].Reason)
		}
	}
}

func compareProblems(t *testing.T, got []Problem, want []wantProblem) {
	t.Helper()
	for i := 0; i < len(got) || i < len(want); i++ {
		switch {
		case i >= len(want):
			t.Errorf("unexpected problem %s", got[i].Error())
		case i >= len(got):
			t.Errorf("missing problem %s:%d: …%s…", want[i].File, want[i].Line, want[i].Message)
		case got[i].File != want[i].File || got[i].Line != want[i].Line || !strings.Contains(got[i].Message, want[i].Message):
			t.Errorf("problem %d = %s\nwant %s:%d: …%s…", i, got[i].Error(), want[i].File, want[i].Line, want[i].Message)
		}
	}
}

func compareFiles(t *testing.T, root string, got map[string][32]byte, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("Files has %d entries, want %d (%q)", len(got), len(want), want)
	}
	for _, f := range want {
		digest, ok := got[f]
		if !ok {
			t.Errorf("Files has no digest for %s", f)
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		if digest != sha256Sum(data) {
			t.Errorf("Files[%s] is not the SHA-256 of the file", f)
		}
	}
}

func describeSource(s Source) string {
	b, _ := json.Marshal(wantSourceOf(s))
	return string(b)
}

// wantSourceOf renders a source the way want.json spells it, for messages.
func wantSourceOf(s Source) wantSource {
	var dep Dependency
	if s.Dependency != nil {
		dep = *s.Dependency
	}
	return wantSource{
		File: s.File, Line: s.Location.Line, Column: s.Location.Column, Kind: s.Kind,
		Application: s.Application, ApplicationSet: s.ApplicationSet, Namespace: s.Namespace,
		Destination: s.Destination, Chart: s.Chart, Form: s.Form.String(), Revision: s.Revision,
		Quote: quoteName(s.Location.Quote), Constraint: s.Constraint, ConstraintFrom: s.ConstraintOrigin,
		Ignore: s.Ignore, IgnoreFrom: s.IgnoreOrigin, Path: s.Location.Path, Problem: s.Location.Problem,
		Warning: strings.Join(s.Warnings, "\n"), Range: dep.Range, LockFile: dep.LockFile,
		LockLine: dep.LockLocation.Line, Archive: dep.Archive,
	}
}

func quoteName(q byte) string {
	switch q {
	case '"':
		return "double"
	case '\'':
		return "single"
	case 0:
		return ""
	}
	return string(q)
}

func TestDiscoverRejectsARootThatIsNotADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(file, []byte("a: b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{file, filepath.Join(t.TempDir(), "missing")} {
		if _, err := Discover(context.Background(), root, Options{}); err == nil {
			t.Errorf("Discover(%s) succeeded, want an error", root)
		}
	}
}

func TestDiscoverStopsWhenTheContextIsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Discover(ctx, filepath.Join("testdata", "discover"), Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Discover with a cancelled context: err = %v, want context.Canceled", err)
	}
}

func TestDiscoverSkipsFilesLargerThanTheLimit(t *testing.T) {
	root := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "discover", "helm-oci-form", "in", "webapp.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "webapp.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Discover(context.Background(), root, Options{MaxFileSize: int64(len(data) - 1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Sources) != 0 || len(got.Skipped) != 1 || !strings.Contains(got.Skipped[0].Reason, "larger than") {
		t.Fatalf("Discover with a limit below the file size: sources %d, skipped %+v; want the file skipped as too large", len(got.Sources), got.Skipped)
	}
	got, err = Discover(context.Background(), root, Options{MaxFileSize: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Sources) != 1 {
		t.Fatalf("Discover with a limit equal to the file size found %d sources, want 1", len(got.Sources))
	}
}

// A "# chart-promoter:" comment with no directive name ("# chart-promoter:", "=x") is a
// mistake the user must see, at the source's line, and the source is not promoted
// meanwhile (found by FuzzScan, where both once indexed an empty list).
func TestACommentDirectiveWithoutANameIsAProblemAtItsSource(t *testing.T) {
	for comment, want := range map[string]string{
		"# chart-promoter:":      "gives no directive",
		"# chart-promoter: =1.2": "unknown directive",
		"#chart-promoter:=":      "unknown directive",
		"# chart-promoter: : : ": "unknown directive",
	} {
		t.Run(comment, func(t *testing.T) {
			data := []byte("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\nspec:\n  source:\n    repoURL: ghcr.io/acme/charts\n    chart: webapp\n    targetRevision: 1.2.3 " + comment + "\n")
			r := Scan("app.yaml", data)
			if len(r.Sources()) != 0 {
				t.Errorf("a source with a nameless directive was promoted: %+v", r.Sources())
			}
			var found bool
			for _, p := range r.Problems() {
				if strings.Contains(p.Message, want) {
					found = true
					if p.Line != 9 {
						t.Errorf("problem at line %d, want 9: %s", p.Line, p.Message)
					}
				}
			}
			if !found {
				t.Fatalf("no problem says %q: %+v", want, r.Problems())
			}
		})
	}
}
