package gitrepo_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

func TestGitOperationsGiveUpWhenTheContextEndsOnAHangingRemote(t *testing.T) {
	t.Parallel()
	// Once armed, the server accepts requests and never answers, until the client leaves.
	var hang atomic.Bool
	hanging := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hang.Load() {
				<-r.Context().Done()
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	srv := startFleet(t, testenv.WithGitMiddleware(hanging))
	dir := srv.Clone(t, repoName, testenv.CloneDepth(1))
	repo := open(t, dir)
	c := commitFiles(t, repo, head(t, repo), map[string]string{"apps/web/app.yaml": "targetRevision: 1.1.0\n"})
	hang.Store(true)

	for name, op := range map[string]func(ctx context.Context) error{
		"fetch": func(ctx context.Context) error { return repo.Fetch(ctx, "main") },
		"list":  func(ctx context.Context) error { _, _, err := repo.RemoteBranch(ctx, "main"); return err },
		"push": func(ctx context.Context) error {
			return repo.Push(ctx, "chart-promoter/hung", c, plumbing.ZeroHash)
		},
		"push with a lease": func(ctx context.Context) error {
			return repo.Push(ctx, "main", c, head(t, repo))
		},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		start := time.Now()
		err := op(ctx)
		took := time.Since(start)
		cancel()
		// Generous: the point is that it ends with the context, not after minutes.
		if err == nil || !errors.Is(err, context.DeadlineExceeded) || took > 10*time.Second {
			t.Errorf("%s on a hanging remote: %v after %s; want context.DeadlineExceeded soon after 300ms", name, err, took.Round(time.Millisecond))
		}
		if err != nil && !strings.Contains(err.Error(), "remote \"origin\"") {
			t.Errorf("%s: %v; want the error to name the remote", name, err)
		}
	}
	if got := serverTip(t, srv, "chart-promoter/hung"); got != "" {
		t.Errorf("the branch exists at %s", got)
	}
}
