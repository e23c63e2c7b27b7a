//go:build unix

package manifest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests in this file feed Discover, Scan, Rewrite and EditFile input written to hurt:
// alias bombs, deep nesting, broken encodings, oversized files, links out of the
// directory, odd names, unreadable directories, files that change between two steps.
// Each must end in a source, a skip or a problem with a reason: never a crash, a hang,
// a read or a write outside the directory, or a half-written file. Small fixtures are in
// testdata/hostile; large inputs are generated in temporary directories. The file is
// Unix-only because links, modes, named pipes and file-size limits are.

// hangLimit is how long one step may run before it counts as hung: far beyond what any
// input here costs when it is handled (a second at most), far below what an exponential
// or quadratic blow-up takes. It detects hangs; it measures nothing.
const hangLimit = 30 * time.Second

// bounded runs f, failing the test if it does not return within hangLimit, and returns
// the bytes allocated meanwhile. Callers must not run in parallel with other tests, so
// that the allocations are f's.
func bounded(t *testing.T, what string, f func()) (allocated uint64) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(hangLimit):
		t.Fatalf("%s did not finish within %v: it hangs or blows up", what, hangLimit)
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// discoverBounded runs Discover on root and fails the test on an error, a hang, or more
// than maxAlloc bytes allocated.
func discoverBounded(t *testing.T, ctx context.Context, root string, opts Options, maxAlloc uint64) *Result {
	t.Helper()
	var res *Result
	var err error
	alloc := bounded(t, "Discover("+root+")", func() { res, err = Discover(ctx, root, opts) })
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	t.Logf("Discover allocated %.1f MiB", float64(alloc)/mib)
	if alloc > maxAlloc {
		t.Errorf("Discover allocated %d MiB, want at most %d MiB: something was expanded or read whole", alloc>>20, maxAlloc>>20)
	}
	return res
}

const mib = 1 << 20

// application returns the Application of testdata/hostile/application.yaml named name.
func application(t testing.TB, name string) string {
	t.Helper()
	return strings.ReplaceAll(applicationTemplate(t), "NAME", name)
}

func applicationTemplate(t testing.TB) string {
	t.Helper()
	tmpl := string(readFile(t, filepath.Join("testdata", "hostile", "application.yaml")))
	_, body, _ := strings.Cut(tmpl, "\n") // the first line is the comment about NAME
	return body
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t testing.TB, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func copyFixture(t testing.TB, dir string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(filepath.Join("testdata", "hostile", dir))); err != nil {
		t.Fatal(err)
	}
	return root
}

func runningAsRoot() bool { return os.Geteuid() == 0 }

