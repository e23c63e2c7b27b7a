package stage

import (
	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// SourceVersion reads, with the same discovery code as a plan, the version that the source
// of chart at YAML path yamlPath (e.g. "spec.source.targetRevision") names in a revision
// of file. A revision where that source is gone, or does not name an exact version, ends
// the history that counts. The file is read by the reader discovery picks for its name
// (a kustomization's helmCharts, a Chart.yaml's dependencies, else Argo CD manifests), on
// its own: a revision has no neighbours, so a dependency whose version Chart.yaml gives
// as a range, which only its Chart.lock pins, names no version.
func SourceVersion(file, chart, yamlPath string) VersionIn {
	return func(content []byte) (version.Version, bool) {
		for _, src := range manifest.ScanFile(file, content).Sources() {
			if src.Chart != chart || src.Location.Path != yamlPath {
				continue
			}
			if version.Classify(src.Revision) != version.Pin {
				return version.Version{}, false
			}
			v, err := version.ParseRevision(src.Revision)
			return v, err == nil
		}
		return version.Version{}, false
	}
}
