// Package github opens and updates promotion pull requests on GitHub and
// GitHub Enterprise Server, and writes commits through the Git database API
// so that GitHub signs them.
//
// It is a thin layer over go-github: what it adds is the behaviour a bot
// needs to survive GitHub at scale — retries with backoff, waiting out rate
// limits, adopting a pull request a parallel run opened first, and a lease on
// branch updates.
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v93/github"
)

// ErrLeaseRejected reports that a branch was not where the caller expected it, so it was left alone.
var ErrLeaseRejected = errors.New("branch moved since it was read; re-read it and try again")

// ErrAutoMergeUnavailable reports that GitHub refused to enable auto-merge for reasons of repository or pull request state, not of the request.
var ErrAutoMergeUnavailable = errors.New("auto-merge is unavailable")

// ErrRateLimited reports that GitHub asked the client to wait longer than it is allowed to.
var ErrRateLimited = errors.New("rate limited by GitHub")

// Client talks to one GitHub or GitHub Enterprise Server instance. It is safe for concurrent use.
type Client struct {
	gh         *gh.Client
	graphQLURL string
	budget     *rateBudget
}

// Option configures a Client.
type Option func(*options)

type options struct {
	httpClient  *http.Client
	userAgent   string
	maxAttempts int
	baseDelay   time.Duration
	maxWait     time.Duration
	timeout     time.Duration
	sleep       func(ctx context.Context, d time.Duration) error
}

// DefaultRequestTimeout is how long one attempt of a request may take unless WithRequestTimeout says otherwise.
const DefaultRequestTimeout = 30 * time.Second

// WithHTTPClient sends requests through client's transport, timeout and cookie jar instead of http.DefaultTransport.
func WithHTTPClient(client *http.Client) Option {
	return func(o *options) { o.httpClient = client }
}

// WithUserAgent sets the User-Agent header, which GitHub asks integrations to set to something that identifies them.
func WithUserAgent(ua string) Option {
	return func(o *options) { o.userAgent = ua }
}

// WithRetry makes at most maxAttempts attempts per request (default 4), backing off exponentially from baseDelay (default 500 ms).
func WithRetry(maxAttempts int, baseDelay time.Duration) Option {
	return func(o *options) {
		o.maxAttempts = max(maxAttempts, 1)
		o.baseDelay = max(baseDelay, 0)
	}
}

// WithMaxWait bounds how long the client waits for a rate limit to lift (default one minute) before it gives up with ErrRateLimited.
func WithMaxWait(d time.Duration) Option {
	return func(o *options) { o.maxWait = max(d, 0) }
}

// WithRequestTimeout bounds each attempt of a request, from sending it to reading its answer (default DefaultRequestTimeout; 0: no bound); an attempt that times out is retried like a dropped connection, if the request is safe to repeat.
func WithRequestTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = max(d, 0) }
}

// WithSleep replaces the function that waits between attempts; tests use it to record waits instead of sleeping.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(o *options) { o.sleep = sleep }
}

// New returns a client for apiURL ("https://api.github.com", or "https://HOST/api/v3" for GitHub Enterprise Server), authenticating with token.
func New(apiURL, token string, opts ...Option) (*Client, error) {
	if token == "" {
		return nil, errors.New("no GitHub token: pass a token with contents and pull-requests write permission (in Actions, ${{ github.token }})")
	}
	rest, graphQL, err := endpoints(apiURL)
	if err != nil {
		return nil, err
	}
	o := options{
		userAgent:   "chart-promoter",
		maxAttempts: 4,
		baseDelay:   500 * time.Millisecond,
		maxWait:     time.Minute,
		timeout:     DefaultRequestTimeout,
		sleep:       sleepContext,
	}
	for _, opt := range opts {
		opt(&o)
	}

	var hc http.Client
	if o.httpClient != nil {
		hc = *o.httpClient
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	budget := &rateBudget{now: time.Now}
	hc.Transport = &retryTransport{
		next:        next,
		maxAttempts: o.maxAttempts,
		baseDelay:   o.baseDelay,
		maxWait:     o.maxWait,
		sleep:       o.sleep,
		now:         time.Now,
		timeout:     o.timeout,
		budget:      budget,
	}

	// go-github adds the token itself, and only to requests for the
	// configured origin, so a URL taken from a response cannot leak it.
	// Its own rate-limit bookkeeping is off: it would refuse requests
	// locally without ever reaching retryTransport, which is the one place
	// that decides whether to wait.
	client, err := gh.NewClient(
		gh.WithHTTPClient(&hc),
		gh.WithAuthToken(token),
		gh.WithURLs(&rest, &rest),
		gh.WithUserAgent(o.userAgent),
		gh.WithDisableRateLimitCheck(),
	)
	if err != nil {
		return nil, fmt.Errorf("set up GitHub client for %s: %w", rest, err)
	}
	return &Client{gh: client, graphQLURL: graphQL, budget: budget}, nil
}

// endpoints derives the REST base URL (with the trailing slash go-github
// needs) and the GraphQL URL from a REST API URL. GitHub.com serves GraphQL
// beside REST at /graphql; GitHub Enterprise Server serves REST under
// /api/v3 and GraphQL at /api/graphql.
func endpoints(apiURL string) (rest, graphQL string, err error) {
	u, err := url.Parse(strings.TrimSpace(apiURL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", "", fmt.Errorf("GitHub API URL %q is not an http(s) URL: use https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server", apiURL)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("GitHub API URL %q must not carry credentials, a query or a fragment: pass the token separately", u.Redacted())
	}
	path := strings.TrimRight(u.Path, "/")
	u.Path, u.RawPath = path+"/", ""
	rest = u.String()
	if prefix, ok := strings.CutSuffix(path, "/api/v3"); ok {
		u.Path = prefix + "/api/graphql"
	} else {
		u.Path = path + "/graphql"
	}
	return rest, u.String(), nil
}

// sleepContext waits for d or until ctx is done, whichever comes first.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// errorResponse returns GitHub's error body behind err, if there is one.
func errorResponse(err error) (*gh.ErrorResponse, bool) {
	var e *gh.ErrorResponse
	if errors.As(err, &e) && e.Response != nil {
		return e, true
	}
	return nil, false
}

// hasStatus reports whether err is GitHub answering with HTTP status code.
func hasStatus(err error, code int) bool {
	e, ok := errorResponse(err)
	return ok && e.Response.StatusCode == code
}

// validationMessage reports whether err is a 422 whose message, or one of
// whose validation errors, starts with prefix.
func validationMessage(err error, prefix string) bool {
	e, ok := errorResponse(err)
	if !ok || e.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	if strings.HasPrefix(e.Message, prefix) {
		return true
	}
	for _, v := range e.Errors {
		if strings.HasPrefix(v.Message, prefix) {
			return true
		}
	}
	return false
}