// sourceOf returns the source of chart ghcr.io/acme/charts/<chart>, failing if there is
// not exactly one.
func sourceOf(t *testing.T, sources []Source, chart string) Source {
	t.Helper()
	var found []Source
	for _, s := range sources {
		if s.Chart == "ghcr.io/acme/charts/"+chart {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d sources of chart %s, want 1 (all: %v)", len(found), chart, chartsOf(sources))
	}
	return found[0]
}

func chartsOf(sources []Source) []string {
	var out []string
	for _, s := range sources {
		out = append(out, s.File+":"+itoa(s.Location.Line)+" "+s.Chart)
	}
	return out
}

// editTo builds the edit of one editable source to version.
func editTo(t *testing.T, s Source, version string) Edit {
	t.Helper()
	if s.Location.Problem != "" {
		t.Fatalf("source %s (line %d) is not editable: %s", s.Chart, s.Location.Line, s.Location.Problem)
	}
	return Edit{Location: s.Location, Old: s.Revision, New: version}
}

func TestAliasBombsAreReportedWithoutBeingExpanded(t *testing.T) {
	root := copyFixture(t, "aliases")
	// Expanding the bombs would take gigabytes; reading the fixtures takes kilobytes.
	res := discoverBounded(t, context.Background(), root, Options{Concurrency: 2}, 64*mib)

	compareProblems(t, res.Problems, []wantProblem{
		{File: "bombs.yaml", Line: 4, Message: "the YAML aliases and merge keys of this Application expand to more than chart-promoter reads in one file"},
		{File: "bombs.yaml", Line: 32, Message: "the YAML aliases and merge keys of this Application expand to more than chart-promoter reads in one file"},
	})
	compareSkipped(t, res.Skipped, nil)
	for _, c := range []struct {
		chart, revision, problem string
	}{
		// Within bounds, every alias is reported where it makes a value uneditable …
		{"aliased-revision", "revision", "the value is an alias (*revision)"},
		{"laughs-as-revision", "l6", "the value is an alias (*l6)"},
		{"shared", "2.0.0", "shared with other places through a YAML anchor, alias or merge key"},
		// … and an alias elsewhere in a source leaves its own targetRevision editable.
		{"values-with-laughs", "2.0.0", ""},
		{"web", "3.0.0", ""},
		// A matrix generator that contains itself, and nine aliases of one list generator:
		// the generators as written hold one element each.
		{"loop", "1.0.0", ""},
		{"fanout", "2.0.0", ""},
	} {
		s := sourceOf(t, res.Sources, c.chart)
		if s.Revision != c.revision {
			t.Errorf("%s: revision %q, want %q", c.chart, s.Revision, c.revision)
		}
		checkSubstring(t, c.chart+" Location.Problem", s.Location.Problem, c.problem, c.problem != "")
	}
	if n := len(res.Sources); n != 7 {
		t.Errorf("%d sources, want 7: %v", n, chartsOf(res.Sources))
	}

	t.Run("the other sources of the file are edited, and the check parses no alias twice", func(t *testing.T) {
		path := filepath.Join(root, "bombs.yaml")
		before := readFile(t, path)
		edits := []Edit{
			editTo(t, sourceOf(t, res.Sources, "values-with-laughs"), "2.1.0"),
			editTo(t, sourceOf(t, res.Sources, "web"), "3.1.0"),
		}
		var changed bool
		var err error
		alloc := bounded(t, "EditFile", func() { changed, err = EditFile(path, res.Files["bombs.yaml"], edits) })
		if err != nil || !changed {
			t.Fatalf("EditFile = %v, %v; want true, nil", changed, err)
		}
		if alloc > 16*mib {
			t.Errorf("EditFile allocated %d MiB, want at most 16 MiB: the comparison expanded an alias", alloc>>20)
		}
		after := readFile(t, path)
		assertOnlyVersionLinesChanged(t, before, after, edits)
		again := Scan("bombs.yaml", after)
		if got := sourceOf(t, again.sources, "values-with-laughs").Revision; got != "2.1.0" {
			t.Errorf("after the edit values-with-laughs reads %q, want 2.1.0", got)
		}
		if got := sourceOf(t, again.sources, "web").Revision; got != "3.1.0" {
			t.Errorf("after the edit web reads %q, want 3.1.0", got)
		}
	})

	t.Run("an edit of an aliased value is refused before anything is parsed", func(t *testing.T) {
		data := readFile(t, filepath.Join(root, "bombs.yaml"))
		s := sourceOf(t, res.Sources, "laughs-as-revision")
		_, err := Rewrite(data, []Edit{{Location: s.Location, Old: s.Revision, New: "9.9.9"}})
		var refused *RefusedError
		if !errors.As(err, &refused) {
			t.Fatalf("Rewrite of an alias = %v, want a *RefusedError", err)
		}
	})
}

// amplifier is a generated file whose few bytes would make discovery do a great deal of
// work if the same nodes were read once for every place that names them.
type amplifier struct {
	about string
	data  func() []byte
	// line and problem are the one problem wanted (problem a substring), "" for none;
	// sources is the count of sources wanted.
	line    int
	problem string
	sources int
}

func amplifiers() []amplifier {
	header := "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: amplifier\nspec:\n"
	return []amplifier{{
		about: "two thousand sources that merge a mapping of twenty thousand keys thirty-one times",
		data: func() []byte {
			var b strings.Builder
			b.WriteString(header + "  big: &big\n")
			for i := range 20000 {
				fmt.Fprintf(&b, "    k%d: v\n", i)
			}
			b.WriteString("  merged: &merged {<<: [" + strings.TrimSuffix(strings.Repeat("*big, ", 31), ", ") + "]}\n  sources:\n")
			b.WriteString(strings.Repeat("  - *merged\n", 2000))
			return []byte(b.String())
		},
		line:    1,
		problem: "the YAML aliases and merge keys of this Application expand",
	}, {
		about: "ten thousand aliases of a source whose targetRevision carries a comment of a megabyte",
		data: func() []byte {
			var b strings.Builder
			b.WriteString(header + "  one: &one\n    repoURL: ghcr.io/acme/charts\n    chart: commented\n")
			b.WriteString(strings.Repeat("    # a comment line the directive reader would split again for every alias\n", 1<<20/76))
			b.WriteString("    targetRevision: 1.0.0\n  sources:\n")
			b.WriteString(strings.Repeat("  - *one\n", 10000))
			return []byte(b.String())
		},
		line:    1,
		problem: "the YAML aliases and merge keys of this Application expand",
	}, {
		about: "a List of twenty thousand Applications that alias metadata and a destination of a megabyte each",
		data: func() []byte {
			var b strings.Builder
			b.WriteString("apiVersion: v1\nkind: List\nshared:\n  meta: &meta\n    name: x\n    annotations:\n")
			b.WriteString("      chart-promoter.io/ignore: \"" + strings.Repeat(" ", 1<<20) + "\"\n")
			b.WriteString("  spec: &spec\n    destination: {namespace: ns, name: \"" + strings.Repeat("x", 1<<20) + "\"}\nitems:\n")
			b.WriteString(strings.Repeat("- {apiVersion: argoproj.io/v1alpha1, kind: Application, metadata: *meta, spec: *spec}\n", 20000))
			return []byte(b.String())
		},
		line:    1,
		problem: "the YAML aliases and merge keys of this List expand",
	}, {
		about: "an ApplicationSet of a thousand list elements and a thousand template sources",
		data: func() []byte {
			var b strings.Builder
			b.WriteString("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: product}\nspec:\n  generators:\n  - list:\n      elements:\n")
			for i := range 1000 {
				fmt.Fprintf(&b, "      - {v: 1.0.%d}\n", i)
			}
			b.WriteString("  template:\n    metadata: {name: product}\n    spec:\n      sources:\n")
			for i := range 1000 {
				fmt.Fprintf(&b, "      - {repoURL: ghcr.io/acme/charts, chart: c%d, targetRevision: '{{v}}'}\n", i)
			}
			return []byte(b.String())
		},
		line:    6, // the generators
		problem: "ApplicationSet product: its 1000 list-generator elements times its template's sources come to more than",
	}, {
		about: "a List of 25,000 Applications written on one line of 4 MB",
		data: func() []byte {
			var b strings.Builder
			b.WriteString("{apiVersion: v1, kind: List, items: [")
			for i := range 25000 {
				fmt.Fprintf(&b, "{apiVersion: argoproj.io/v1alpha1, kind: Application, metadata: {name: a%d}, spec: {source: {repoURL: ghcr.io/acme/charts, chart: c%d, targetRevision: 1.0.0}}}, ", i, i)
			}
			b.WriteString("]}\n")
			return []byte(b.String())
		},
		sources: 25000,
	}}
}

func TestAmplifyingFilesCostWhatTheirBytesCost(t *testing.T) {
	for _, a := range amplifiers() {
		t.Run(a.about, func(t *testing.T) {
			data := a.data()
			var r FileScan
			alloc := bounded(t, "Scan", func() { r = Scan("amplifier.yaml", data) })
			t.Logf("Scan of %d KiB allocated %.1f MiB", len(data)>>10, float64(alloc)/mib)
			if limit := uint64(256*mib + 64*len(data)); alloc > limit {
				t.Errorf("Scan of %d KiB allocated %d MiB, want at most %d MiB", len(data)>>10, alloc>>20, limit>>20)
			}
			var want []wantProblem
			if a.problem != "" {
				want = []wantProblem{{File: "amplifier.yaml", Line: a.line, Message: a.problem}}
			}
			compareProblems(t, r.problems, want)
			if len(r.sources) != a.sources {
				t.Errorf("%d sources, want %d", len(r.sources), a.sources)
			}
			for _, s := range r.sources {
				checkLocationSpellsRevision(t, data, s)
			}
		})
	}
}

// nested builds an Application whose spec.source opens depth levels with open and closes
// them with closing, then a second document with an editable source. The key source is
// on line 6; flow collections start there, block collections on the next line.
func nested(depth int, open, closing, leaf string) []byte {
	value := strings.Repeat(open, depth) + leaf + strings.Repeat(closing, depth)
	if open == "- " || open == "? " {
		value = "\n    " + value
	}
	return []byte("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: deep\nspec:\n  source: " + value + "\n---\n" +
		"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\nspec:\n  source:\n    repoURL: ghcr.io/acme/charts\n    chart: web\n    targetRevision: 1.0.0\n")
}

// blockNested builds an Application whose spec.source nests depth block mappings by
// indentation alone, one space deeper each line.
func blockNested(depth int) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: deep\nspec:\n  source:\n")
	for i := range depth {
		b.WriteString(strings.Repeat(" ", 4+i) + "k:\n")
	}
	b.WriteString(strings.Repeat(" ", 4+depth) + "leaf\n")
	return []byte(b.String())
}

