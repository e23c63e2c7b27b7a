package manifest

import (
	"bytes"
	"errors"
	"io/fs"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/version"
)

// The seed corpora are in testdata/fuzz/FuzzScan and testdata/fuzz/FuzzRewrite: the
// rewrite fixtures and the discovery fixtures, each with the version its case writes.

// FuzzScan checks that Scan never panics, that no panic is hidden behind its recover,
// and that every location it calls editable spells the revision it reports.
func FuzzScan(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r := Scan("fuzz.yaml", data)
		for _, p := range r.problems {
			if strings.HasPrefix(p.Message, "YAML parser failed") {
				t.Fatalf("Scan recovered from a panic: %s", p.Message)
			}
		}
		for _, s := range r.sources {
			checkLocationSpellsRevision(t, data, s)
		}
	})
}

// checkLocationSpellsRevision fails unless a source without a location problem has a
// byte span inside data that holds exactly its revision, quoted as Location.Quote says.
func checkLocationSpellsRevision(t *testing.T, data []byte, s Source) {
	t.Helper()
	loc := s.Location
	if loc.Problem != "" {
		return
	}
	if loc.Offset < 0 || loc.Length <= 0 || loc.Offset+loc.Length > len(data) {
		t.Fatalf("location %+v lies outside the %d bytes of the file", loc, len(data))
	}
	if loc.Line < 1 || loc.Column < 1 {
		t.Fatalf("location %+v has no line and column", loc)
	}
	token := string(data[loc.Offset : loc.Offset+loc.Length])
	value := token
	if loc.Quote != 0 {
		if len(token) < 2 || token[0] != loc.Quote || token[len(token)-1] != loc.Quote {
			t.Fatalf("token %q is not quoted with %q", token, loc.Quote)
		}
		value = token[1 : len(token)-1]
	}
	if value != s.Revision {
		t.Fatalf("the bytes at offset %d spell %q, but the revision is %q", loc.Offset, value, s.Revision)
	}
}

// FuzzRewrite edits every editable source of the input to one new version, read as an
// Argo CD manifest, as a kustomization and as a Chart.yaml (without a lock). Either the
// rewrite is refused and returns nothing, or the output differs from the input only inside
// the edited spans, and reading the output again finds the new version at each of them.
func FuzzRewrite(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, v string) {
		readers := []func([]byte) FileScan{
			func(b []byte) FileScan { return Scan("fuzz.yaml", b) },
			func(b []byte) FileScan { return KustomizationReader{}.Read(File{Name: "kustomization.yaml", Data: b}) },
		}
		if version.Classify(v) == version.Pin {
			// Chart.yaml reads anything else as a range, which is not edited.
			readers = append(readers, func(b []byte) FileScan { return ChartReader{}.Read(File{Name: "Chart.yaml", Data: b}) })
		}
		for _, read := range readers {
			checkRewrite(t, data, v, read)
		}
	})
}

