package manifest

import (
	"bytes"
	"io/fs"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A Reader finds the chart sources of one kind of file: Argo CD manifests,
// kustomizations, Helm charts' Chart.yaml. Discovery offers every file to the readers in
// order and the first that claims it reads it; adding a kind of file is adding a Reader.
type Reader interface {
	// Kind names the kind of file in reports ("kustomization").
	Kind() string
	// Claims reports whether the reader reads the file at rel (a slash path relative to
	// the scanned directory) whose bytes are data.
	Claims(rel string, data []byte) bool
	// Read scans one file it claimed.
	Read(f File) FileScan
}

// File is one file offered to a Reader.
type File struct {
	// Name is the slash path relative to the scanned directory, as reports show it.
	Name string
	// Data is the file's bytes.
	Data []byte
	// Tree reads the file's neighbours (Chart.lock beside Chart.yaml); nil when the
	// bytes are scanned on their own, and readers then go without.
	Tree Tree
}

// Tree is the scanned directory, read the way discovery reads it: regular files only,
// never through a symbolic link, no larger than the size limit.
type Tree interface {
	// ReadFile returns the bytes of the file at the slash path rel.
	ReadFile(rel string) ([]byte, error)
	// ReadDir lists the directory at the slash path rel.
	ReadDir(rel string) ([]fs.DirEntry, error)
}

// templated reports whether a value is filled in by a tool before kustomize or Helm read
// it: "${var}" (Flux postBuild, envsubst, Terraform) or "{{ }}".
func templated(v string) bool { return strings.Contains(v, "${") || isTemplate(v) }

// valueOf reads one scalar field of an entry (a helmCharts item, a Chart.yaml
// dependency) as a source's version: its key and value nodes, its location, the policy
// its comments set and what keeps it from being edited. what names the field in
// messages ("version").
type valueOf struct {
	key, value *yaml.Node
	location   Location
	policy     policy
	// problem is a comment directive that does not parse: an error of the file.
	problem string
}

// readValue locates entry's field key for editing. shared is set when the entry may be
// reached from elsewhere in the document (it is anchored or an alias).
func readValue(index *lineIndex, entry *yaml.Node, key, path string, shared bool) valueOf {
	var v valueOf
	v.key, v.value = ownPair(entry, key)
	if v.value == nil {
		// Reached only through a merge key: it belongs to the mapping merged in.
		v.key, v.value = lookupPair(entry, key)
		shared = true
	}
	if v.value == nil {
		return v
	}
	v.location = index.locate(v.value, path)
	v.policy, v.problem = commentPolicy(index.commentsAround(v.key, v.value, v.location)...)
	if v.problem == "" && v.policy.version != "" {
		v.problem = "a \"# chart-promoter: version=\" comment belongs after the digest of an Argo CD oci:// source: Helm, which reads this " + key + ", takes a version, not a digest; remove the comment"
	}
	switch {
	case v.location.Problem != "":
	case shared:
		v.location.Problem = key + " is shared with other places through a YAML anchor, alias or merge key (<<): edit it by hand"
	case countKeys(entry, key) > 1:
		v.location.Problem = key + " appears more than once in this entry: remove the duplicate"
	case v.value.Kind == yaml.ScalarNode && v.value.ShortTag() != "!!str":
		v.location.Problem = key + " " + v.value.Value + " is a YAML " + strings.TrimPrefix(v.value.ShortTag(), "!!") + ", not a string: quote it"
	}
	return v
}

// commentsAround returns the comments that may hold directives for a value: the comment
// lines directly above its key and the comment after it on its own line. They are read
// from the bytes, not from the parser's comment nodes: with CRLF line endings the parser
// hangs a comment above a key on the key before it.
func (ix *lineIndex) commentsAround(key, value *yaml.Node, loc Location) []string {
	if loc.Problem != "" || loc.Length == 0 {
		return []string{key.HeadComment, key.LineComment, value.LineComment}
	}
	var out []string
	for l := key.Line - 1; l >= 1; l-- {
		text := bytes.TrimSpace(ix.line(l))
		if len(text) == 0 || text[0] != '#' {
			break
		}
		out = append(out, string(text))
	}
	rest := ix.data[loc.Offset+loc.Length:]
	if end := bytes.IndexAny(rest, "\r\n"); end >= 0 {
		rest = rest[:end]
	}
	// After a block value, the rest of the line is blanks and a comment; in a flow
	// collection it may hold more entries, whose comment is theirs too.
	if text := bytes.TrimLeft(rest, " \t"); len(text) > 0 && text[0] == '#' && len(text) < len(rest) {
		out = append(out, string(text))
	}
	return out
}

// line returns the bytes of the 1-based line l, without its line break.
func (ix *lineIndex) line(l int) []byte {
	if l < 1 || l > len(ix.starts) {
		return nil
	}
	end := len(ix.data)
	if l < len(ix.starts) {
		end = ix.starts[l]
	}
	return bytes.TrimRight(ix.data[ix.starts[l-1]:end], "\r\n")
}
