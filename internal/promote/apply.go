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
	edits := map[string][]manifest.Edit{}
	for _, c := range p.Changes {
		if c.edits() {
			edits[c.File] = append(edits[c.File], c.edit)
		}
	}
	type outcome struct {
		changed bool
		err     error
	}
	outcomes := make([]outcome, len(p.Files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(applyWorkers, len(p.Files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f := p.Files[i]
				changed, err := manifest.EditFile(filepath.Join(p.Dir, filepath.FromSlash(f.File)), f.digest, edits[f.File])
				outcomes[i] = outcome{changed, err}
			}
		}()
	}
	for i := range p.Files {
		next <- i
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