func TestDeepNestingIsAProblemWithALineNeverAStackOverflow(t *testing.T) {
	const limit = 10000 // the parser's limit on flow and on block levels
	for _, c := range []struct {
		about string
		data  []byte
		// line and message are the problem wanted, 0 and "" for none; editable says the
		// second document's source can be rewritten.
		line     int
		message  string
		editable bool
	}{
		{"10,000 nested flow sequences, the parser's limit, are read", nested(limit, "[", "]", ""), 0, "", true},
		{"10,000 nested flow mappings are read", nested(limit, "{a: ", "}", "b"), 0, "", true},
		{"10,000 flow sequences inside 9,990 block sequences are read", nested(limit-10, "- ", "", strings.Repeat("[", limit)+strings.Repeat("]", limit)), 0, "", true},
		{"10,001 nested flow sequences are a problem on their line", nested(limit+1, "[", "]", ""), 6, "exceeded max depth of 10000", false},
		{"10,001 nested flow mappings are a problem on their line", nested(limit+1, "{a: ", "}", "b"), 6, "exceeded max depth of 10000", false},
		{"a million opening brackets are a problem on their line", nested(1_000_000, "[", "", ""), 6, "exceeded max depth of 10000", false},
		{"10,001 block sequences on one line are a problem on the line of their key", nested(limit+1, "- ", "", "x"), 6, "exceeded max depth of 10000", false},
		{"10,001 explicit keys on one line are a problem on the line of their key", nested(limit+1, "? ", "", "x"), 6, "exceeded max depth of 10000", false},
		{"10,001 nested sequences on the first line are a problem on line 1", []byte("argoproj.io/v1alpha1: " + strings.Repeat("[", limit+1) + "\n"), 1, "exceeded max depth of 10000", false},
		{"block mappings nested by indentation as deep as 8 MiB allows are read", blockNested(3990), 0, "", false},
	} {
		t.Run(c.about, func(t *testing.T) {
			var r FileScan
			bounded(t, "Scan", func() { r = Scan("deep.yaml", c.data) })
			var want []wantProblem
			if c.message != "" {
				want = []wantProblem{{File: "deep.yaml", Line: c.line, Message: c.message}}
			}
			compareProblems(t, r.problems, want)
			compareSkipped(t, r.skipped, nil)
			if !c.editable {
				return
			}
			edit := editTo(t, sourceOf(t, r.sources, "web"), "1.1.0")
			var out []byte
			var err error
			bounded(t, "Rewrite", func() { out, err = Rewrite(c.data, []Edit{edit}) })
			if err != nil {
				t.Fatalf("Rewrite of the other document: %v", err)
			}
			assertOnlyVersionLinesChanged(t, c.data, out, []Edit{edit})
		})
	}
}

