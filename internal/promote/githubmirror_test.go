package promote_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/github"
)

// githubMirror makes the fake GitHub and the Git server one store, as they are one in
// reality: GitHub is taught the Git server's main commit by a mirror commit of the same
// files, and every request that names main's SHA is pointed at the mirror.
type githubMirror struct {
	mu       sync.Mutex
	from, to string
}

func (m *githubMirror) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		from, to := m.from, m.to
		m.mu.Unlock()
		if from != "" {
			r.URL.Path, r.URL.RawPath = strings.ReplaceAll(r.URL.Path, from, to), ""
			if r.Body != nil {
				body, err := io.ReadAll(r.Body)
				if err != nil {
					http.Error(rw, err.Error(), http.StatusBadRequest)
					return
				}
				body = bytes.ReplaceAll(body, []byte(from), []byte(to))
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			}
		}
		next.ServeHTTP(rw, r)
	})
}

// mirror commits w's files to GitHub's main and starts pointing main's SHA at it.
func (m *githubMirror) mirror(t *testing.T, w *gitops) string {
	t.Helper()
	client, err := github.New(w.gh.URL, gitopsToken)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for name, content := range w.files {
		files[name] = []byte(content)
	}
	sha, err := client.CreateCommit(t.Context(), gitopsOwner, gitopsName, w.gh.Ref(gitopsOwner, gitopsName, "main"), files, "Initial commit")
	if err != nil {
		t.Fatal(err)
	}
	w.gh.SetRef(gitopsOwner, gitopsName, "main", sha)
	m.mu.Lock()
	m.from, m.to = w.bare("rev-parse", "refs/heads/main"), sha
	m.mu.Unlock()
	return sha
}
