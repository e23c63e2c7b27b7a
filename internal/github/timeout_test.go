package github

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// hangingServer accepts every request and never answers, until the client leaves; it
// counts the requests by method.
func hangingServer(t *testing.T) (*httptest.Server, func(method string) int) {
	t.Helper()
	var mu sync.Mutex
	counts := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		mu.Lock()
		counts[r.Method]++
		mu.Unlock()
		// The server notices a client that left only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv, func(method string) int {
		mu.Lock()
		defer mu.Unlock()
		return counts[method]
	}
}

func TestEveryGitHubRequestHasADeadlineEvenWhenTheCallerSetsNone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		about string
		call  func(ctx context.Context, c *Client) error
		// method is the request's; attempts is how many it may take: a read is retried after
		// a timeout, a create is not (GitHub may have acted on it).
		method   string
		attempts int
	}{
		{about: "a read is retried, then fails", method: http.MethodGet, attempts: 2, call: func(ctx context.Context, c *Client) error {
			_, err := c.FindPullRequest(ctx, owner, repo, "promote/web", "main")
			return err
		}},
		{about: "a create is tried once", method: http.MethodPost, attempts: 1, call: func(ctx context.Context, c *Client) error {
			_, _, err := c.CreatePullRequest(ctx, owner, repo, NewPullRequest{Title: "t", Head: "promote/web", Base: "main"})
			return err
		}},
	} {
		t.Run(tc.about, func(t *testing.T) {
			t.Parallel()
			srv, count := hangingServer(t)
			c, _ := newClient(t, srv.URL, WithRetry(2, time.Millisecond), WithRequestTimeout(200*time.Millisecond))
			start := time.Now()
			err := tc.call(context.Background(), c) // no deadline of the caller's own
			took := time.Since(start)
			if err == nil || !strings.Contains(err.Error(), "did not answer within the request timeout of 200ms") {
				t.Errorf("error %v; want one naming the request timeout", err)
			}
			if took > 10*time.Second {
				t.Errorf("the call took %s", took)
			}
			if got := count(tc.method); got != tc.attempts {
				t.Errorf("%d %s requests, want %d", got, tc.method, tc.attempts)
			}
		})
	}
}
