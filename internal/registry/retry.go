package registry

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"oras.land/oras-go/v2/registry/remote/retry"
)

// Retry defaults: oras-go's backoff (250 ms × 2ⁿ, ±10 % jitter, five retries), and a longer
// ceiling so that a registry's Retry-After of some seconds is honoured rather than cut short.
const (
	DefaultRetries       = 5
	DefaultRetryDelay    = 250 * time.Millisecond
	DefaultRetryMaxDelay = 30 * time.Second
)

// retryPolicy is oras-go's GenericPolicy (exponential backoff with jitter, bounded retries)
// with one rule on top: a Retry-After on 503 Service Unavailable is honoured like one on
// 429 Too Many Requests, and a Retry-After longer than MaxWait ends the retries with a
// RetryAfterError instead of being silently shortened (oras-go clamps it to MaxWait, which
// only earns another refusal) or slept through.
type retryPolicy struct {
	retry.GenericPolicy
}

func newRetryPolicy(retries int, base, maxDelay time.Duration) *retryPolicy {
	return &retryPolicy{retry.GenericPolicy{
		Retryable: retryable,
		Backoff:   retry.ExponentialBackoff(base, 2, 0.1),
		MaxWait:   maxDelay,
		MaxRetry:  retries,
	}}
}

// Retry implements retry.Policy.
func (p *retryPolicy) Retry(attempt int, resp *http.Response, err error) (time.Duration, error) {
	if err == nil && attempt < p.MaxRetry && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if wait, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if wait > p.MaxWait {
				return -1, &RetryAfterError{Status: resp.StatusCode, Wait: wait, Max: p.MaxWait}
			}
			return wait, nil
		}
	}
	return p.GenericPolicy.Retry(attempt, resp, err)
}

// retryable is oras-go's DefaultPredicate (429, 408, 5xx, timeouts, a reset connection, an
// unexpected EOF) plus a connection closed before any answer (io.EOF), which net/http only
// retries by itself on a reused connection. Only GET and HEAD ever reach it (see
// idempotentRetry), so repeating them is safe.
func retryable(resp *http.Response, err error) (bool, error) {
	if err != nil && errors.Is(err, io.EOF) {
		return true, nil
	}
	return retry.DefaultPredicate(resp, err)
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
func retryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second) // no overflow; any such wait is refused anyway
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(value); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// RetryAfterError reports a registry that asked to be retried later than the client is
// willing to wait.
type RetryAfterError struct {
	// Status is the HTTP status that carried the Retry-After header (429 or 503).
	Status int
	// Wait is how long the registry asked to wait; Max is the longest the client waits.
	Wait, Max time.Duration
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("the registry answered %d %s and asked to be retried after %s, longer than the %s this client waits: try again later",
		e.Status, http.StatusText(e.Status), e.Wait, e.Max)
}

// idempotentRetry retries GET and HEAD requests through retrying and sends every other
// request once through direct: a request that may have changed something is never repeated
// blindly. (The client only reads, but the token endpoint takes POSTs.)
type idempotentRetry struct {
	retrying *retry.Transport
	direct   http.RoundTripper
}

func (t *idempotentRetry) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		return t.retrying.RoundTrip(req)
	}
	return t.direct.RoundTrip(req)
}
