package manifest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/chart-promoter/chart-promoter/internal/version"
)

// ChartFileName is the file that makes a directory a Helm chart.
const ChartFileName = "Chart.yaml"

// ChartReader reads the dependencies of a Helm chart (an umbrella chart) from Chart.yaml
// and the versions they are locked at from the Chart.lock beside it.
//
// A dependency is a chart source when its repository is oci://host/path: Helm pulls
// oci://host/path/NAME (helm.sh/helm/v3 internal/resolver and pkg/downloader), at the
// version Chart.lock records. A version in Chart.yaml that is exact is the one Chart.lock
// holds too, and both move; a range stays, and only the lock moves within it. file://,
// https:// and @alias repositories are not OCI charts and are passed over in silence.
type ChartReader struct{}

// Kind names the files ChartReader reads.
func (ChartReader) Kind() string { return "Helm chart" }

// Claims takes every Chart.yaml: Helm reads no other name.
func (ChartReader) Claims(rel string, _ []byte) bool { return path.Base(rel) == ChartFileName }

// Read scans one Chart.yaml; f.Tree, when set, gives its Chart.lock and charts/.
func (ChartReader) Read(f File) (r FileScan) {
	r.file = f.Name
	r.digest = sha256.Sum256(f.Data)
	defer recoverParser(&r)
	docs, problem := parseDocuments(f.Data)
	if problem != nil {
		// Helm refuses a Chart.yaml it cannot parse, so the chart cannot be built at all.
		r.problems = append(r.problems, Problem{File: f.Name, Line: problem.Line, Message: "Chart.yaml " + problem.Message + "; fix the YAML or exclude the file with --exclude"})
		return r
	}
	if len(docs) != 1 || len(docs[0].Content) == 0 || docs[0].Content[0].Kind != yaml.MappingNode {
		r.skipped = append(r.skipped, Skip{File: f.Name, Reason: "not a Helm chart's Chart.yaml: it is not one YAML mapping"})
		return r
	}
	root := docs[0].Content[0]
	_, deps := ownPair(root, "dependencies")
	if deps == nil || deps.Kind != yaml.SequenceNode || !hasOCIDependency(deps) {
		return r // no OCI dependency: nothing here is ours
	}
	chartName := scalarValue(lookup(root, "name"))
	dir := path.Dir(f.Name)
	if parent, ok := parentChart(f.Tree, dir); ok {
		r.skipped = append(r.skipped, Skip{File: f.Name, Line: line(deps), Application: chartName,
			Reason: "an unpacked subchart in " + parent + "/charts: a vendored copy of a dependency, not edited (promote " + parent + "'s dependency on it instead)"})
		return r
	}
	if v := scalarValue(lookup(root, "apiVersion")); v != "v2" {
		r.skipped = append(r.skipped, Skip{File: f.Name, Line: line(lookup(root, "apiVersion")), Application: chartName,
			Reason: "Chart.yaml has apiVersion " + quote(v) + ": Helm reads the dependencies of apiVersion v1 charts from requirements.yaml, which chart-promoter does not edit"})
		return r
	}
	if key, at := duplicateDependency(deps); key != "" {
		r.problems = append(r.problems, Problem{File: f.Name, Line: at, Message: "more than one dependency is named " + quote(key) + ", which Helm refuses: give each an alias:"})
		return r
	}

	lockRel := path.Join(dir, LockFileName)
	var lock *chartLock
	var lockProblem string
	if f.Tree != nil {
		data, err := f.Tree.ReadFile(lockRel)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			lockProblem = "Chart.lock cannot be read: " + err.Error()
		default:
			if lock, err = parseLock(data); err != nil {
				lockProblem = "Chart.lock " + err.Error()
			} else {
				r.related = map[string][sha256.Size]byte{lockRel: sha256.Sum256(data)}
			}
		}
	}
	if lockProblem != "" {
		r.problems = append(r.problems, Problem{File: lockRel, Message: lockProblem + "; run helm dependency update to write it again"})
		return r
	}
	archives := vendoredArchives(f.Tree, dir)

	index := newLineIndex(f.Data)
	shared := anchored(root, deps)
	for i, item := range deps.Content {
		p := "dependencies[" + strconv.Itoa(i) + "]"
		repo := scalarValue(lookup(item, "repository"))
		name := scalarValue(lookup(item, "name"))
		alias := scalarValue(lookup(item, "alias"))
		if !strings.HasPrefix(repo, "oci://") {
			continue // Helm's registry.IsOCI: the scheme is matched as written
		}
		skip := Skip{File: f.Name, Line: line(item), Application: chartName}
		if name == "" {
			r.problems = append(r.problems, Problem{File: f.Name, Line: line(item), Message: p + " has a repository but no name: Helm cannot tell which chart to pull; add name:"})
			continue
		}
		ref, err := NormalizeChart(strings.TrimRight(repo, "/") + "/" + name)
		if err != nil {
			r.problems = append(r.problems, Problem{File: f.Name, Line: line(item), Message: p + ": " + err.Error()})
			continue
		}
		skip.Chart = ref
		v := readValue(index, item, "version", p+".version", shared || anchored(item))
		if v.problem != "" {
			r.problems = append(r.problems, Problem{File: f.Name, Line: line(v.value), Message: v.problem})
			continue
		}
		if v.value == nil || strings.TrimSpace(v.value.Value) == "" {
			skip.Reason = "the dependency has no version: Helm refuses it (write an exact version or a range)"
			r.skipped = append(r.skipped, skip)
			continue
		}
		written := strings.TrimSpace(v.value.Value)
		if templated(written) {
			skip.Line = v.value.Line
			skip.Reason = "version " + quote(written) + " is templated: its value is only known after substitution"
			r.skipped = append(r.skipped, skip)
			continue
		}
		src := Source{
			File:             f.Name,
			Kind:             KindChart,
			Application:      chartName,
			Chart:            ref,
			RepoURL:          repo,
			ChartName:        name,
			Form:             HelmDependency,
			Revision:         written,
			Constraint:       v.policy.constraint,
			ConstraintOrigin: v.policy.constraintOrigin,
			Ignore:           v.policy.ignore,
			IgnoreOrigin:     v.policy.ignoreOrigin,
			Location:         v.location,
			Dependency:       &Dependency{Name: name, Alias: alias},
		}
		exact := version.Classify(written) == version.Pin
		if !exact {
			src.Dependency.Range = written
		}
		switch {
		case lock == nil && !exact:
			skip.Line = v.value.Line
			skip.Reason = "version " + quote(written) + " is a range and the chart has no Chart.lock: helm dependency update resolves it when the chart is built"
			r.skipped = append(r.skipped, skip)
			continue
		case lock == nil:
			// Without a lock, helm dependency build resolves Chart.yaml's exact version.
		case i >= len(lock.entries) || lock.entries[i].name != name || lock.entries[i].repository != repo || lock.entries[i].version == nil:
			skip.Line = v.value.Line
			skip.Reason = "Chart.lock does not list this dependency as its entry " + strconv.Itoa(i+1) + " (the lock is out of sync with Chart.yaml): run helm dependency update and commit the lock"
			r.skipped = append(r.skipped, skip)
			continue
		default:
			e := lock.entries[i]
			src.Dependency.LockFile = lockRel
			src.Dependency.LockVersion = e.version.Value
			src.Dependency.LockLocation = lock.index.locate(e.version, "dependencies["+strconv.Itoa(i)+"].version")
			if !exact || src.Location.Problem == "" {
				// The lock's entry is edited too (a range: only it), so it must be editable.
				src.Location.Problem = src.Dependency.LockLocation.Problem
			}
			if !exact {
				src.Revision = e.version.Value
			} else if e.version.Value != written {
				skip.Line = v.value.Line
				skip.Reason = "Chart.yaml pins " + written + " but Chart.lock records " + e.version.Value + " (the lock is out of sync): run helm dependency update and commit the lock"
				r.skipped = append(r.skipped, skip)
				continue
			}
		}
		src.Dependency.Archive = archives[ArchiveName(name, src.Revision)]
		r.sources = append(r.sources, src)
	}
	return r
}

