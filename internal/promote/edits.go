package promote

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
)

// fileEdits is the edits of one file that a set of changes makes.
type fileEdits struct {
	file  string
	edits []manifest.Edit
	// changes are the indexes of the changes the edits carry.
	changes []int
	// bundle names the files that stand or fall together: a chart's Chart.yaml and its
	// Chart.lock (whose digest covers both) share their Chart.yaml's path; "" for a file
	// on its own.
	bundle string
	// archives are the vendored archives a chart's changes add and remove, and replaced
	// each change's replacement by its index; set on the chart's Chart.yaml only.
	archives []archiveOp
	replaced map[int]*ArchiveReplacement
}

// fileFailure is a file whose edits could not be computed, and the changes it costs.
type fileFailure struct {
	file    string
	line    int
	err     error
	changes []int
}

// editsFor computes the edits of every file changes touch, reading each file as it
// stands with read. A change's own edit serves Argo CD manifests and kustomizations; a
// Helm chart's dependencies are moved together, Chart.yaml and Chart.lock in one go
// (manifest.DependencyEdits), the lock's digest computed over all of them and generated
// set to now. Only the changes make says make edits (nil: all of them); the others are
// still carried, so that a failure costs them too. Files come out in file order; a
// failure costs every change of its file (or of its chart, for a chart's pair).
func editsFor(changes []Change, makes func(Change) bool, read func(file string) ([]byte, error), now time.Time) ([]fileEdits, []fileFailure) {
	if makes == nil {
		makes = func(Change) bool { return true }
	}
	var out []fileEdits
	var failures []fileFailure
	index := map[string]int{}
	add := func(file, bundle string, edits []manifest.Edit, which []int) {
		i, ok := index[file]
		if !ok {
			i = len(out)
			index[file] = i
			out = append(out, fileEdits{file: file, bundle: bundle})
		}
		out[i].edits = append(out[i].edits, edits...)
		out[i].changes = append(out[i].changes, which...)
	}
	charts := map[string][]int{}
	var chartOrder []string
	for i, c := range changes {
		if c.dependency == nil {
			var edits []manifest.Edit
			if makes(c) {
				edits = []manifest.Edit{c.edit}
			}
			add(c.File, "", edits, []int{i})
			continue
		}
		if !makes(c) {
			add(c.File, c.File, nil, []int{i})
			continue
		}
		if charts[c.File] == nil {
			chartOrder = append(chartOrder, c.File)
		}
		charts[c.File] = append(charts[c.File], i)
	}
	for _, file := range chartOrder {
		which := charts[file]
		edits, lockFile, lockEdits, archives, replaced, err := chartEdits(changes, which, file, read, now)
		if err != nil {
			line := 0
			var refused *manifest.RefusedError
			if errors.As(err, &refused) {
				line = refused.Line
			}
			failures = append(failures, fileFailure{file: file, line: line, err: err, changes: which})
			continue
		}
		add(file, file, edits, which)
		out[index[file]].archives, out[index[file]].replaced = archives, replaced
		if lockFile != "" {
			add(lockFile, file, lockEdits, nil)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].file < out[j].file })
	return out, failures
}

// chartEdits moves the dependencies changes[which] of the chart whose Chart.yaml is file,
// with the vendored archives those that replace one add and remove.
func chartEdits(changes []Change, which []int, file string, read func(string) ([]byte, error), now time.Time) (edits []manifest.Edit, lockFile string, lockEdits []manifest.Edit, archives []archiveOp, replaced map[int]*ArchiveReplacement, err error) {
	chartYAML, err := read(file)
	if err != nil {
		return nil, "", nil, nil, nil, err
	}
	moves := make([]manifest.Move, 0, len(which))
	for _, i := range which {
		c := changes[i]
		moves = append(moves, manifest.Move{Source: *c.dependency, To: c.To})
		if c.dependency.Dependency.LockFile != "" {
			lockFile = c.dependency.Dependency.LockFile
		}
	}
	var lock []byte
	if lockFile != "" {
		if lock, err = read(lockFile); err != nil {
			return nil, "", nil, nil, nil, fmt.Errorf("%s: %w", lockFile, err)
		}
	}
	edits, lockEdits, err = manifest.DependencyEdits(chartYAML, lock, moves, now)
	if err != nil {
		return nil, "", nil, nil, nil, err
	}
	if !replacesArchive(changes, which) {
		return edits, lockFile, lockEdits, nil, nil, nil
	}
	chartAfter, err := manifest.Splice(chartYAML, edits)
	if err != nil {
		return nil, "", nil, nil, nil, err
	}
	var lockAfter []byte
	if lock != nil {
		if lockAfter, err = manifest.Splice(lock, lockEdits); err != nil {
			return nil, "", nil, nil, nil, fmt.Errorf("%s: %w", lockFile, err)
		}
	}
	if archives, replaced, err = chartArchives(changes, which, file, chartAfter, lockAfter); err != nil {
		return nil, "", nil, nil, nil, err
	}
	return edits, lockFile, lockEdits, archives, replaced, nil
}

// replacesArchive reports whether any of changes[which] replaces a vendored archive.
func replacesArchive(changes []Change, which []int) bool {
	for _, i := range which {
		if changes[i].vendored != nil {
			return true
		}
	}
	return false
}
