package registry

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"time"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
)

type options struct {
	credential     auth.CredentialFunc
	plainHTTP      bool
	rootCAs        *x509.CertPool
	transport      http.RoundTripper
	mirrors        mirrors
	userAgent      string
	requestTimeout time.Duration
	retries        int
	retryDelay     time.Duration
	retryMaxDelay  time.Duration
}

// Option configures a Client.
type Option func(*options) error

// WithCredentials makes the client log in with credentials from store, looked up by the
// host of each request: a registry's credentials never go to another host.
func WithCredentials(store credentials.Store) Option {
	return func(o *options) error {
		o.credential = credentials.Credential(store)
		return nil
	}
}

// WithPlainHTTP talks HTTP instead of HTTPS to every registry, like helm's --plain-http.
func WithPlainHTTP(plain bool) Option {
	return func(o *options) error {
		o.plainHTTP = plain
		return nil
	}
}

// WithCAFile trusts the PEM certificates in file in addition to the system roots.
func WithCAFile(file string) Option {
	return func(o *options) error {
		if file == "" {
			return nil
		}
		pool, err := loadCertPool(file)
		o.rootCAs = pool
		return err
	}
}

// WithRootCAs replaces the trusted roots (tests use it for an in-process registry).
func WithRootCAs(pool *x509.CertPool) Option {
	return func(o *options) error {
		o.rootCAs = pool
		return nil
	}
}

// WithTransport sets the HTTP transport under the retry and auth layers.
func WithTransport(rt http.RoundTripper) Option {
	return func(o *options) error {
		o.transport = rt
		return nil
	}
}

// WithMirrors resolves charts through mirrors given as "HOST[/PATH]=TARGET" (see ParseMirror).
func WithMirrors(specs ...string) Option {
	return func(o *options) error {
		for _, s := range specs {
			m, err := ParseMirror(s)
			if err != nil {
				return err
			}
			o.mirrors = append(o.mirrors, m)
		}
		return nil
	}
}

// WithUserAgent sets the User-Agent header sent to registries.
func WithUserAgent(ua string) Option {
	return func(o *options) error {
		o.userAgent = ua
		return nil
	}
}

// WithRequestTimeout bounds how long one request may wait for a response's headers.
func WithRequestTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d > 0 {
			o.requestTimeout = d
		}
		return nil
	}
}

// WithRetry sets how GET and HEAD requests that fail with 429, 408, 5xx, a timeout or a
// dropped connection are retried: at most retries times (0: never), after baseDelay × 2ⁿ
// with ±10 % jitter, each wait at most maxDelay. A Retry-After on 429 or 503 is waited
// for instead, unless it is longer than maxDelay: then the request fails at once with a
// RetryAfterError. The defaults are DefaultRetries, DefaultRetryDelay and DefaultRetryMaxDelay.
func WithRetry(retries int, baseDelay, maxDelay time.Duration) Option {
	return func(o *options) error {
		if retries < 0 || baseDelay <= 0 || maxDelay < baseDelay {
			return fmt.Errorf("retries: want at least 0 retries and 0 < delay <= maximum delay, not %d retries after %s up to %s", retries, baseDelay, maxDelay)
		}
		o.retries, o.retryDelay, o.retryMaxDelay = retries, baseDelay, maxDelay
		return nil
	}
}
