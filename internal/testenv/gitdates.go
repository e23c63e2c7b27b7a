package testenv

import (
	"testing"
	"time"
)

// CommitAt commits files (written over work tree dir) with author and committer time
// when, pushes the commit to branch of the clone's origin, and returns its SHA: history
// with the dates a test needs, such as a version that reached main three days ago.
func (s *GitServer) CommitAt(tb testing.TB, dir, branch string, files map[string]string, message string, when time.Time) string {
	tb.Helper()
	writeFiles(tb, dir, files)
	s.GitIn(tb, dir, "add", "--all")
	stamp := when.UTC().Format(time.RFC3339)
	// Later entries win in os/exec, so these override the server's clock.
	s.runEnv(tb, dir, append(s.dates(), "GIT_AUTHOR_DATE="+stamp, "GIT_COMMITTER_DATE="+stamp), "commit", "--quiet", "--allow-empty", "-m", message)
	s.GitIn(tb, dir, "push", "--quiet", "origin", "HEAD:refs/heads/"+branch)
	return s.GitIn(tb, dir, "rev-parse", "HEAD")
}