func TestBrokenEncodingsAreSkippedOrReported(t *testing.T) {
	root := copyFixture(t, "encodings")
	res := discoverBounded(t, context.Background(), root, Options{}, 16*mib)
	compareSources(t, res.Sources, []wantSource{{
		File: "bom-then-application.yaml", Line: 14, Column: 21, Kind: "Application", Application: "bom",
		Chart: "ghcr.io/acme/charts/enc", Form: "helm-oci", Revision: "1.0.0", Path: "spec.source.targetRevision",
	}})
	// An empty file, a byte order mark alone and "---" separators hold no document:
	// nothing to report. "..." alone is refused by the parser, in a file that is not an
	// Argo CD manifest.
	compareSkipped(t, res.Skipped, []wantSkip{
		{File: "document-end-only.yaml", Line: 1, Reason: "not an Argo CD manifest: it does not parse as YAML"},
		{File: "utf16be-bom.yaml", Line: 1, Reason: "not an Argo CD manifest: it is encoded in UTF-16BE, not UTF-8"},
	})
	compareProblems(t, res.Problems, []wantProblem{
		{File: "invalid-utf8.yaml", Line: 9, Message: "looks like an Argo CD manifest but is not valid UTF-8"},
		{File: "nul.yaml", Line: 10, Message: "control characters are not allowed"},
		{File: "utf16le-bom.yaml", Line: 1, Message: "looks like an Argo CD manifest but is encoded in UTF-16LE, not UTF-8 (save it as UTF-8)"},
	})
	compareFiles(t, root, res.Files, []string{"bom-then-application.yaml"})
}

// manyApplications returns Applications app-0, app-1, … as one multi-document file of
// at least size bytes.
func manyApplications(t testing.TB, size int) []byte {
	tmpl := applicationTemplate(t)
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteString("---\n")
		}
		b.WriteString(strings.ReplaceAll(tmpl, "NAME", fmt.Sprintf("app-%d", i)))
	}
	return b.Bytes()
}

func TestOversizedFilesAreSkippedWithoutBeingReadWhole(t *testing.T) {
	t.Run("a file of 50 MB is skipped after reading one byte past the limit", func(t *testing.T) {
		root := t.TempDir()
		writeFile(t, filepath.Join(root, "huge.yaml"), manyApplications(t, 50_000_000))
		// Reading 50 MB would allocate at least 50 MB; reading 8 MiB and a byte, about
		// twice that while the buffer grows.
		res := discoverBounded(t, context.Background(), root, Options{}, 40*mib)
		compareSkipped(t, res.Skipped, []wantSkip{{File: "huge.yaml", Reason: "larger than 8 MiB: not read"}})
		compareSources(t, res.Sources, nil)
		compareProblems(t, res.Problems, nil)
	})

	t.Run("a sparse file of a tebibyte is skipped as fast", func(t *testing.T) {
		root := t.TempDir()
		f, err := os.Create(filepath.Join(root, "sparse.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(1 << 40); err != nil {
			t.Skipf("this file system cannot hold a sparse file of 1 TiB: %v", err)
		}
		res := discoverBounded(t, context.Background(), root, Options{}, 40*mib)
		compareSkipped(t, res.Skipped, []wantSkip{{File: "sparse.yaml", Reason: "larger than 8 MiB: not read"}})
	})

	t.Run("a valid file just under 8 MiB is read whole", func(t *testing.T) {
		if testing.Short() {
			t.Skip("-short: parsing 8 MiB three times takes seconds")
		}
		root := t.TempDir()
		data := manyApplications(t, DefaultMaxFileSize-100_000)
		if len(data) > DefaultMaxFileSize {
			t.Fatalf("generated %d bytes, more than the limit", len(data))
		}
		writeFile(t, filepath.Join(root, "fleet.yaml"), data)
		apps := bytes.Count(data, []byte("kind: Application\n"))
		res := discoverBounded(t, context.Background(), root, Options{}, 1024*mib)
		if len(res.Sources) != apps {
			t.Fatalf("%d sources in %d Applications", len(res.Sources), apps)
		}
		compareSkipped(t, res.Skipped, nil)
		compareProblems(t, res.Problems, nil)
		last := res.Sources[len(res.Sources)-1]
		path := filepath.Join(root, "fleet.yaml")
		edit := editTo(t, last, "1.0.1")
		var changed bool
		var err error
		bounded(t, "EditFile", func() { changed, err = EditFile(path, res.Files["fleet.yaml"], []Edit{edit}) })
		if err != nil || !changed {
			t.Fatalf("EditFile of the last Application = %v, %v", changed, err)
		}
		after := readFile(t, path)
		if len(after) != len(data) || !bytes.Equal(after[:last.Location.Offset], data[:last.Location.Offset]) {
			t.Errorf("the edit changed more than the last value (%d bytes before, %d after)", len(data), len(after))
		}
	})

	t.Run("the limit is exact: a file of the limit is read, one byte more is not", func(t *testing.T) {
		root := t.TempDir()
		data := manyApplications(t, 64<<10)
		limit := int64(len(data))
		writeFile(t, filepath.Join(root, "at-limit.yaml"), data)
		writeFile(t, filepath.Join(root, "over-limit.yaml"), append(append([]byte(nil), data...), '\n'))
		res := discoverBounded(t, context.Background(), root, Options{MaxFileSize: limit}, 64*mib)
		compareSkipped(t, res.Skipped, []wantSkip{{File: "over-limit.yaml", Reason: fmt.Sprintf("larger than %d bytes: not read", limit)}})
		for _, s := range res.Sources {
			if s.File != "at-limit.yaml" {
				t.Fatalf("a source in %s", s.File)
			}
		}
		if want := bytes.Count(data, []byte("kind: Application\n")); len(res.Sources) != want {
			t.Errorf("%d sources in the file at the limit, want %d", len(res.Sources), want)
		}
	})
}

// mkfifo makes a named pipe: whoever opens it to read waits for a writer, so a test that
// finishes proves the pipe was never opened.
func mkfifo(t testing.TB, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("cannot make a named pipe: %v", err)
	}
}

