package manifest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// rewriteCase is one directory under testdata/rewrite: in.yaml is discovered, every source
// is edited to the versions in edit.txt (one line for all sources, or one line per source
// in file order), and the result must be want.yaml byte for byte.
type rewriteCase struct {
	name     string
	in, want []byte
	versions []string
}

func readRewriteCases(t testing.TB) []rewriteCase {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "rewrite", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no rewrite fixtures under testdata/rewrite (err %v)", err)
	}
	var cases []rewriteCase
	for _, dir := range dirs {
		c := rewriteCase{name: filepath.Base(dir)}
		c.in = readFile(t, filepath.Join(dir, "in.yaml"))
		c.want = readFile(t, filepath.Join(dir, "want.yaml"))
		for _, line := range strings.Split(string(readFile(t, filepath.Join(dir, "edit.txt"))), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				c.versions = append(c.versions, line)
			}
		}
		if len(c.versions) == 0 {
			t.Fatalf("%s/edit.txt names no version", dir)
		}
		cases = append(cases, c)
	}
	return cases
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// scanSources scans data and returns its sources in file order.
func scanSources(name string, data []byte) []Source {
	sources := append([]Source(nil), Scan(name, data).sources...)
	sort.SliceStable(sources, func(i, j int) bool { return sources[i].Location.Offset < sources[j].Location.Offset })
	return sources
}

// editsFor builds one edit per source, versions[i] for source i, or versions[0] for all.
func editsFor(t *testing.T, sources []Source, versions []string) []Edit {
	t.Helper()
	if len(versions) != 1 && len(versions) != len(sources) {
		t.Fatalf("%d versions for %d sources", len(versions), len(sources))
	}
	edits := make([]Edit, len(sources))
	for i, s := range sources {
		if s.Location.Problem != "" {
			t.Fatalf("source %d (%s, line %d) cannot be edited: %s", i, s.Chart, s.Location.Line, s.Location.Problem)
		}
		v := versions[0]
		if len(versions) > 1 {
			v = versions[i]
		}
		edits[i] = Edit{Location: s.Location, Old: s.Revision, New: v}
	}
	return edits
}

func TestRewriteProducesTheExpectedBytes(t *testing.T) {
	for _, c := range readRewriteCases(t) {
		t.Run(c.name, func(t *testing.T) {
			sources := scanSources("in.yaml", c.in)
			if len(sources) == 0 {
				t.Fatal("in.yaml has no sources")
			}
			edits := editsFor(t, sources, c.versions)
			got, err := Rewrite(c.in, edits)
			if err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			if !bytes.Equal(got, c.want) {
				t.Fatalf("Rewrite result differs from want.yaml at %s", firstDifference(got, c.want))
			}
			assertOnlyVersionLinesChanged(t, c.in, got, edits)

			spliced, err := Splice(c.in, edits)
			if err != nil || !bytes.Equal(spliced, got) {
				t.Errorf("Splice = %q, %v; want the bytes Rewrite wrote", spliced, err)
			}
		})
	}
}

func TestRewriteIsIdempotent(t *testing.T) {
	for _, c := range readRewriteCases(t) {
		t.Run(c.name, func(t *testing.T) {
			after := scanSources("want.yaml", c.want)
			edits := editsFor(t, after, c.versions)
			for i, e := range edits {
				if e.Old != e.New {
					t.Fatalf("after the rewrite, source %d reads %q, want %q", i, e.Old, e.New)
				}
			}
			again, err := Rewrite(c.want, edits)
			if err != nil {
				t.Fatalf("rewriting to the same values: %v", err)
			}
			if !bytes.Equal(again, c.want) {
				t.Fatalf("rewriting to the same values changed the bytes at %s", firstDifference(again, c.want))
			}
		})
	}
}

// assertOnlyVersionLinesChanged compares before and after line by line: they must have
// as many lines, and every line that differs must hold an edit's old value before and its
// new value after.
func assertOnlyVersionLinesChanged(t *testing.T, before, after []byte, edits []Edit) {
	t.Helper()
	a, b := bytes.Split(before, []byte("\n")), bytes.Split(after, []byte("\n"))
	if len(a) != len(b) {
		t.Fatalf("the rewrite changed the number of lines from %d to %d", len(a), len(b))
	}
	for i := range a {
		if bytes.Equal(a[i], b[i]) {
			continue
		}
		explained := false
		for _, e := range edits {
			if bytes.Contains(a[i], []byte(e.Old)) && bytes.Contains(b[i], []byte(e.New)) {
				explained = true
				break
			}
		}
		if !explained {
			t.Errorf("line %d changed from %q to %q, which no edit explains", i+1, a[i], b[i])
		}
	}
}

// firstDifference describes where two byte slices first differ.
func firstDifference(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	line := bytes.Count(want[:i], []byte("\n")) + 1
	return "byte " + itoa(i) + " (line " + itoa(line) + "): got " + excerpt(got, i) + ", want " + excerpt(want, i)
}

func excerpt(data []byte, at int) string {
	end := min(at+40, len(data))
	start := max(at-20, 0)
	return strconvQuote(data[start:end])
}

