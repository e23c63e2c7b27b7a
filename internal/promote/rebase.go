package promote

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
)

// commitFiles are what a group's commit writes (path → content) and removes, with paths
// relative to the repository root.
type commitFiles struct {
	write  map[string][]byte
	remove []string
}

// count is how many files the commit changes.
func (f commitFiles) count() int { return len(f.write) + len(f.remove) }

// files computes each changed file's new content on top of the base tip. When the base
// still holds the bytes the plan read, the planned edit is used; when the base moved
// under the run, the file is read again at the base and the edit is made there (a
// rebase), or the group fails cleanly. Every edit is proven by Rewrite's re-parse.
func (pr *proposer) files(base plumbing.Hash) (commitFiles, error) {
	out := map[string][]byte{}
	var removed []string
	byFile := map[string][]Change{}
	var charts []Change
	var order []string
	for _, c := range pr.group.changes {
		if c.dependency != nil {
			charts = append(charts, c)
			continue
		}
		if byFile[c.File] == nil {
			order = append(order, c.File)
		}
		byFile[c.File] = append(byFile[c.File], c)
	}
	for _, file := range order {
		repoPath := pr.deps.RepoPath(file)
		current, err := pr.deps.Git.ReadFile(base, repoPath)
		if errors.Is(err, os.ErrNotExist) {
			return commitFiles{}, fmt.Errorf("%s is not on %s: commit it, or plan against the base branch", file, pr.opts.Base)
		}
		if err != nil {
			return commitFiles{}, fmt.Errorf("read %s at %s: %w", file, pr.opts.Base, err)
		}
		edits, err := rebaseEdits(file, current, byFile[file], pr.plan.digest(file))
		if err != nil {
			return commitFiles{}, err
		}
		if len(edits) == 0 {
			continue
		}
		after, err := manifest.Rewrite(current, edits)
		if err != nil {
			return commitFiles{}, fmt.Errorf("%s: %w", file, err)
		}
		out[repoPath] = after
	}
	if len(charts) > 0 {
		var err error
		if removed, err = pr.chartFiles(base, charts, out); err != nil {
			return commitFiles{}, err
		}
	}
	return commitFiles{write: out, remove: removed}, nil
}

// chartFiles adds to out the Chart.yaml and Chart.lock files the group's dependency
// changes edit, computed on top of the base, and the vendored archives they add; it
// returns the archives they remove. A chart's files move together and the lock's digest
// covers both, so they are edited only when the base holds exactly what the plan read;
// otherwise the group fails and the next run plans from the new content.
func (pr *proposer) chartFiles(base plumbing.Hash, changes []Change, out map[string][]byte) ([]string, error) {
	read := func(file string) ([]byte, error) {
		data, err := pr.deps.Git.ReadFile(base, pr.deps.RepoPath(file))
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s is not on %s: commit it, or plan against the base branch", file, pr.opts.Base)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s at %s: %w", file, pr.opts.Base, err)
		}
		if sha256.Sum256(data) != pr.plan.digest(file) {
			return nil, fmt.Errorf("%s changed on the base branch during the run; re-run to plan again", file)
		}
		return data, nil
	}
	files, failures := editsFor(changes, nil, read, pr.opts.Now())
	if len(failures) > 0 {
		f := failures[0]
		return nil, fmt.Errorf("%s: %w", f.file, f.err)
	}
	var removed []string
	for _, f := range files {
		current, err := read(f.file)
		if err != nil {
			return nil, err
		}
		after, err := manifest.Rewrite(current, f.edits)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.file, err)
		}
		out[pr.deps.RepoPath(f.file)] = after
		for _, a := range f.archives {
			repoPath := pr.deps.RepoPath(a.file)
			there, err := pr.deps.Git.ReadFile(base, repoPath)
			switch {
			case a.data == nil && errors.Is(err, os.ErrNotExist):
				return nil, fmt.Errorf("%s is not on %s, which the change replaces: commit charts/, or plan against the base branch", a.file, pr.opts.Base)
			case err != nil && !errors.Is(err, os.ErrNotExist):
				return nil, fmt.Errorf("read %s at %s: %w", a.file, pr.opts.Base, err)
			case a.data == nil:
				removed = append(removed, repoPath)
			case err == nil && bytes.Equal(there, a.data):
				// Already on the base with these bytes: nothing to write.
			case err == nil:
				return nil, fmt.Errorf("%s is on %s already with other content than the chart layer the plan downloaded: remove it there (or run helm dependency build) and run again", a.file, pr.opts.Base)
			default:
				out[repoPath] = a.data
			}
		}
	}
	return removed, nil
}

// rebaseEdits returns the edits for one file as it stands at the base. If the base holds
// the bytes the plan read, they are the planned edits. Otherwise the file is scanned again
// and each change's value is found by its YAML path and chart: still at the old version,
// it is edited; already at the new one, it is dropped; anything else fails, because the
// tool will not guess what a human meant.
func rebaseEdits(file string, current []byte, changes []Change, planned [sha256.Size]byte) ([]manifest.Edit, error) {
	edits := make([]manifest.Edit, 0, len(changes))
	if sha256.Sum256(current) == planned {
		for _, c := range changes {
			edits = append(edits, c.edit)
		}
		return edits, nil
	}
	byPath := sourcesByPath(file, current)
	for _, c := range changes {
		s, ok := byPath[sourceKey{c.Path, c.Chart}]
		switch {
		case !ok:
			return nil, fmt.Errorf("%s changed on the base branch during the run and %s of %s is gone; re-run to plan again", file, c.Path, c.Chart)
		case s.Revision == c.To:
			continue
		case s.Revision != c.From:
			return nil, fmt.Errorf("%s changed on the base branch during the run: %s is now %q, not %q; re-run to plan again", file, c.Path, s.Revision, c.From)
		case s.Location.Problem != "":
			return nil, fmt.Errorf("%s:%d: %s", file, s.Location.Line, s.Location.Problem)
		}
		// The planned edit where the value now is: a digest pin keeps its comment.
		e := c.edit
		e.Location, e.Old = s.Location, c.From
		edits = append(edits, e)
	}
	return edits, nil
}

// sourceKey finds a source again in another version of its file: by its YAML path and
// chart, which an edit of the version leaves alone.
type sourceKey struct{ path, chart string }

// sourcesByPath scans one file's bytes and indexes its sources by sourceKey.
func sourcesByPath(file string, data []byte) map[sourceKey]manifest.Source {
	out := map[sourceKey]manifest.Source{}
	for _, s := range manifest.ScanFile(file, data).Sources() {
		out[sourceKey{s.Location.Path, s.Chart}] = s
	}
	return out
}
