package manifest

import (
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
	v.policy, v.problem = commentPolicy(v.key.HeadComment, v.key.LineComment, v.value.LineComment)
	v.location = index.locate(v.value, path)
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
