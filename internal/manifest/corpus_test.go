package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// corpusDir is where the real-world Argo CD manifests are: $CHART_PROMOTER_CORPUS, or the
// shared corpus next to the repository.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CHART_PROMOTER_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus", "argocd-apps")
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		t.Skipf("no corpus of real-world manifests at %s: set CHART_PROMOTER_CORPUS to a directory of Argo CD YAML files (with SOURCES.tsv) to run this test", dir)
	}
	return dir
}

// corpusEntry is one row of SOURCES.tsv: where a file came from and what it holds.
type corpusEntry struct {
	file, ociChart, kinds, crlf, sha256 string
}

// readCorpusIndex reads SOURCES.tsv, whose columns are named by its header line.
func readCorpusIndex(t *testing.T, dir string) map[string]corpusEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "SOURCES.tsv"))
	if err != nil {
		t.Fatalf("the corpus has no index: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = '\t', true, -1
	header, err := r.Read()
	if err != nil {
		t.Fatalf("SOURCES.tsv: %v", err)
	}
	col := map[string]int{}
	for i, name := range header {
		col[name] = i
	}
	for _, name := range []string{"filename", "oci_chart", "kinds", "crlf", "sha256"} {
		if _, ok := col[name]; !ok {
			t.Fatalf("SOURCES.tsv has no column %q", name)
		}
	}
	entries := map[string]corpusEntry{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SOURCES.tsv: %v", err)
		}
		e := corpusEntry{file: rec[col["filename"]], ociChart: rec[col["oci_chart"]], kinds: rec[col["kinds"]], crlf: rec[col["crlf"]], sha256: rec[col["sha256"]]}
		entries[e.file] = e
	}
	return entries
}

