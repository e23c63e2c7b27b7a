package github

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retryTransport retries what is safe to retry and waits out rate limits.
//
// A request GitHub rejected for a rate limit was not processed, so it is
// repeated whatever its method. A 5xx or a network error may hide a request
// that did take effect, so only requests that can be repeated without a
// second effect are retried: GET, HEAD, OPTIONS, PUT and DELETE, and calls
// the client marked with retrySafe (setting a title, moving a ref to a given
// commit, writing content-addressed Git objects). Creating a pull request or
// a comment is never repeated after a 5xx: the first one may exist already.
type retryTransport struct {
	next        http.RoundTripper
	maxAttempts int
	baseDelay   time.Duration
	maxWait     time.Duration // the longest rate-limit wait accepted
	sleep       func(ctx context.Context, d time.Duration) error
	now         func() time.Time
	// timeout bounds each attempt, from sending the request to closing its answer's
	// body, so a GitHub that accepts a connection and never answers costs one timeout
	// per attempt, not the whole run; 0 sets no bound.
	timeout time.Duration
	// budget records the rate limit every answer reports, if set.
	budget *rateBudget
}

// maxBackoff caps the exponential backoff between attempts after errors.
const maxBackoff = 30 * time.Second

// minSecondaryWait is what GitHub's rate-limit documentation asks a client
// to wait after a secondary rate limit that names no time.
const minSecondaryWait = time.Minute

type retrySafeKey struct{}

// retrySafe marks requests made with ctx as having the same effect however
// often they are repeated, so they may be retried after a 5xx or a network error.
func retrySafe(ctx context.Context) context.Context {
	return context.WithValue(ctx, retrySafeKey{}, true)
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 {
			var err error
			if r, err = rewind(req); err != nil {
				return nil, err
			}
		}
		resp, err := t.attempt(ctx, r)
		if err == nil && t.budget != nil {
			t.budget.observe(resp)
		}
		last := attempt >= t.maxAttempts || !rewindable(req)

		var wait time.Duration
		switch {
		case err != nil:
			if last || ctx.Err() != nil || !idempotent(req) {
				return nil, err
			}
			wait = t.backoff(attempt)
		case isRateLimited(resp):
			wait = t.rateLimitWait(resp)
			if wait > t.maxWait {
				drain(resp)
				until := t.now().Add(wait).UTC().Format(time.RFC3339)
				return nil, fmt.Errorf("%w: it asks to wait %s (until %s), more than the %s this client waits; try again after that, or allow longer waits",
					ErrRateLimited, wait.Round(time.Second), until, t.maxWait)
			}
			if last {
				return resp, nil
			}
		case isTransient(resp.StatusCode) && idempotent(req) && !last:
			wait = t.backoff(attempt)
			if d, ok := retryAfter(resp, t.now()); ok && d <= t.maxWait {
				wait = d
			}
		default:
			return resp, nil
		}
		if resp != nil {
			drain(resp)
		}
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// attempt sends r once, within the per-attempt timeout. The timeout's context lives until
// the answer's body is closed, so that reading the body is bounded too.
func (t *retryTransport) attempt(ctx context.Context, r *http.Request) (*http.Response, error) {
	if t.timeout <= 0 {
		return t.next.RoundTrip(r)
	}
	actx, cancel := context.WithTimeout(ctx, t.timeout)
	resp, err := t.next.RoundTrip(r.WithContext(actx))
	if err != nil {
		timedOut := actx.Err() != nil && ctx.Err() == nil
		cancel()
		if timedOut {
			return nil, fmt.Errorf("GitHub did not answer within the request timeout of %s: %w", t.timeout, err)
		}
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose releases an attempt's timeout when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// backoff is exponential from baseDelay with "equal jitter": half the delay
// is fixed, half random, so parallel runs that failed together spread out.
func (t *retryTransport) backoff(attempt int) time.Duration {
	d := min(t.baseDelay<<(attempt-1), maxBackoff)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// rateLimitWait follows GitHub's documented order: Retry-After first, then
// x-ratelimit-reset when no requests remain, otherwise at least a minute.
func (t *retryTransport) rateLimitWait(resp *http.Response) time.Duration {
	now := t.now()
	if d, ok := retryAfter(resp, now); ok {
		return d
	}
	if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			// The reset time has whole seconds and our clock is not
			// GitHub's; a second's margin avoids one wasted request.
			return max(time.Unix(reset, 0).Sub(now), 0) + time.Second
		}
	}
	return minSecondaryWait
}

// isRateLimited reports a primary or secondary rate limit. GitHub answers
// both with 403 or 429; a 403 is a rate limit only when its headers or its
// message say so, since it mostly means "no permission".
func isRateLimited(resp *http.Response) bool {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return false
	}
	if resp.StatusCode == http.StatusTooManyRequests ||
		resp.Header.Get("Retry-After") != "" ||
		resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		return true
	}
	return strings.Contains(strings.ToLower(peekBody(resp)), "rate limit")
}

// retryAfter parses Retry-After, which GitHub sends as seconds; the HTTP-date form is accepted too.
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(secs)*time.Second, 0), true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

func isTransient(code int) bool {
	switch code {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func idempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	safe, _ := req.Context().Value(retrySafeKey{}).(bool)
	return safe
}

// rewindable reports whether req's body, if any, can be sent again.
func rewindable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func rewind(req *http.Request) (*http.Request, error) {
	r := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("rewind request body for a retry: %w", err)
		}
		r.Body = body
	}
	return r, nil
}

// peekBody returns the start of resp's body and leaves the body readable from the beginning.
func peekBody(resp *http.Response) string {
	if resp.Body == nil {
		return ""
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	return string(head)
}

// drain reads a little of a response that will not be used, so that the
// connection can be reused, and closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}
