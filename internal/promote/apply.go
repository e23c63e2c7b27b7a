package promote

import (
	"fmt"
	"path/filepath"
	"sync"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
)

// applyWorkers bounds the files written at once. Each write ends in an fsync, which waits
// for the disk; several in flight let the file system commit them together, which on a
// journaling file system roughly halves the time of a fleet's apply.
const applyWorkers = 8

// Apply writes the plan's edits to disk, file by file. A file whose bytes changed since
// the plan read them is refused and left alone; every other file is still written. Each
// file is replaced atomically, so none is ever half-written, and a run killed meanwhile
// leaves only temporary files the next run removes. It returns the files written and the
// failures, in the order of Files; the failures are also appended to the plan's Errors.
func (p *Plan) Apply() (written []string, failed []Error) {
	// A file on its own is one job; a chart's Chart.yaml and Chart.lock are one job too,
	// written only if both can be.
	var jobs [][]int
	bundles := map[string]int{}
	for i, f := range p.Files {
		if f.bundle == "" {
			jobs = append(jobs, []int{i})
			continue
		}
		j, ok := bundles[f.bundle]
		if !ok {
			j = len(jobs)
			bundles[f.bundle] = j
			jobs = append(jobs, nil)
		}
		jobs[j] = append(jobs[j], i)
	}
	type outcome struct {
		changed bool
		err     error
	}
	outcomes := make([]outcome, len(p.Files))
	next := make(chan []int)
	var wg sync.WaitGroup
	for range min(applyWorkers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range next {
				if len(job) == 1 {
					f := p.Files[job[0]]
					changed, err := manifest.EditFile(filepath.Join(p.Dir, filepath.FromSlash(f.File)), f.digest, f.edits)
					outcomes[job[0]] = outcome{changed, err}
					continue
				}
				specs := make([]manifest.FileEdits, len(job))
				for k, i := range job {
					f := p.Files[i]
					specs[k] = manifest.FileEdits{Path: filepath.Join(p.Dir, filepath.FromSlash(f.File)), Digest: f.digest, Edits: f.edits}
				}
				changed, err := manifest.EditFiles(specs)
				for k, i := range job {
					outcomes[i] = outcome{err: err}
					if k < len(changed) {
						outcomes[i].changed = changed[k]
					}
				}
			}
		}()
	}
	for _, job := range jobs {
		next <- job
	}
	close(next)
	wg.Wait()
	for i, o := range outcomes {
		switch {
		case o.err != nil:
			failed = append(failed, Error{File: p.Files[i].File, Message: fmt.Sprintf("not written: %v", o.err)})
		case o.changed:
			written = append(written, p.Files[i].File)
		}
	}
	p.Errors = append(p.Errors, failed...)
	return written, failed
}