func TestCorpusOfRealManifestsIsDiscoveredAndRewrittenByteExactly(t *testing.T) {
	dir := corpusDir(t)
	index := readCorpusIndex(t, dir)
	names, err := filepath.Glob(filepath.Join(dir, "*.y*ml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(index) {
		t.Errorf("the corpus has %d YAML files but SOURCES.tsv lists %d", len(names), len(index))
	}

	notYAML := corpusNotYAML()
	var files, resources, ociSources, edited, skipped int
	for _, path := range names {
		name := filepath.Base(path)
		entry, ok := index[name]
		if !ok {
			t.Errorf("%s is not in SOURCES.tsv", name)
			continue
		}
		files++
		t.Run(name, func(t *testing.T) {
			data := readFile(t, path)
			if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != entry.sha256 {
				t.Fatalf("the file's SHA-256 is not the one SOURCES.tsv records: it was changed (line endings normalised by Git?)")
			}
			if hasCRLF := bytes.Contains(data, []byte("\r\n")); hasCRLF != (entry.crlf == "yes") {
				t.Errorf("CRLF line endings: %v, SOURCES.tsv says %q", hasCRLF, entry.crlf)
			}
			r := Scan(name, data)
			resources += countArgoResources(data)
			skipped += len(r.skipped)
			ociSources += len(r.sources)
			checkCorpusExpectation(t, entry, notYAML, r)
			checkSkipsAreChartSources(t, data, r.skipped)
			for _, s := range r.sources {
				checkLocationSpellsRevision(t, data, s)
				if s.Location.Problem != "" {
					continue
				}
				rewriteOneAndCheck(t, data, s, "99.99.99")
				edited++
			}
			rewriteAllAndCheck(t, data, r.sources, "99.99.99")
		})
	}
	t.Logf("corpus %s: %d files, %d Argo CD resources, %d OCI chart sources (%d edited), %d skips", dir, files, resources, ociSources, edited, skipped)
	if ociSources == 0 {
		t.Errorf("no OCI chart source found in %d files of the corpus", files)
	}
}

// corpusNotYAML returns the files of the corpus that are not valid YAML (Helm templates
// with {{ }} outside strings), with the line where the parser stops: the line of the
// first template directive that breaks the YAML.
func corpusNotYAML() map[string]int {
	return map[string]int{
		"locmai__humble__apps__templates__glance.yaml":                  1,
		"stuttgart-things__argocd__cicd__kargo__templates__kargo.yaml":  1,
		"renovatebot__renovate__argocd__fixtures__validApplication.yml": 138,
	}
}

// corpusUnsyncable returns the files of the corpus with a source Argo CD can never sync
// (an oci:// repoURL with a chart that is not its last segment), with the line of that
// source's repoURL: each must be a problem there, and only there.
func corpusUnsyncable() map[string]int {
	return map[string]int{
		"ednillibanio__talos-vsphere-gitops__lab__apps__cilium.yaml": 11,
	}
}

// checkCorpusExpectation holds a file's scan to what SOURCES.tsv says it contains.
func checkCorpusExpectation(t *testing.T, entry corpusEntry, notYAML map[string]int, r FileScan) {
	t.Helper()
	unsyncableLine, unsyncable := corpusUnsyncable()[entry.file]
	reported := false
	for _, p := range r.problems {
		if unsyncable && p.Line == unsyncableLine && strings.Contains(p.Message, "never syncs") && strings.Contains(p.Message, "path: .") {
			reported = true
			continue
		}
		t.Errorf("problem in a file of the corpus: %s", p.Error())
	}
	if unsyncable && !reported {
		t.Errorf("the oci:// repoURL with a chart at line %d, which Argo CD never syncs, is not a problem; problems: %+v", unsyncableLine, r.problems)
	}
	line, broken := notYAML[entry.file]
	if broken != strings.Contains(entry.kinds, "helm-template") {
		t.Errorf("SOURCES.tsv kinds %q disagrees with the list of files that are not YAML", entry.kinds)
	}
	for _, s := range r.skipped {
		if strings.Contains(s.Reason, "does not parse") && !broken {
			t.Errorf("a valid YAML file was skipped as unparseable at line %d: %s", s.Line, s.Reason)
		}
	}
	switch {
	case broken:
		// A Helm template is not YAML: it must be passed over as a template, with the
		// line where parsing stopped, and never reported as a problem.
		if len(r.sources) != 0 || len(r.skipped) != 1 {
			t.Fatalf("a Helm template gave %d sources and %d skips, want one skip", len(r.sources), len(r.skipped))
		}
		if s := r.skipped[0]; !strings.Contains(s.Reason, "a template, not plain YAML") || s.Line != line {
			t.Errorf("skip = line %d: %s; want a template skip at line %d", s.Line, s.Reason, line)
		}
	case strings.HasPrefix(entry.ociChart, "no"):
		if len(r.sources) != 0 {
			t.Errorf("a file without OCI charts gave %d sources, first %s", len(r.sources), describeSource(r.sources[0]))
		}
	case strings.HasSuffix(entry.ociChart, "-indirect"):
		// The registry comes from generator data outside the file: nothing to edit, but
		// the templated source must be reported.
		if len(r.sources) != 0 || len(r.skipped) == 0 {
			t.Errorf("a source templated from outside data gave %d sources and %d skips, want skips only", len(r.sources), len(r.skipped))
		}
	case unsyncable:
		// Its only OCI source is the one Argo CD cannot sync: nothing to promote.
		if len(r.sources) != 0 {
			t.Errorf("a file whose OCI source never syncs gave %d sources, first %s", len(r.sources), describeSource(r.sources[0]))
		}
	default:
		if len(r.sources) == 0 {
			t.Errorf("SOURCES.tsv says the file holds OCI charts (%s), but none was found; skips: %+v", entry.ociChart, r.skipped)
		}
	}
}

// checkSkipsAreChartSources fails for a skip reported at a source that cannot be an OCI
// chart whatever its templates render to: no chart and no oci:// repoURL (a ref: values
// source, or Git manifests at a path). Such a source must not be mentioned at all.
func checkSkipsAreChartSources(t *testing.T, data []byte, skipped []Skip) {
	t.Helper()
	docs, err := parseAll(data)
	if err != nil {
		return
	}
	notCharts := map[int]string{} // line of a source mapping → its repoURL
	var visit func(n *yaml.Node)
	visit = func(n *yaml.Node) {
		if n == nil {
			return
		}
		if n.Kind == yaml.MappingNode {
			repo := lookup(n, "repoURL")
			if repo != nil && scalarValue(lookup(n, "chart")) == "" && !hasScheme(strings.TrimSpace(scalarValue(repo)), "oci") {
				notCharts[n.Line] = scalarValue(repo)
			}
		}
		for _, c := range n.Content {
			visit(c)
		}
	}
	for _, d := range docs {
		visit(d)
	}
	for _, s := range skipped {
		if repo, ok := notCharts[s.Line]; ok {
			t.Errorf("line %d, a source without chart or oci:// (repoURL %q), is reported: %s; it is not a chart source and must not be mentioned", s.Line, repo, s.Reason)
		}
	}
}

// rewriteOneAndCheck rewrites one source and checks that only its token changed.
func rewriteOneAndCheck(t *testing.T, data []byte, s Source, version string) {
	t.Helper()
	loc := s.Location
	out, err := Rewrite(data, []Edit{{Location: loc, Old: s.Revision, New: version}})
	if err != nil {
		t.Fatalf("rewriting line %d: %v", loc.Line, err)
	}
	tok := token(version, loc.Quote)
	suffix := data[loc.Offset+loc.Length:]
	switch {
	case len(out) != len(data)-loc.Length+len(tok):
		t.Fatalf("rewriting line %d changed the length by %d, want %d", loc.Line, len(out)-len(data), len(tok)-loc.Length)
	case !bytes.Equal(out[:loc.Offset], data[:loc.Offset]):
		t.Fatalf("rewriting line %d changed bytes before the value", loc.Line)
	case !bytes.Equal(out[loc.Offset:loc.Offset+len(tok)], []byte(tok)):
		t.Fatalf("rewriting line %d wrote %q, want %q", loc.Line, out[loc.Offset:loc.Offset+len(tok)], tok)
	case !bytes.Equal(out[loc.Offset+len(tok):], suffix):
		t.Fatalf("rewriting line %d changed bytes after the value", loc.Line)
	}
	for _, after := range Scan("after.yaml", out).sources {
		if after.Location.Offset == loc.Offset && after.Location.Path == loc.Path {
			if after.Revision != version {
				t.Errorf("after rewriting line %d, the source reads %q", loc.Line, after.Revision)
			}
			return
		}
	}
	t.Errorf("after rewriting line %d, the source is no longer found", loc.Line)
}

// rewriteAllAndCheck rewrites every editable source of a file at once and checks, line
// by line, that only lines with a version changed.
func rewriteAllAndCheck(t *testing.T, data []byte, sources []Source, version string) {
	t.Helper()
	var edits []Edit
	for _, s := range sources {
		if s.Location.Problem == "" {
			edits = append(edits, Edit{Location: s.Location, Old: s.Revision, New: version})
		}
	}
	if len(edits) == 0 {
		return
	}
	out, err := Rewrite(data, edits)
	if err != nil {
		t.Fatalf("rewriting every source: %v", err)
	}
	assertOnlyVersionLinesChanged(t, data, out, edits)
}

// countArgoResources counts the Applications and ApplicationSets in a file, for the log.
func countArgoResources(data []byte) int {
	count := 0
	var visit func(n *yaml.Node, depth int)
	visit = func(n *yaml.Node, depth int) {
		if n == nil || n.Kind != yaml.MappingNode || depth > maxListDepth {
			return
		}
		kind := scalarValue(lookup(n, "kind"))
		if strings.HasPrefix(scalarValue(lookup(n, "apiVersion")), "argoproj.io/") && (kind == KindApplication || kind == KindApplicationSet) {
			count++
		}
		if items := lookup(n, "items"); strings.HasSuffix(kind, "List") && items != nil {
			for _, item := range items.Content {
				visit(item, depth+1)
			}
		}
	}
	docs, err := parseAll(data)
	if err != nil {
		return 0
	}
	for _, d := range docs {
		if len(d.Content) > 0 {
			visit(d.Content[0], 0)
		}
	}
	return count
}