// duplicateDependency returns the first name (or alias) two dependencies share, and the
// line of the second: Helm refuses such a chart ("more than one dependency with name or
// alias"), so none of its dependencies can move.
func duplicateDependency(deps *yaml.Node) (string, int) {
	seen := map[string]bool{}
	for _, item := range deps.Content {
		key := scalarValue(lookup(item, "alias"))
		if key == "" {
			key = scalarValue(lookup(item, "name"))
		}
		if seen[key] {
			return key, line(item)
		}
		seen[key] = true
	}
	return "", 0
}

// parentChart reports whether the chart in dir is unpacked in another chart's charts/
// directory, and names that chart's directory.
func parentChart(tree Tree, dir string) (string, bool) {
	if tree == nil || path.Base(path.Dir(dir)) != "charts" {
		return "", false
	}
	parent := path.Dir(path.Dir(dir))
	if _, err := tree.ReadFile(path.Join(parent, ChartFileName)); err != nil {
		return "", false
	}
	return parent, true
}

// hasOCIDependency reports whether any dependency is pulled from an OCI registry.
func hasOCIDependency(deps *yaml.Node) bool {
	for _, item := range deps.Content {
		if strings.HasPrefix(scalarValue(lookup(item, "repository")), "oci://") {
			return true
		}
	}
	return false
}

// vendoredArchives lists the charts/*.tgz of a chart directory, by file name, as slash
// paths relative to the scanned directory.
func vendoredArchives(tree Tree, dir string) map[string]string {
	if tree == nil {
		return nil
	}
	entries, err := tree.ReadDir(path.Join(dir, "charts"))
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".tgz") {
			out[e.Name()] = path.Join(dir, "charts", e.Name())
		}
	}
	return out
}

// parseDocuments parses every YAML document of data, or returns the problem with the
// file's line.
func parseDocuments(data []byte) ([]*yaml.Node, *Problem) {
	if _, encoding, ok := utf16Text(data); ok {
		return nil, &Problem{Line: 1, Message: "is encoded in " + encoding + ", not UTF-8 (save it as UTF-8)"}
	}
	if !utf8.Valid(data) {
		return nil, &Problem{Line: firstLineWhere(data, func(c rune, size int) bool { return c == utf8.RuneError && size == 1 }), Message: "is not valid UTF-8"}
	}
	docs, err := parseAll(data)
	if err != nil {
		line, msg := YAMLErrorLine(data, err)
		return nil, &Problem{Line: line, Message: "does not parse as YAML: " + msg}
	}
	return docs, nil
}

// recoverParser turns a panic of the YAML parser, third-party code fed untrusted bytes,
// into a problem of the one file.
func recoverParser(r *FileScan) {
	if v := recover(); v != nil {
		r.sources = nil
		r.problems = []Problem{{File: r.file, Message: fmt.Sprintf("YAML parser failed: %v", v)}}
	}
}