// outsideTree makes a directory next to the scanned one, with an Application file, a
// directory of them, and a named pipe, all named "outside".
func outsideTree(t *testing.T) (dir string, app []byte) {
	dir = t.TempDir()
	app = []byte(application(t, "outside"))
	writeFile(t, filepath.Join(dir, "outside.yaml"), app)
	writeFile(t, filepath.Join(dir, "outside-dir", "app.yaml"), app)
	mkfifo(t, filepath.Join(dir, "pipe.yaml"))
	return dir, app
}

// assertNothingOutside fails if a result names a file outside the tree or the outside
// chart, or if the outside files changed.
func assertNothingOutside(t *testing.T, res *Result, outside string, app []byte) {
	t.Helper()
	for _, s := range res.Sources {
		if strings.HasPrefix(s.File, "..") || strings.Contains(s.Chart, "outside") {
			t.Errorf("a source from outside the directory: %s %s", s.File, s.Chart)
		}
	}
	for f := range res.Files {
		if strings.HasPrefix(f, "..") || filepath.IsAbs(f) {
			t.Errorf("a digest of a file outside the directory: %s", f)
		}
	}
	for _, f := range []string{"outside.yaml", filepath.Join("outside-dir", "app.yaml")} {
		if got := readFile(t, filepath.Join(outside, f)); !bytes.Equal(got, app) {
			t.Errorf("%s outside the directory changed", f)
		}
	}
}

func TestSymbolicLinksAreNeverFollowed(t *testing.T) {
	outside, app := outsideTree(t)
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "apps", "real.yaml"), []byte(application(t, "real")))
	links := map[string]string{
		"apps/to-outside-file.yaml": filepath.Join(outside, "outside.yaml"),
		"apps/to-outside-dir.yaml":  filepath.Join(outside, "outside-dir"),
		"apps/to-outside-dir":       filepath.Join(outside, "outside-dir"),
		"apps/to-outside-pipe.yaml": filepath.Join(outside, "pipe.yaml"),
		"apps/relative-out.yaml":    "../../" + filepath.Base(outside) + "/outside.yaml",
		"apps/loop.yaml":            "loop.yaml",
		"apps/loop-a.yaml":          "loop-b.yaml",
		"apps/loop-b.yaml":          "loop-a.yaml",
		"apps/to-inside.yaml":       "real.yaml",
		"apps/dangling.yaml":        "missing.yaml",
		"linked-apps":               "apps",
	}
	var want []wantSkip
	for link, target := range links {
		symlink(t, target, filepath.Join(root, filepath.FromSlash(link)))
		if strings.HasSuffix(link, ".yaml") {
			want = append(want, wantSkip{File: link, Reason: "symbolic link: not followed"})
		}
	}
	sortByFileLine(want, func(s wantSkip) (string, int) { return s.File, s.Line })
	if !runningAsRoot() {
		// Make the outside unreadable as well, where permissions bind.
		if err := os.Chmod(filepath.Join(outside, "outside.yaml"), 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(filepath.Join(outside, "outside.yaml"), 0o644) })
	}

	// A link to the pipe that was followed would never return.
	res := discoverBounded(t, context.Background(), root, Options{Concurrency: 4}, 16*mib)
	if !runningAsRoot() {
		os.Chmod(filepath.Join(outside, "outside.yaml"), 0o644)
	}
	compareSkipped(t, res.Skipped, want) // directory links ("apps/to-outside-dir", "linked-apps") are not entered, silently
	compareProblems(t, res.Problems, nil)
	if len(res.Sources) != 1 || res.Sources[0].File != "apps/real.yaml" {
		t.Errorf("sources %v, want only apps/real.yaml", chartsOf(res.Sources))
	}
	assertNothingOutside(t, res, outside, app)

	t.Run("EditFile refuses a path that is a link", func(t *testing.T) {
		edits := editsFor(t, scanSources("outside.yaml", app), []string{"9.9.9"})
		changed, err := EditFile(filepath.Join(root, "apps", "to-outside-file.yaml"), sha256.Sum256(app), edits)
		if err == nil || changed || !strings.Contains(err.Error(), "is not a regular file") {
			t.Fatalf("EditFile through a link = %v, %v; want a refusal", changed, err)
		}
		assertNothingOutside(t, res, outside, app)
	})

	t.Run("EditFile refuses a file that became a link to identical bytes after planning", func(t *testing.T) {
		real := filepath.Join(root, "apps", "real.yaml")
		data := readFile(t, real)
		twin := filepath.Join(outside, "twin.yaml")
		writeFile(t, twin, data) // same bytes, so the digest check alone would pass
		edit := editTo(t, res.Sources[0], "1.0.1")
		if err := os.Remove(real); err != nil {
			t.Fatal(err)
		}
		symlink(t, twin, real)
		changed, err := EditFile(real, res.Files["apps/real.yaml"], []Edit{edit})
		if err == nil || changed {
			t.Fatalf("EditFile of a file swapped for a link = %v, %v; want a refusal", changed, err)
		}
		if got := readFile(t, twin); !bytes.Equal(got, data) {
			t.Error("EditFile wrote through the link to the file outside")
		}
		if info, err := os.Lstat(real); err != nil || info.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("the link was replaced: %v, %v", info, err)
		}
		assertNoTemporaryFiles(t, filepath.Dir(real))
	})
}

// assertNoTemporaryFiles fails if dir holds one of EditFile's temporary files.
func assertNoTemporaryFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".chart-promoter-") {
			t.Errorf("a temporary file was left behind: %s", e.Name())
		}
	}
}

