package manifest

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestCorpusOfRealKustomizationsAndChartsIsReadAndRewrittenByteExactly reads
// testdata/corpus: real-world kustomizations and umbrella charts, each with its origin in
// SOURCES.tsv. Every file gives the sources and skips SOURCES.tsv counts, with no problem;
// every Chart.lock's digest is the one Helm computes; and moving every source to a new
// version changes only version lines (and Chart.lock's digest and generated), in a result
// that reads back as the new versions with a lock still in step.
func TestCorpusOfRealKustomizationsAndChartsIsReadAndRewrittenByteExactly(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "corpus", "SOURCES.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma, r.LazyQuotes = '\t', true
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range header {
		col[name] = i
	}
	rows := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows++
		dir := rec[col["dir"]]
		wantSources, _ := strconv.Atoi(rec[col["oci_sources"]])
		wantSkips, _ := strconv.Atoi(rec[col["skips"]])
		t.Run(dir, func(t *testing.T) {
			root := t.TempDir()
			if err := os.CopyFS(root, os.DirFS(filepath.Join("testdata", "corpus", dir))); err != nil {
				t.Fatal(err)
			}
			got := readTree(t, root)
			if len(got.Problems) > 0 {
				t.Fatalf("problems: %v", got.Problems)
			}
			if len(got.Sources) != wantSources || len(got.Skipped) != wantSkips {
				t.Fatalf("%d sources and %d skips (%v), SOURCES.tsv says %d and %d", len(got.Sources), len(got.Skipped), got.Skipped, wantSources, wantSkips)
			}
			if lock, err := os.ReadFile(filepath.Join(root, LockFileName)); err == nil {
				lf, err := parseLock(lock)
				if err != nil {
					t.Fatal(err)
				}
				digest, err := LockDigest(readFile(t, filepath.Join(root, ChartFileName)), lock)
				if err != nil || digest != lf.digest.Value {
					t.Fatalf("LockDigest = %s, %v; the lock Helm wrote records %s", digest, err, lf.digest.Value)
				}
			}
			var lines []string
			for _, s := range got.Sources {
				if s.Dependency != nil && s.Dependency.Range != "" {
					// A range stays in Chart.yaml; the version is the lock's.
					locked := s
					locked.Location = s.Dependency.LockLocation
					checkLocationSpellsRevision(t, readFile(t, filepath.Join(root, s.Dependency.LockFile)), locked)
				} else {
					checkLocationSpellsRevision(t, readFile(t, filepath.Join(root, s.File)), s)
				}
				lines = append(lines, s.File+":"+strconv.Itoa(s.Location.Line)+" 99.99.99")
			}
			for file, edits := range readerEdits(t, root, got, lines) {
				before := readFile(t, filepath.Join(root, file))
				after, err := Rewrite(before, edits)
				if err != nil {
					t.Fatalf("Rewrite(%s): %v", file, err)
				}
				assertOnlyVersionLinesChanged(t, before, after, edits)
				writeFile(t, filepath.Join(root, file), after)
			}
			again := readTree(t, root)
			for _, s := range again.Sources {
				if s.Revision != "99.99.99" && (s.Dependency == nil || s.Dependency.LockVersion != "99.99.99") {
					t.Errorf("after the rewrite %s:%d reads %q", s.File, s.Location.Line, s.Revision)
				}
			}
			if lock, err := os.ReadFile(filepath.Join(root, LockFileName)); err == nil {
				lf, _ := parseLock(lock)
				digest, err := LockDigest(readFile(t, filepath.Join(root, ChartFileName)), lock)
				if err != nil || digest != lf.digest.Value || bytes.Contains(lock, []byte("2025-")) {
					t.Errorf("after the rewrite the lock records %s, Helm computes %s (%v):\n%s", lf.digest.Value, digest, err, lock)
				}
			}
		})
	}
	if rows == 0 {
		t.Fatal("SOURCES.tsv lists no file")
	}
}
