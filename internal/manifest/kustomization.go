package manifest

import (
	"bytes"
	"crypto/sha256"
	"path"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// kustomizationNames are the file names kustomize reads as a kustomization, in its own
// order (sigs.k8s.io/kustomize/api konfig.RecognizedKustomizationFileNames).
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// IsKustomization reports whether the file at the slash path rel is a kustomization.
func IsKustomization(rel string) bool {
	base := path.Base(rel)
	for _, n := range kustomizationNames {
		if base == n {
			return true
		}
	}
	return false
}

// KustomizationReader reads the Helm charts a kustomization inflates (kustomize build
// --enable-helm): its helmCharts entries, and those of the deprecated
// helmChartInflationGenerator, which kustomize converts to helmCharts.
//
// An entry is a chart source when its repo starts with "oci://": kustomize then runs
// `helm pull oci://REPO/NAME --version VERSION` (sigs.k8s.io/kustomize/api v0.21.1,
// internal/builtins/HelmChartInflationGenerator.go, pullCommand), so the chart is
// repo + "/" + name and the version is Helm's, written with '+' as Helm-OCI sources are.
// Other repos are Helm repositories over HTTP and are passed over in silence; helmGlobals
// names no chart.
type KustomizationReader struct{}

// Kind names the files KustomizationReader reads.
func (KustomizationReader) Kind() string { return "kustomization" }

// Claims takes the files kustomize itself would read as a kustomization.
func (KustomizationReader) Claims(rel string, _ []byte) bool { return IsKustomization(rel) }

// The keys of one chart entry: helmCharts' and the deprecated generator's.
type chartKeys struct{ list, repo, name, version string }

var (
	helmChartsKeys = chartKeys{list: "helmCharts", repo: "repo", name: "name", version: "version"}
	generatorKeys  = chartKeys{list: "helmChartInflationGenerator", repo: "chartRepoUrl", name: "chartName", version: "chartVersion"}
)

// Read scans one kustomization.
func (KustomizationReader) Read(f File) (r FileScan) {
	r.file = f.Name
	r.digest = sha256.Sum256(f.Data)
	defer recoverParser(&r)
	mentions := bytes.Contains(f.Data, []byte(helmChartsKeys.list)) || bytes.Contains(f.Data, []byte(generatorKeys.list))
	docs, problem := parseDocuments(f.Data)
	switch {
	case problem != nil && mentions:
		// kustomize refuses it too: an error the run must show, like a broken Application.
		r.problems = append(r.problems, Problem{File: f.Name, Line: problem.Line, Message: "kustomization with helmCharts " + problem.Message + "; fix the YAML or exclude the file with --exclude"})
		return r
	case problem != nil:
		r.skipped = append(r.skipped, Skip{File: f.Name, Line: problem.Line, Reason: "kustomization without helmCharts that " + problem.Message})
		return r
	case !mentions:
		return r
	}
	dir := path.Dir(f.Name)
	index := newLineIndex(f.Data)
	for i, doc := range docs {
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		prefix := ""
		if len(docs) > 1 {
			prefix = "[doc " + strconv.Itoa(i+1) + "]."
		}
		root := doc.Content[0]
		for _, keys := range []chartKeys{helmChartsKeys, generatorKeys} {
			_, list := ownPair(root, keys.list)
			if list == nil || list.Kind != yaml.SequenceNode {
				continue
			}
			for j, item := range list.Content {
				readHelmChart(&r, index, item, prefix+keys.list+"["+strconv.Itoa(j)+"]", keys, dir, anchored(root, list, item))
			}
		}
	}
	return r
}

// readHelmChart reads one helmCharts entry into r.
func readHelmChart(r *FileScan, index *lineIndex, item *yaml.Node, p string, keys chartKeys, dir string, shared bool) {
	if item.Kind == yaml.AliasNode && item.Alias != nil {
		item, shared = item.Alias, true
	}
	if item.Kind != yaml.MappingNode {
		return
	}
	repo, name := scalarValue(lookup(item, keys.repo)), scalarValue(lookup(item, keys.name))
	if !strings.HasPrefix(repo, "oci://") {
		return // kustomize matches the scheme as written; anything else goes to helm --repo
	}
	skip := Skip{File: r.file, Line: line(item), Application: dir}
	if name == "" {
		r.problems = append(r.problems, Problem{File: r.file, Line: line(item), Message: p + " has an oci:// " + keys.repo + " but no " + keys.name + ": kustomize cannot tell which chart to pull"})
		return
	}
	ref, err := NormalizeChart(strings.TrimSuffix(repo, "/") + "/" + name)
	if err != nil {
		r.problems = append(r.problems, Problem{File: r.file, Line: line(item), Message: p + ": " + err.Error()})
		return
	}
	skip.Chart = ref
	v := readValue(index, item, keys.version, p+"."+keys.version, shared)
	if v.problem != "" {
		r.problems = append(r.problems, Problem{File: r.file, Line: line(v.value), Message: v.problem})
		return
	}
	if v.value == nil || strings.TrimSpace(v.value.Value) == "" {
		skip.Reason = "no " + keys.version + ": kustomize pulls the newest version each time it renders"
		r.skipped = append(r.skipped, skip)
		return
	}
	if templated(v.value.Value) {
		// Flux's postBuild substitution, a Terraform or envsubst template: the bytes here
		// are not the version, and editing them would break the substitution.
		skip.Line = v.value.Line
		skip.Reason = keys.version + " " + quote(v.value.Value) + " is templated: its value is only known after substitution"
		r.skipped = append(r.skipped, skip)
		return
	}
	src := Source{
		File:             r.file,
		Kind:             KindKustomization,
		Application:      dir,
		Chart:            ref,
		RepoURL:          repo,
		ChartName:        name,
		Form:             Kustomize,
		Revision:         strings.TrimSpace(v.value.Value),
		Constraint:       v.policy.constraint,
		ConstraintOrigin: v.policy.constraintOrigin,
		Ignore:           v.policy.ignore,
		IgnoreOrigin:     v.policy.ignoreOrigin,
		Location:         v.location,
	}
	if keys == generatorKeys {
		src.Warnings = append(src.Warnings, "helmChartInflationGenerator is deprecated: kustomize converts it to helmCharts, where chartRepoUrl, chartName and chartVersion are repo, name and version")
	}
	r.sources = append(r.sources, src)
}
