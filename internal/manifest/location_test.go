package manifest

import (
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestLocateFindsEveryScalarWhereTheParserSawIt(t *testing.T) {
	data := readFile(t, filepath.Join("testdata", "locate", "line-breaks.yaml"))
	docs, err := parseAll(data)
	if err != nil {
		t.Fatalf("the fixture does not parse: %v", err)
	}
	ix := newLineIndex(data)
	var values []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode {
			loc := ix.locate(n, "")
			if loc.Problem != "" {
				t.Errorf("%q at line %d, column %d: %s", n.Value, n.Line, n.Column, loc.Problem)
				return
			}
			got := string(data[loc.Offset : loc.Offset+loc.Length])
			if loc.Quote != 0 {
				got = strings.Trim(got, string(loc.Quote))
			}
			if got != n.Value {
				t.Errorf("%q at line %d, column %d: the bytes there spell %q", n.Value, n.Line, n.Column, got)
			}
			values = append(values, n.Value)
		}
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 0 {
				continue // keys end at ':', which no value of ours is followed by
			}
			walk(c)
		}
	}
	for _, d := range docs {
		walk(d)
	}
	// The last value proves the index kept count through every kind of line break.
	if len(values) == 0 || values[len(values)-1] != "seventeen" {
		t.Fatalf("located %q, want every value up to \"seventeen\"", values)
	}
}

func TestLineIndexOffset(t *testing.T) {
	data := readFile(t, filepath.Join("testdata", "locate", "line-breaks.yaml"))
	ix := newLineIndex(data)
	tests := []struct {
		name         string
		line, column int
		want         int
		ok           bool
	}{
		{name: "the first line starts after the byte order mark", line: 1, column: 1, want: 3, ok: true},
		{name: "a line after LF starts after it", line: 2, column: 1, want: len("\xef\xbb\xbf# starts with a byte order mark\n"), ok: true},
		{name: "line zero does not exist", line: 0, column: 1},
		{name: "column zero does not exist", line: 1, column: 0},
		{name: "a line past the end does not exist", line: 1000, column: 1},
		{name: "a column past the end of the file does not exist", line: len(ix.starts), column: 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ix.offset(tt.line, tt.column)
			if ok != tt.ok || (ok && got != tt.want) {
				t.Errorf("offset(%d, %d) = %d, %v; want %d, %v", tt.line, tt.column, got, ok, tt.want, tt.ok)
			}
		})
	}
}