// checkRewrite is FuzzRewrite for one reader.
func checkRewrite(t *testing.T, data []byte, version string, read func([]byte) FileScan) {
	t.Helper()
	var edits []Edit
	for _, s := range read(data).sources {
		checkLocationSpellsRevision(t, data, s)
		if s.Location.Problem == "" {
			edits = append(edits, Edit{Location: s.Location, Old: s.Revision, New: version})
		}
	}
	if len(edits) == 0 {
		return
	}
	out, err := Rewrite(data, edits)
	if err != nil {
		var refused *RefusedError
		if !errors.As(err, &refused) {
			t.Fatalf("Rewrite failed with %T %v, want a *RefusedError", err, err)
		}
		if out != nil {
			t.Fatalf("Rewrite returned %d bytes with its refusal", len(out))
		}
		return
	}
	if !safeValue(version) {
		t.Fatalf("Rewrite accepted the unsafe value %q", version)
	}

	// Walk the spans in file order: the bytes between them must be unchanged, and
	// each span must now hold the new version, quoted or not.
	spans := uniqueSpans(edits)
	in, at := 0, 0
	var newOffsets []int
	for _, loc := range spans {
		between := data[in:loc.Offset]
		if !bytes.HasPrefix(out[at:], between) {
			t.Fatalf("bytes before offset %d changed", loc.Offset)
		}
		at += len(between)
		tok := token(version, loc.Quote)
		if !bytes.HasPrefix(out[at:], []byte(tok)) {
			t.Fatalf("the span at offset %d does not hold %q", loc.Offset, tok)
		}
		newOffsets = append(newOffsets, at)
		at += len(tok)
		in = loc.Offset + loc.Length
	}
	if !bytes.Equal(out[at:], data[in:]) {
		t.Fatalf("bytes after the last span changed")
	}

	after := map[int]Source{}
	for _, s := range read(out).sources {
		checkLocationSpellsRevision(t, out, s)
		after[s.Location.Offset] = s
	}
	for i, off := range newOffsets {
		s, ok := after[off]
		if !ok || s.Location.Problem != "" || s.Revision != version {
			t.Fatalf("after the rewrite, the source at line %d (offset %d) reads %q (problem %q), want %q", spans[i].Line, off, s.Revision, s.Location.Problem, version)
		}
	}
}

// uniqueSpans returns the edits' locations in file order, once per offset.
func uniqueSpans(edits []Edit) []Location {
	var locs []Location
	for _, e := range edits {
		locs = append(locs, e.Location)
	}
	sort.SliceStable(locs, func(i, j int) bool { return locs[i].Offset < locs[j].Offset })
	out := locs[:0]
	for _, l := range locs {
		if len(out) > 0 && out[len(out)-1].Offset == l.Offset {
			continue
		}
		out = append(out, l)
	}
	return out
}

// mapTree is a Tree of files in memory.
type mapTree map[string][]byte

func (m mapTree) ReadFile(rel string) ([]byte, error) {
	if data, ok := m[rel]; ok {
		return data, nil
	}
	return nil, fs.ErrNotExist
}

func (m mapTree) ReadDir(string) ([]fs.DirEntry, error) { return nil, fs.ErrNotExist }

// FuzzChartLock moves every dependency of a Chart.yaml and its Chart.lock to one new
// version. Either the edit is refused, or both files are rewritten and the lock records
// the digest Helm computes from the files as they now are.
func FuzzChartLock(f *testing.F) {
	f.Fuzz(func(t *testing.T, chartYAML, lock []byte, v string) {
		scan := ChartReader{}.Read(File{Name: "Chart.yaml", Data: chartYAML, Tree: mapTree{LockFileName: lock}})
		var moves []Move
		for _, s := range scan.sources {
			if s.Dependency.Range != "" {
				locked := s
				locked.Location = s.Dependency.LockLocation
				checkLocationSpellsRevision(t, lock, locked)
			} else {
				checkLocationSpellsRevision(t, chartYAML, s)
			}
			if s.Location.Problem == "" && s.Dependency.LockFile != "" {
				moves = append(moves, Move{Source: s, To: v})
			}
		}
		if len(moves) == 0 {
			return
		}
		chartEdits, lockEdits, err := DependencyEdits(chartYAML, lock, moves, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			return
		}
		newChart, err := Rewrite(chartYAML, chartEdits)
		if err != nil {
			return
		}
		newLock, err := Rewrite(lock, lockEdits)
		if err != nil {
			return
		}
		lf, err := parseLock(newLock)
		if err != nil || lf.digest == nil {
			t.Fatalf("the rewritten lock does not parse or has no digest (%v):\n%s", err, newLock)
		}
		digest, err := LockDigest(newChart, newLock)
		if err != nil || digest != lf.digest.Value {
			t.Fatalf("the rewritten lock records %s, Helm computes %s (%v)", lf.digest.Value, digest, err)
		}
	})
}
