package stage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// History is what the soak clock needs from Git: the revisions of one file on the base
// branch's first-parent line, newest first. *gitrepo.Repo has it; a GitHub API reader is
// the fallback for a clone too shallow to answer.
type History interface {
	FileHistory(ctx context.Context, from plumbing.Hash, path string, visit func(gitrepo.FileRevision) (bool, error)) error
}

// VersionIn reads the version the upstream source names in one revision of its file; ok is
// false when the file no longer holds that source (deleted, moved, or not a pin).
type VersionIn func(content []byte) (v version.Version, ok bool)

// MaxRevisions bounds how far back one file's history is read: far enough for any soak
// time in practice, short enough that a file edited every hour for years costs little.
const MaxRevisions = 500

// ReadRuns walks path's history from the base branch commit and returns its runs of
// versions, newest first. The walk stops at the first revision where the source was
// absent or not a version (an older run cannot be the upstream's any more), after the
// run of a version no newer than stopAt (nothing older can matter to a downstream already
// there), or after MaxRevisions.
func ReadRuns(ctx context.Context, h History, base plumbing.Hash, path string, read VersionIn, stopAt *version.Version) ([]Run, error) {
	var runs []Run
	var end time.Time // start of the newer run, the end of the one being read
	count := 0
	err := h.FileHistory(ctx, base, path, func(rev gitrepo.FileRevision) (bool, error) {
		count++
		v, ok := version.Version{}, false
		if rev.Exists {
			v, ok = read(rev.Content)
		}
		if !ok {
			return false, nil
		}
		if n := len(runs); n > 0 && version.Compare(runs[n-1].Version.SemVer, v.SemVer) == 0 {
			// The same version, an unrelated edit of the file: the run began earlier.
			runs[n-1].Start = rev.When
		} else {
			if n > 0 {
				if stopAt != nil && version.Compare(runs[n-1].Version.SemVer, stopAt.SemVer) <= 0 {
					return false, nil // that run is complete, and nothing older matters
				}
				end = runs[n-1].Start
			}
			runs = append(runs, Run{Version: v, Start: rev.When, End: end})
		}
		return count < MaxRevisions, nil
	})
	var shallow *gitrepo.ShallowError
	if errors.As(err, &shallow) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err != nil {
		return nil, err
	}
	return runs, nil
}
