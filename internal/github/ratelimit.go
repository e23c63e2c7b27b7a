package github

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rateBudget remembers what GitHub last said of the REST API's primary rate limit, so that
// a caller can stop before it runs out rather than be refused half-way through a change.
// GitHub sends x-ratelimit-remaining and x-ratelimit-reset with every answer; GraphQL
// answers carry the graphql resource's budget, which is a separate one, and are not read.
type rateBudget struct {
	mu        sync.Mutex
	known     bool
	remaining int
	reset     time.Time
	now       func() time.Time
}

// observe records the rate-limit headers of resp, if it has them.
func (b *rateBudget) observe(resp *http.Response) {
	if resource := resp.Header.Get("X-Ratelimit-Resource"); resource != "" && resource != "core" {
		return
	}
	remaining, err := strconv.Atoi(resp.Header.Get("X-Ratelimit-Remaining"))
	if err != nil {
		return // GitHub Enterprise Server with rate limiting off sends none
	}
	reset, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64)
	if err != nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.known, b.remaining, b.reset = true, remaining, time.Unix(reset, 0)
}

// RateLimit returns the requests the REST API's primary rate limit still allows and when
// it is renewed, as of GitHub's latest answer; known is false before any answer said so,
// when GitHub does not limit the token, and once the renewal time has passed.
func (c *Client) RateLimit() (remaining int, reset time.Time, known bool) {
	b := c.budget
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.known || !b.now().Before(b.reset) {
		return 0, time.Time{}, false
	}
	return b.remaining, b.reset, true
}
