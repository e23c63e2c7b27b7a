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
// leaves only temporary files the next run removes. A chart's Chart.yaml, Chart.lock and
// the vendored archives its change replaces are written together (manifest.WriteBundle)
// or not at all. It returns the files written (archives added and removed among them)
// and the failures, in the order of Files; the failures are also appended to the plan's
// Errors.
func (p *Plan) Apply() (written []string, failed []Error) {
	// A file on its own is one job; a chart's Chart.yaml, Chart.lock and archives are one
	// job too, written only if all can be.
	type job struct{ files, archives []int }
	var jobs []*job
	bundles := map[string]*job{}
	inBundle := func(bundle string) *job {
		j, ok := bundles[bundle]
		if !ok {
			j = &job{}
			bundles[bundle] = j
			jobs = append(jobs, j)
		}
		return j
	}
	for i, f := range p.Files {
		if f.bundle == "" {
			jobs = append(jobs, &job{files: []int{i}})
			continue
		}
		j := inBundle(f.bundle)
		j.files = append(j.files, i)
	}
	for i, a := range p.Archives {
		j := inBundle(a.bundle)
		j.archives = append(j.archives, i)
	}
	type outcome struct {
		changed bool
		err     error
	}
	outcomes := make([]outcome, len(p.Files))
	archived := make([]outcome, len(p.Archives))
	next := make(chan *job)
	var wg sync.WaitGroup
	for range min(applyWorkers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				if len(j.files) == 1 && len(j.archives) == 0 {
					f := p.Files[j.files[0]]
					changed, err := manifest.EditFile(filepath.Join(p.Dir, filepath.FromSlash(f.File)), f.digest, f.edits)
					outcomes[j.files[0]] = outcome{changed, err}
					continue
				}
				var b manifest.Bundle
				for _, i := range j.files {
					f := p.Files[i]
					b.Edits = append(b.Edits, manifest.FileEdits{Path: p.path(f.File), Digest: f.digest, Edits: f.edits})
				}
				var adds, removes []int
				for _, i := range j.archives {
					a := p.Archives[i]
					if a.Removed() {
						removes = append(removes, i)
						b.Remove = append(b.Remove, manifest.Removal{Path: p.path(a.File), Digest: a.digest})
					} else {
						adds = append(adds, i)
						b.Add = append(b.Add, manifest.NewFile{Path: p.path(a.File), Data: a.Data, Perm: 0o644})
					}
				}
				res, err := manifest.WriteBundle(b)
				for k, i := range j.files {
					outcomes[i] = outcome{changed: res.Edited[k], err: err}
				}
				for k, i := range adds {
					archived[i] = outcome{changed: res.Added[k], err: err}
				}
				for k, i := range removes {
					archived[i] = outcome{changed: res.Removed[k], err: err}
				}
			}
		}()
	}
	for _, j := range jobs {
		next <- j
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
	for i, o := range archived {
		switch {
		case o.err != nil && len(bundles[p.Archives[i].bundle].files) == 0:
			// Reported here only when no file of its chart reports the failure.
			failed = append(failed, Error{File: p.Archives[i].File, Message: fmt.Sprintf("not written: %v", o.err)})
		case o.err == nil && o.changed:
			written = append(written, p.Archives[i].File)
		}
	}
	p.Errors = append(p.Errors, failed...)
	return written, failed
}

// path is a file of the plan, relative to Dir, on disk.
func (p *Plan) path(file string) string { return filepath.Join(p.Dir, filepath.FromSlash(file)) }
