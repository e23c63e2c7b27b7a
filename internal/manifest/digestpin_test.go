package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDigestPinRewriteWritesTheValueAndTheToolsComment runs testdata/digest-pin: in.yaml
// holds one native OCI source, edit.txt the new value and the comment to end its line
// with ("-": drop the tool's comment), and the result is want.yaml byte for byte, or a
// refusal containing refused.txt with the file left alone.
func TestDigestPinRewriteWritesTheValueAndTheToolsComment(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "digest-pin", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures under testdata/digest-pin (err %v)", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			in := readFile(t, filepath.Join(dir, "in.yaml"))
			lines := strings.Split(strings.TrimSpace(string(readFile(t, filepath.Join(dir, "edit.txt")))), "\n")
			if len(lines) != 2 {
				t.Fatalf("edit.txt: want the new value and the comment, got %q", lines)
			}
			sources := scanSources("in.yaml", in)
			if len(sources) != 1 {
				t.Fatalf("in.yaml has %d sources, want 1", len(sources))
			}
			s := sources[0]
			e := Edit{Location: s.Location, Old: s.Revision, New: strings.TrimSpace(lines[0])}
			if c := strings.TrimSpace(lines[1]); c == "-" {
				e.DropComment = true
			} else {
				e.Comment = c
			}
			got, err := Rewrite(in, []Edit{e})
			if refused, rerr := os.ReadFile(filepath.Join(dir, "refused.txt")); rerr == nil {
				if err == nil || !strings.Contains(err.Error(), strings.TrimSpace(string(refused))) {
					t.Fatalf("Rewrite = %v, want a refusal containing %q", err, strings.TrimSpace(string(refused)))
				}
				return
			}
			if err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			want := readFile(t, filepath.Join(dir, "want.yaml"))
			if !bytes.Equal(got, want) {
				t.Fatalf("Rewrite differs from want.yaml at %s", firstDifference(got, want))
			}
			if spliced, err := Splice(in, []Edit{e}); err != nil || !bytes.Equal(spliced, got) {
				t.Errorf("Splice = %q, %v; want the bytes Rewrite wrote", spliced, err)
			}
			// Read back, the line says the same: the new value, and its comment is ours.
			after := scanSources("want.yaml", got)
			if len(after) != 1 || after[0].Revision != e.New {
				t.Fatalf("after the edit the source reads %+v", after)
			}
		})
	}
}