func TestRewriteRefuses(t *testing.T) {
	plain := readFile(t, filepath.Join("testdata", "rewrite", "plain-value", "in.yaml"))
	src := scanSources("in.yaml", plain)[0]
	edit := Edit{Location: src.Location, Old: src.Revision, New: "1.2.4"}
	with := func(change func(*Edit)) []Edit {
		e := edit
		change(&e)
		return []Edit{e}
	}
	changed := bytes.Replace(plain, []byte("targetRevision: 1.2.3"), []byte("targetRevision: 1.2.9"), 1)
	shifted := append([]byte("# a comment added after discovery\n"), plain...)
	floats := readFile(t, filepath.Join("testdata", "discover", "non-string-target-revision", "in", "apps.yaml"))

	tests := []struct {
		name  string
		data  []byte
		edits []Edit
	}{
		{name: "when the value in the file is no longer the old one", data: changed, edits: []Edit{edit}},
		{name: "when the file moved the value to another offset", data: shifted, edits: []Edit{edit}},
		{name: "when the old value given is not the one discovered", data: plain, edits: with(func(e *Edit) { e.Old = "1.2.4" })},
		{name: "when two edits of one value disagree", data: plain, edits: []Edit{edit, with(func(e *Edit) { e.New = "1.2.5" })[0]}},
		{name: "when two edits of one value expect different old values", data: plain, edits: []Edit{edit, with(func(e *Edit) { e.Old = "1.2.2" })[0]}},
		{name: "when the new value holds a space", data: plain, edits: with(func(e *Edit) { e.New = "1.2.4 # x" })},
		{name: "when the new value holds a double quote", data: plain, edits: with(func(e *Edit) { e.New = `1.2.4"` })},
		{name: "when the new value holds a single quote", data: plain, edits: with(func(e *Edit) { e.New = "1.2.4'" })},
		{name: "when the new value holds a colon", data: plain, edits: with(func(e *Edit) { e.New = "1.2.4:x" })},
		{name: "when the new value holds a newline", data: plain, edits: with(func(e *Edit) { e.New = "1.2.4\nx: y" })},
		{name: "when the new value is empty", data: plain, edits: with(func(e *Edit) { e.New = "" })},
		{name: "when the new value starts with a YAML indicator", data: plain, edits: with(func(e *Edit) { e.New = "-1.2.4" })},
		{name: "when the location has a problem", data: floats, edits: problemEdits(t, floats)},
		{name: "when the location lies past the end of the file", data: plain[:src.Location.Offset+2], edits: []Edit{edit}},
		{name: "when the location's offset is negative", data: plain, edits: with(func(e *Edit) { e.Location.Offset = -1 })},
		{name: "when the location's line and column do not name the value", data: plain, edits: with(func(e *Edit) { e.Location.Line++ })},
		{name: "when the location's length is not the value's", data: plain, edits: with(func(e *Edit) { e.Location.Length-- })},
		{name: "when the location's quote is not the value's", data: plain, edits: with(func(e *Edit) { e.Location.Quote = '"' })},
		{name: "when two edits overlap", data: plain, edits: []Edit{edit, with(func(e *Edit) { e.Location.Offset++; e.Old = src.Revision[1:] })[0]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Rewrite(tt.data, tt.edits)
			var refused *RefusedError
			if !errors.As(err, &refused) {
				t.Fatalf("Rewrite error = %v (%T), want a *RefusedError", err, err)
			}
			if out != nil {
				t.Errorf("Rewrite returned %d bytes with its refusal, want none", len(out))
			}
			if refused.Reason == "" || !strings.Contains(refused.Error(), "refused to edit") {
				t.Errorf("refusal %q does not say what was refused", refused.Error())
			}
		})
	}
}

// problemEdits returns an edit for every source of data whose location has a problem.
func problemEdits(t *testing.T, data []byte) []Edit {
	t.Helper()
	var edits []Edit
	for _, s := range scanSources("apps.yaml", data) {
		if s.Location.Problem != "" {
			edits = append(edits, Edit{Location: s.Location, Old: s.Revision, New: "1.2.4"})
		}
	}
	if len(edits) == 0 {
		t.Fatal("the fixture has no source with a location problem")
	}
	return edits
}

func TestRewriteWithoutEditsReturnsTheInput(t *testing.T) {
	data := readFile(t, filepath.Join("testdata", "rewrite", "plain-value", "in.yaml"))
	got, err := Rewrite(data, nil)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Rewrite(data, nil) = %d bytes, %v; want the input unchanged", len(got), err)
	}
}

func TestRewriteAcceptsDuplicateEditsOfOneValue(t *testing.T) {
	data := readFile(t, filepath.Join("testdata", "rewrite", "plain-value", "in.yaml"))
	want := readFile(t, filepath.Join("testdata", "rewrite", "plain-value", "want.yaml"))
	src := scanSources("in.yaml", data)[0]
	edit := Edit{Location: src.Location, Old: src.Revision, New: "1.2.4"}
	got, err := Rewrite(data, []Edit{edit, edit})
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Rewrite with the same edit twice = %v; want the edit made once", err)
	}
}

func TestRefusedErrorNamesTheLine(t *testing.T) {
	tests := []struct {
		name string
		err  RefusedError
		want string
	}{
		{name: "with a line", err: RefusedError{Line: 7, Reason: "why"}, want: "line 7: refused to edit: why"},
		{name: "without a line", err: RefusedError{Reason: "why"}, want: "refused to edit: why"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}