// walkHook is a context whose Err runs a change to the tree on its nth call. Discover
// calls Err once for every entry it walks and, for a file it will read, once more just
// before it hands the file to a reader: the hook lets a test change the tree at an exact
// point of a walk, such as between a file's listing and its read. Discover calls Err from
// one goroutine only (the walk's).
type walkHook struct {
	context.Context
	calls, at int
	change    func() error
	err       error // what change returned
}

func (h *walkHook) Err() error {
	h.calls++
	if h.calls == h.at {
		h.err = h.change()
	}
	return h.Context.Err()
}

// beforeReading returns a hook that makes change once the walk has listed the nth file of
// a directory of files only (1-based, in walk order) and before that file is read: the
// root's entry, then two calls for each file before it.
func beforeReading(n int, change func() error) *walkHook {
	return &walkHook{Context: context.Background(), at: 1 + 2*n, change: change}
}

func TestFilesThatChangeDuringDiscoveryAreProblemsAndTheWalkGoesOn(t *testing.T) {
	outside, app := outsideTree(t)
	for _, c := range []struct {
		about   string
		change  func(victim string) error
		problem string
	}{{
		about:   "a file removed between the walk and its read",
		change:  os.Remove,
		problem: "cannot read: lstat ",
	}, {
		about: "a file replaced by a link out of the directory",
		change: func(victim string) error {
			return errors.Join(os.Remove(victim), os.Symlink(filepath.Join(outside, "outside.yaml"), victim))
		},
		problem: "is not a regular file but a symbolic link",
	}, {
		about: "a file replaced by a named pipe, whose open would wait for ever",
		change: func(victim string) error {
			return errors.Join(os.Remove(victim), syscall.Mkfifo(victim, 0o644))
		},
		problem: "is not a regular file but a named pipe",
	}, {
		about: "a file replaced by a directory",
		change: func(victim string) error {
			return errors.Join(os.Remove(victim), os.Mkdir(victim, 0o755))
		},
		problem: "is not a regular file but a directory",
	}} {
		t.Run(c.about, func(t *testing.T) {
			root := t.TempDir()
			for _, name := range []string{"a", "b", "c"} {
				writeFile(t, filepath.Join(root, name+".yaml"), []byte(application(t, name)))
			}
			victim := filepath.Join(root, "b.yaml")
			hook := beforeReading(2, func() error { return c.change(victim) })
			res := discoverBounded(t, hook, root, Options{Concurrency: 1}, 16*mib)
			if hook.err != nil {
				t.Fatalf("changing the tree: %v", hook.err)
			}
			if hook.calls < hook.at {
				t.Fatalf("the hook never ran (%d calls): Discover no longer checks its context per entry; find another seam", hook.calls)
			}
			compareProblems(t, res.Problems, []wantProblem{{File: "b.yaml", Message: c.problem}})
			if got := chartsOf(res.Sources); len(got) != 2 || res.Sources[0].File != "a.yaml" || res.Sources[1].File != "c.yaml" {
				t.Errorf("sources %v, want those of a.yaml and c.yaml", got)
			}
			assertNothingOutside(t, res, outside, app)
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestUnreadableDirectoriesAndFilesAreProblemsAndTheWalkGoesOn(t *testing.T) {
	tree := func(t *testing.T) string {
		root := t.TempDir()
		for _, name := range []string{"a.yaml", "locked/b.yaml", "z.yaml"} {
			writeFile(t, filepath.Join(root, name), []byte(application(t, strings.TrimSuffix(filepath.Base(name), ".yaml"))))
		}
		return root
	}
	check := func(t *testing.T, res *Result, problem wantProblem) {
		t.Helper()
		compareProblems(t, res.Problems, []wantProblem{problem})
		if got := chartsOf(res.Sources); len(got) != 2 || res.Sources[0].File != "a.yaml" || res.Sources[1].File != "z.yaml" {
			t.Errorf("sources %v, want those of a.yaml and z.yaml", got)
		}
	}

	t.Run("a directory without permissions", func(t *testing.T) {
		if runningAsRoot() {
			t.Skip("running as root, whom permissions do not stop; 'a directory removed before it is listed' covers a directory that cannot be read")
		}
		root := tree(t)
		locked := filepath.Join(root, "locked")
		must(t, os.Chmod(locked, 0))
		t.Cleanup(func() { os.Chmod(locked, 0o755) })
		res := discoverBounded(t, context.Background(), root, Options{}, 16*mib)
		check(t, res, wantProblem{File: "locked", Message: "cannot read: open " + locked + ": permission denied"})
	})

	t.Run("a file without permissions", func(t *testing.T) {
		if runningAsRoot() {
			t.Skip("running as root, whom permissions do not stop; TestFilesThatChangeDuringDiscoveryAreProblemsAndTheWalkGoesOn covers files that cannot be read")
		}
		root := t.TempDir()
		for _, name := range []string{"a.yaml", "m.yaml", "z.yaml"} {
			writeFile(t, filepath.Join(root, name), []byte(application(t, strings.TrimSuffix(name, ".yaml"))))
		}
		must(t, os.Chmod(filepath.Join(root, "m.yaml"), 0))
		res := discoverBounded(t, context.Background(), root, Options{}, 16*mib)
		check(t, res, wantProblem{File: "m.yaml", Message: "permission denied"})
	})

	t.Run("a directory removed before it is listed", func(t *testing.T) {
		root := tree(t)
		locked := filepath.Join(root, "locked")
		// Calls in walk order: the root (1), a.yaml (2) and its hand-off to a reader (3),
		// locked (4): the change runs as the walk enters locked, before it lists it.
		hook := &walkHook{Context: context.Background(), at: 4, change: func() error { return os.RemoveAll(locked) }}
		res := discoverBounded(t, hook, root, Options{}, 16*mib)
		if hook.err != nil || hook.calls < hook.at {
			t.Fatalf("the hook did not remove the directory: %d calls, %v", hook.calls, hook.err)
		}
		check(t, res, wantProblem{File: "locked", Message: "cannot read: open " + locked + ": no such file or directory"})
	})
}

// oddNames are file names that path handling gets wrong: dots that are not "..", spaces,
// characters outside ASCII, glob characters, a backslash and a newline.
var oddNames = []string{
	"..foo/app.yaml",
	"foo../app.yaml",
	"..app.yaml",
	"app...yaml",
	"...yaml",
	"with space/app name.yaml",
	"ünïcödé/アプリ.yaml",
	"[glob]*?.yaml",
	`back\slash.yaml`,
	"-dash.yaml",
	"new\nline.yaml",
	"new\nline/app.yaml",
}

func TestOddNamesAreReportedAsTheyAreAndEditedWhereTheyAre(t *testing.T) {
	root := t.TempDir()
	for i, name := range oddNames {
		writeFile(t, filepath.Join(root, filepath.FromSlash(name)), []byte(application(t, fmt.Sprintf("odd-%d", i))))
	}
	res := discoverBounded(t, context.Background(), root, Options{}, 16*mib)
	compareProblems(t, res.Problems, nil)
	compareSkipped(t, res.Skipped, nil)
	byFile := map[string]Source{}
	for _, s := range res.Sources {
		byFile[s.File] = s
	}
	for i, name := range oddNames {
		if s, ok := byFile[name]; !ok || s.Chart != fmt.Sprintf("ghcr.io/acme/charts/odd-%d", i) {
			t.Errorf("no source of odd-%d reported in %q (sources in %q)", i, name, keys(byFile))
		}
	}

	t.Run("each edit lands in its own file", func(t *testing.T) {
		for i, name := range oddNames {
			before := map[string][]byte{}
			for _, other := range oddNames {
				before[other] = readFile(t, filepath.Join(root, filepath.FromSlash(other)))
			}
			path := filepath.Join(root, filepath.FromSlash(name))
			changed, err := EditFile(path, res.Files[name], []Edit{editTo(t, byFile[name], "1.0.1")})
			if err != nil || !changed {
				t.Fatalf("EditFile(%q) = %v, %v", name, changed, err)
			}
			for _, other := range oddNames {
				after := readFile(t, filepath.Join(root, filepath.FromSlash(other)))
				if changedNow := !bytes.Equal(before[other], after); changedNow != (other == name) {
					t.Errorf("editing odd-%d (%q) changed %q: %v", i, name, other, changedNow)
				}
			}
			assertNoTemporaryFiles(t, filepath.Dir(path))
		}
	})

	t.Run("a root spelled with .. segments reports the same relative paths", func(t *testing.T) {
		cwd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		relative, err := filepath.Rel(cwd, root)
		if err != nil || !strings.HasPrefix(relative, "..") {
			t.Skipf("the temporary directory is not reachable from %s through ..: %q, %v", cwd, relative, err)
		}
		clean := discoverBounded(t, context.Background(), root, Options{}, 16*mib)
		sep := string(filepath.Separator)
		for _, spelled := range []string{
			root + sep + "..foo" + sep + "..",
			root + sep + "." + sep + "with space" + sep + ".." + sep,
			relative,
			relative + sep + "foo.." + sep + "..",
		} {
			got := discoverBounded(t, context.Background(), spelled, Options{}, 16*mib)
			if !reflect.DeepEqual(got.Sources, clean.Sources) || !reflect.DeepEqual(got.Files, clean.Files) ||
				!reflect.DeepEqual(got.Skipped, clean.Skipped) || !reflect.DeepEqual(got.Problems, clean.Problems) {
				t.Errorf("Discover(%q) differs from Discover(%q): files %q", spelled, root, keys(filesOf(got.Sources)))
			}
		}
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func filesOf(sources []Source) map[string]bool {
	out := map[string]bool{}
	for _, s := range sources {
		out[s.File] = true
	}
	return out
}

// hostileTree builds a tree of n files that mixes every kind of input of this file, and
// returns it with the Options to scan it with.
func hostileTree(t *testing.T, n int) (string, Options) {
	root := t.TempDir()
	outside, _ := outsideTree(t)
	var fixtures [][2]string // name, contents
	for _, dir := range []string{"aliases", "encodings"} {
		entries, err := os.ReadDir(filepath.Join("testdata", "hostile", dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			fixtures = append(fixtures, [2]string{e.Name(), string(readFile(t, filepath.Join("testdata", "hostile", dir, e.Name())))})
		}
	}
	generated := [][2]string{
		{"deep.yaml", string(nested(10001, "[", "]", ""))},
		{"deep-ok.yaml", string(nested(10000, "{a: ", "}", "b"))},
		{"oversized.yaml", string(manyApplications(t, 70<<10))},
		{"one-line.yaml", "{apiVersion: v1, kind: List, items: [" + strings.Repeat("{apiVersion: argoproj.io/v1alpha1, kind: Application, metadata: {name: l}, spec: {source: {repoURL: ghcr.io/acme/charts, chart: l, targetRevision: 1.0.0}}}, ", 200) + "]}\n"},
	}
	fixtures = append(fixtures, generated...)
	for i := 0; i < n; i++ {
		dir := filepath.Join(root, fmt.Sprintf("team-%02d", i%40))
		switch i % 10 {
		case 0, 1, 2, 3:
			writeFile(t, filepath.Join(dir, fmt.Sprintf("app-%d.yaml", i)), []byte(application(t, fmt.Sprintf("app-%d", i))))
		case 4, 5:
			f := fixtures[(i/10)%len(fixtures)]
			writeFile(t, filepath.Join(dir, fmt.Sprintf("%d-%s", i, f[0])), []byte(f[1]))
		case 6:
			name := oddNames[(i/10)%len(oddNames)]
			writeFile(t, filepath.Join(dir, fmt.Sprintf("%d", i), filepath.FromSlash(name)), []byte(application(t, fmt.Sprintf("odd-%d", i))))
		case 7:
			inside := filepath.Join("..", fmt.Sprintf("team-%02d", (i-7)%40), fmt.Sprintf("app-%d.yaml", i-7))
			targets := []string{filepath.Join(outside, "outside.yaml"), filepath.Join(outside, "pipe.yaml"), "self-loop.yaml", inside}
			link := filepath.Join(dir, fmt.Sprintf("link-%d.yaml", i))
			target := targets[(i/10)%len(targets)]
			if target == "self-loop.yaml" {
				target = filepath.Base(link)
			}
			symlink(t, target, link)
		case 8:
			// Lists of Applications and ApplicationSets with list generators.
			writeFile(t, filepath.Join(dir, fmt.Sprintf("set-%d.yaml", i)), readFile(t, filepath.Join("testdata", "discover", "applicationset-list-generator", "in", "appset.yaml")))
		case 9:
			name := filepath.Join(dir, fmt.Sprintf("locked-%d.yaml", i))
			writeFile(t, name, []byte(application(t, fmt.Sprintf("locked-%d", i))))
			if !runningAsRoot() {
				must(t, os.Chmod(name, 0))
			}
		}
	}
	return root, Options{MaxFileSize: 64 << 10}
}

func TestDiscoverGivesTheSameResultAtAnyConcurrency(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the tree of 2,000 files takes seconds to build and read twice")
	}
	root, opts := hostileTree(t, 2000)
	var results []*Result
	for _, workers := range []int{1, 8} {
		opts.Concurrency = workers
		results = append(results, discoverBounded(t, context.Background(), root, opts, 1024*mib))
	}
	one, eight := results[0], results[1]
	if len(one.Sources) < 800 || len(one.Skipped) < 100 || len(one.Problems) < 20 {
		t.Errorf("the tree yields %d sources, %d skips and %d problems: it is not the mix it should be", len(one.Sources), len(one.Skipped), len(one.Problems))
	}
	for _, c := range []struct {
		what     string
		one, eig any
	}{
		{"Sources", one.Sources, eight.Sources},
		{"Skipped", one.Skipped, eight.Skipped},
		{"Problems", one.Problems, eight.Problems},
		{"Files", one.Files, eight.Files},
	} {
		if !reflect.DeepEqual(c.one, c.eig) {
			t.Errorf("%s differ between 1 and 8 workers", c.what)
		}
	}
}

// readOnlyDir makes dir refuse new files, for root too where chattr can, and undoes it
// when the test ends.
func readOnlyDir(t *testing.T, dir string) {
	t.Helper()
	if !runningAsRoot() {
		must(t, os.Chmod(dir, 0o555))
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		return
	}
	out, err := exec.Command("chattr", "+i", dir).CombinedOutput()
	if err != nil {
		t.Skipf("running as root, whom a read-only mode does not stop, and chattr +i failed: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", dir).Run() })
}

// editWithFileSizeLimit runs EditFile on path in a child process (this test binary,
// started again) whose largest writable file is limit bytes, and returns what it said.
// A write past the limit fails with EFBIG: the Go runtime ignores SIGXFSZ.
func editWithFileSizeLimit(t *testing.T, limit int, path string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d:%s", fileSizeChildEnv, limit, path))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestEditFileLeavesTheFileWholeWhenTheWriteFails(t *testing.T) {
	// A file of about 64 KiB, so that a write can fail half-way.
	prepare := func(t *testing.T) (path string, data []byte, edit Edit) {
		dir := t.TempDir()
		path = filepath.Join(dir, "fleet.yaml")
		data = manyApplications(t, 64<<10)
		writeFile(t, path, data)
		must(t, os.Chmod(path, 0o640))
		sources := scanSources("fleet.yaml", data)
		return path, data, editTo(t, sources[len(sources)-1], "1.0.1")
	}
	check := func(t *testing.T, path string, data []byte, changed bool, err error) {
		t.Helper()
		if err == nil || changed {
			t.Fatalf("EditFile = %v, %v; want an error", changed, err)
		}
		if got := readFile(t, path); !bytes.Equal(got, data) {
			t.Errorf("the file changed at %s", firstDifference(got, data))
		}
		if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o640 {
			t.Errorf("the file's mode changed: %v, %v", info, err)
		}
		assertOnlyFile(t, path)
	}

	t.Run("the directory takes no new file", func(t *testing.T) {
		path, data, edit := prepare(t)
		readOnlyDir(t, filepath.Dir(path))
		changed, err := EditFile(path, sha256.Sum256(data), []Edit{edit})
		check(t, path, data, changed, err)
	})

	t.Run("the disk fills half-way through the write", func(t *testing.T) {
		path, data, _ := prepare(t) // the child makes the same edit: the last source to 1.0.1
		said := editWithFileSizeLimit(t, len(data)/2, path)
		if !strings.HasPrefix(said, "changed=false efbig=true ") {
			t.Errorf("EditFile in the child said %q, want no change and the write's EFBIG", said)
		}
		check(t, path, data, false, errors.New(said))
	})
}
