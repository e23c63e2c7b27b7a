package promote

import (
	"fmt"
	"path/filepath"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
)

// Apply writes the plan's edits to disk, file by file. A file whose bytes changed since
// the plan read them is refused and left alone; every other file is still written. Each
// file is replaced atomically, so none is ever half-written. It returns the files
// written and the failures, which are also appended to the plan's Errors.
func (p *Plan) Apply() (written []string, failed []Error) {
	edits := map[string][]manifest.Edit{}
	for _, c := range p.Changes {
		edits[c.File] = append(edits[c.File], c.edit)
	}
	for _, f := range p.Files {
		changed, err := manifest.EditFile(filepath.Join(p.Dir, filepath.FromSlash(f.File)), f.digest, edits[f.File])
		if err != nil {
			failed = append(failed, Error{File: f.File, Message: fmt.Sprintf("not written: %v", err)})
			continue
		}
		if changed {
			written = append(written, f.File)
		}
	}
	p.Errors = append(p.Errors, failed...)
	return written, failed
}
