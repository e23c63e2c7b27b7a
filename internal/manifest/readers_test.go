package manifest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readTree discovers root the way a run does: every reader offered every file.
func readTree(t *testing.T, root string) *Result {
	t.Helper()
	res, err := Discover(context.Background(), root, Options{Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestReadersFindWhatEachFixtureExpects(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("testdata", "readers", "*", "want.json"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no reader fixtures under testdata/readers (err %v)", err)
	}
	for _, wantFile := range cases {
		dir := filepath.Dir(wantFile)
		want := readDiscoverCase(t, wantFile)
		t.Run(filepath.Base(dir)+": "+want.About, func(t *testing.T) {
			root := prepareTree(t, filepath.Join(dir, "in"), want)
			got := readTree(t, root)
			compareSources(t, got.Sources, want.Sources)
			compareSkipped(t, got.Skipped, want.Skipped)
			compareProblems(t, got.Problems, want.Problems)
			compareFiles(t, root, got.Files, want.Files)
		})
	}
}

// rewriteTime is the generated time the rewrite fixtures' Chart.lock files record.
var rewriteTime = time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)

// readerEdits turns "file:line version" lines into the edits of every file they touch,
// the way apply makes them: a kustomization's value alone, a chart's Chart.yaml and
// Chart.lock together.
func readerEdits(t *testing.T, root string, got *Result, lines []string) map[string][]Edit {
	t.Helper()
	byLine := map[string]Source{}
	for _, s := range got.Sources {
		byLine[s.File+":"+strconv.Itoa(s.Location.Line)] = s
	}
	edits := map[string][]Edit{}
	moves := map[string][]Move{}
	for _, l := range lines {
		at, to, _ := strings.Cut(l, " ")
		s, ok := byLine[at]
		if !ok {
			t.Fatalf("edit.txt: no source at %s", at)
		}
		if s.Location.Problem != "" {
			t.Fatalf("edit.txt: the source at %s cannot be edited: %s", at, s.Location.Problem)
		}
		if s.Form == HelmDependency {
			moves[s.File] = append(moves[s.File], Move{Source: s, To: to})
			continue
		}
		edits[s.File] = append(edits[s.File], Edit{Location: s.Location, Old: s.Revision, New: to})
	}
	for file, ms := range moves {
		chartYAML := readFile(t, filepath.Join(root, file))
		var lock []byte
		lockFile := ms[0].Source.Dependency.LockFile
		if lockFile != "" {
			lock = readFile(t, filepath.Join(root, lockFile))
		}
		chartEdits, lockEdits, err := DependencyEdits(chartYAML, lock, ms, rewriteTime)
		if err != nil {
			t.Fatalf("DependencyEdits(%s): %v", file, err)
		}
		edits[file] = chartEdits
		if lockFile != "" {
			edits[lockFile] = lockEdits
		}
	}
	return edits
}

func TestReadersRewriteProducesTheExpectedBytes(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "readers-rewrite", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures under testdata/readers-rewrite (err %v)", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var lines []string
			for _, l := range strings.Split(string(readFile(t, filepath.Join(dir, "edit.txt"))), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					lines = append(lines, l)
				}
			}
			for round, tree := range []string{"in", "want"} {
				root := t.TempDir()
				if err := os.CopyFS(root, os.DirFS(filepath.Join(dir, tree))); err != nil {
					t.Fatal(err)
				}
				got := readTree(t, root)
				if len(got.Problems) > 0 {
					t.Fatalf("%s: problems %v", tree, got.Problems)
				}
				for file, edits := range readerEdits(t, root, got, lines) {
					before := readFile(t, filepath.Join(root, file))
					after, err := Rewrite(before, edits)
					if err != nil {
						t.Fatalf("%s: Rewrite(%s): %v", tree, file, err)
					}
					want := readFile(t, filepath.Join(dir, "want", filepath.FromSlash(file)))
					if os.Getenv("CHART_PROMOTER_UPDATE_FIXTURES") != "" && round == 0 {
						writeFile(t, filepath.Join(dir, "want", filepath.FromSlash(file)), after)
						continue
					}
					if !bytes.Equal(after, want) {
						t.Errorf("%s: %s differs from want/%s at %s", tree, file, file, firstDifference(after, want))
					}
					if round == 0 {
						assertOnlyVersionLinesChanged(t, before, after, edits)
					}
				}
			}
		})
	}
}
