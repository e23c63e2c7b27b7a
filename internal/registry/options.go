package registry

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"time"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/chart-promoter/chart-promoter/internal/setting"
)

type options struct {
	credential     auth.CredentialFunc
	credentials    *Credentials // when the credential function is a chain, to name its sources
	plainHTTP      bool
	insecure       bool
	clientCert     *tls.Certificate
	spell          setting.Speller
	rootCAs        *x509.CertPool
	transport      http.RoundTripper
	mirrors        mirrors
	userAgent      string
	requestTimeout time.Duration
	warnings       []string // what the settings put at risk, said once per client
	retries        int
	retryDelay     time.Duration
	retryMaxDelay  time.Duration
}

// Option configures a Client.
type Option func(*options) error

// WithCredentials makes the client log in with credentials from store, looked up by the
// host of each request: a registry's credentials never go to another host. With the
// *Credentials of CredentialStore, a rejected login names the place it came from.
func WithCredentials(store credentials.Store) Option {
	return func(o *options) error {
		o.credential = credentials.Credential(store)
		o.credentials, _ = store.(*Credentials)
		return nil
	}
}

// WithInsecureSkipVerify accepts any certificate a registry presents, like helm's
// --insecure-skip-tls-verify: for a registry with a certificate that cannot be verified,
// where WithCAFile cannot help. The client warns about it (Warnings).
func WithInsecureSkipVerify(insecure bool) Option {
	return func(o *options) error {
		o.insecure = insecure
		return nil
	}
}

// WithClientCertificate presents the certificate in certFile, with its key in keyFile
// (both PEM), to registries that ask for one (mutual TLS), like helm's --cert-file and
// --key-file.
func WithClientCertificate(certFile, keyFile string) Option {
	return func(o *options) error {
		if certFile == "" && keyFile == "" {
			return nil
		}
		if certFile == "" || keyFile == "" {
			return &setting.InputError{Input: "cert-file", Value: certFile, Want: "a certificate and its key together (cert-file and key-file)"}
		}
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return &setting.InputError{Input: "cert-file", Value: certFile, Err: fmt.Errorf("load the client certificate and key %s: %w", keyFile, err)}
		}
		o.clientCert = &cert
		return nil
	}
}

// WithSettingNames spells the settings that hints name (plain-http, ca-file, credentials,
// request-timeout) the way the caller's users give them; the default is setting.Flag.
func WithSettingNames(spell setting.Speller) Option {
	return func(o *options) error {
		o.spell = spell
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
