package manifest

import (
	"bytes"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/chart-promoter/chart-promoter/internal/version"
)

// A Helm chart may vendor its dependencies: `helm dependency build` downloads each into
// the chart's charts/ directory, named as Helm's ChartDownloader.DownloadTo names a
// chart pulled from an OCI registry, the repository's last path segment (the chart's
// name, never a dependency's alias) and the version, NAME-VERSION.tgz, with the version
// in Helm's spelling ("redis-1.1.0+b.7.tgz"). Two dependencies on one chart at one
// version (an alias beside the chart) share one archive: the downloader fetches each URL
// once. Its safeMoveDeps then deletes every other archive of charts/.

// ArchiveName is the file name Helm gives the vendored archive of chart name at version
// in charts/.
func ArchiveName(name, version string) string { return name + "-" + version + ".tgz" }

// CheckArchive confirms with Helm's own loader that data is the archive of chart name at
// version: a vendored archive whose Chart.yaml said anything else would not be the
// dependency Chart.lock records.
func CheckArchive(data []byte, name, version string) error {
	c, err := loader.LoadArchive(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("the archive does not load in Helm: %w", err)
	}
	if c.Metadata == nil || c.Metadata.Name != name || c.Metadata.Version != version {
		got := "no Chart.yaml"
		if c.Metadata != nil {
			got = c.Metadata.Name + " " + c.Metadata.Version
		}
		return fmt.Errorf("the archive holds %s, not %s %s", got, name, version)
	}
	return nil
}

// ArchiveUse is which archives of a chart's charts/ its dependencies use.
type ArchiveUse struct {
	exact  map[string]bool
	ranged map[string]bool
}

// Uses reports whether the archive file name (no directory) is one a dependency uses:
// NAME-VERSION.tgz of a dependency's locked (or exact) version, or any NAME-*.tgz of a
// chart depended on with a range that no Chart.lock settles.
func (u ArchiveUse) Uses(file string) bool {
	if u.exact[file] {
		return true
	}
	for name := range u.ranged {
		if strings.HasPrefix(file, name+"-") && strings.HasSuffix(file, ".tgz") {
			return true
		}
	}
	return false
}

// ArchivesInUse reads which vendored archives the chart whose Chart.yaml and Chart.lock
// hold these bytes uses (lock is nil for a chart without one), as Helm's loader reads
// both files: the lock's versions where there is a lock, Chart.yaml's otherwise.
func ArchivesInUse(chartYAML, lock []byte) (ArchiveUse, error) {
	files := []*loader.BufferedFile{{Name: ChartFileName, Data: chartYAML}}
	if lock != nil {
		files = append(files, &loader.BufferedFile{Name: LockFileName, Data: lock})
	}
	c, err := loader.LoadFiles(files)
	if err != nil {
		return ArchiveUse{}, fmt.Errorf("the chart does not load in Helm: %w", err)
	}
	use := ArchiveUse{exact: map[string]bool{}, ranged: map[string]bool{}}
	if c.Lock != nil {
		for _, d := range c.Lock.Dependencies {
			use.exact[ArchiveName(d.Name, d.Version)] = true
		}
		return use, nil
	}
	for _, d := range c.Metadata.Dependencies {
		if version.Classify(d.Version) == version.Pin {
			use.exact[ArchiveName(d.Name, d.Version)] = true
		} else {
			use.ranged[d.Name] = true
		}
	}
	return use, nil
}
