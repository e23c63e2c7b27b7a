package manifest

import "path"

// ArgoCDReader reads the OCI chart sources of Argo CD Applications and ApplicationSets
// (and of kind List items) in any YAML file: Argo CD manifests have no name of their own,
// so it claims every file another reader has not, and tells them by apiVersion.
type ArgoCDReader struct{}

// Kind names the files ArgoCDReader reads.
func (ArgoCDReader) Kind() string { return "Argo CD manifest" }

// Claims takes any file: its documents say whether they are Argo CD resources.
func (ArgoCDReader) Claims(string, []byte) bool { return true }

// Read scans one file (see Scan). A file in a Helm chart's templates/ directory that is
// not plain YAML is skipped, not a problem: it is a Go template that renders to YAML,
// promoted through the chart's values, never edited here.
func (ArgoCDReader) Read(f File) FileScan {
	r := Scan(f.Name, f.Data)
	if len(r.problems) > 0 && inHelmTemplates(f.Tree, f.Name) {
		r.skipped = append(r.skipped, Skip{File: f.Name, Line: r.problems[0].Line, Reason: "Helm chart template that is not plain YAML: " + r.problems[0].Message})
		r.problems = nil
	}
	return r
}

// inHelmTemplates reports whether rel lies in the templates directory of a Helm chart.
func inHelmTemplates(tree Tree, rel string) bool {
	if tree == nil {
		return false
	}
	for dir := path.Dir(rel); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if path.Base(dir) == "templates" {
			if _, err := tree.ReadFile(path.Join(path.Dir(dir), ChartFileName)); err == nil {
				return true
			}
		}
	}
	return false
}

// DefaultReaders are the readers discovery offers files to, in order: the kinds of file
// known by name first, Argo CD manifests, which have none, last.
func DefaultReaders() []Reader {
	return []Reader{KustomizationReader{}, ChartReader{}, ArgoCDReader{}}
}

// ScanFile reads one file's bytes with the first of DefaultReaders that claims it, without
// its neighbours: what a file at a Git commit, with no directory around it, holds.
func ScanFile(name string, data []byte) FileScan {
	for _, r := range DefaultReaders() {
		if r.Claims(name, data) {
			return r.Read(File{Name: name, Data: data})
		}
	}
	return FileScan{file: name}
}
