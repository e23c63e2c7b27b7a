package github

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

func TestRateLimitIsWhatGitHubLastSaidOfTheRESTBudget(t *testing.T) {
	f := startFake(t, testenv.WithFakeGitHubRateLimit(10))
	f.SetAutoMergeAllowed(owner, repo, false)
	c, _ := newClient(t, f.URL)
	if _, _, known := c.RateLimit(); known {
		t.Fatal("the budget is known before GitHub was asked anything")
	}
	ctx := context.Background()
	for range 3 {
		if _, err := c.FindPullRequest(ctx, owner, repo, "promote/web", "main"); err != nil {
			t.Fatal(err)
		}
	}
	remaining, reset, known := c.RateLimit()
	if !known || remaining != 7 || time.Until(reset) < 50*time.Minute {
		t.Errorf("RateLimit = %d, %s, %v; want 7 left, renewed in about an hour", remaining, reset, known)
	}
	// GraphQL's budget is a separate one: its answers do not move the REST budget.
	pr, _, err := c.CreatePullRequest(ctx, owner, repo, NewPullRequest{Title: "t", Head: "promote/web", Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnableAutoMerge(ctx, pr.NodeID, "SQUASH"); !errors.Is(err, ErrAutoMergeUnavailable) {
		t.Fatalf("EnableAutoMerge = %v", err)
	}
	if remaining, _, _ := c.RateLimit(); remaining != 6 {
		t.Errorf("after a create and a GraphQL call, %d left; want 6 (the create only)", remaining)
	}
}

func TestRateLimitIsUnknownWithoutHeadersAndAfterTheReset(t *testing.T) {
	past := strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)
	for name, header := range map[string]http.Header{
		"GitHub Enterprise Server with rate limiting off": {},
		"a reset time that has passed":                    {"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {past}},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range header {
					w.Header()[k] = v
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte("[]"))
			}))
			t.Cleanup(srv.Close)
			c, _ := newClient(t, srv.URL)
			if _, err := c.FindPullRequest(context.Background(), owner, repo, "promote/web", "main"); err != nil {
				t.Fatal(err)
			}
			if remaining, _, known := c.RateLimit(); known {
				t.Errorf("RateLimit = %d, known; want unknown", remaining)
			}
		})
	}
}
