package testenv

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/distribution/distribution/v3/registry/storage"
	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/distribution/v3/registry/storage/driver/base"
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	// Distribution's access controllers register themselves by name in init.
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/auth/token"
)

// Registry is an in-process CNCF Distribution registry served over TLS on 127.0.0.1.
type Registry struct {
	Host     string         // "127.0.0.1:PORT", the registry part of every reference
	CAFile   string         // PEM file of the self-signed CA, for tools that take a path
	CertPool *x509.CertPool // pool containing that CA
	Requests *RequestLog    // every HTTP request the registry served, token requests included
	// ClientCertFile and ClientKeyFile are a client certificate the CA issued and its key
	// (PEM), which the registry demands with WithClientCertificates; "" otherwise.
	ClientCertFile, ClientKeyFile string

	user, password string // empty unless auth is enabled
	transport      *http.Transport
	driver         *memDriver             // the server's storage, unwrapped, for TagMany
	namespace      distribution.Namespace // a view of that storage, for TagMany
	dir            string                 // scratch space that lives as long as the registry
	referrers      *referrersAPI          // the referrers API handler, switched by SetReferrersAPI
}

// RegistryOption configures StartRegistry.
type RegistryOption func(*registryConfig)

type registryConfig struct {
	auth           string // "", "htpasswd" or "token"
	user, password string
	middlewares    []func(http.Handler) http.Handler
	referrersAPI   bool
	clientCerts    bool
	http2          bool
}

// WithClientCertificates makes the registry demand a client certificate signed by its CA
// in the TLS handshake (mutual TLS); the Registry's ClientCertFile and ClientKeyFile hold
// one, which its own helpers present.
func WithClientCertificates() RegistryOption {
	return func(c *registryConfig) { c.clientCerts = true }
}

// WithBasicAuth makes the registry require HTTP basic auth for user and password, checked by Distribution's htpasswd access controller.
func WithBasicAuth(user, password string) RegistryOption {
	return func(c *registryConfig) { c.auth, c.user, c.password = "htpasswd", user, password }
}

// WithTokenAuth makes the registry require bearer tokens, issued for user and password by a token server at /token on the same listener and checked by Distribution's token access controller.
func WithTokenAuth(user, password string) RegistryOption {
	return func(c *registryConfig) { c.auth, c.user, c.password = "token", user, password }
}

// WithMiddleware wraps the registry's handler, for example to inject faults; the first middleware given is the outermost.
func WithMiddleware(mw func(http.Handler) http.Handler) RegistryOption {
	return func(c *registryConfig) { c.middlewares = append(c.middlewares, mw) }
}

// WithHTTP2 offers HTTP/2 as well as HTTP/1.1 over TLS, as the registry binary does by
// default (its http.http2.disabled setting) and as the big hosted registries do. It is an
// option rather than the default because ResetConnection (see Faults) needs HTTP/1.1:
// an HTTP/2 stream cannot be hijacked to reset its connection.
func WithHTTP2() RegistryOption {
	return func(c *registryConfig) { c.http2 = true }
}

// StartRegistry starts a registry with in-memory storage, stopped by tb.Cleanup; it works with tests and benchmarks alike.
func StartRegistry(tb testing.TB, opts ...RegistryOption) *Registry {
	tb.Helper()
	var cfg registryConfig
	for _, o := range opts {
		o(&cfg)
	}
	quietDistributionLogs()

	ca, err := newAuthority()
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	leaf, err := ca.serverCert()
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	dir := tb.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.certPEM, 0o600); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)

	// The unstarted server already owns its listener, so the address is
	// known before the token realm URL has to be written into the config.
	srv := httptest.NewUnstartedServer(nil)
	host := srv.Listener.Addr().String()
	var app *handlers.App
	tb.Cleanup(func() {
		srv.Close() // first, so no request runs into a shut-down app
		if app != nil {
			_ = app.Shutdown()
		}
	})

	driver := newMemDriver()
	// base.Base is the wrapper every Distribution driver gets: path checks,
	// error decoration, tracing.
	config := registryConfiguration(&base.Base{StorageDriver: driver})
	switch cfg.auth {
	case "htpasswd":
		htpasswdFile := filepath.Join(dir, "htpasswd")
		if err := writeHtpasswd(htpasswdFile, cfg.user, cfg.password); err != nil {
			tb.Fatalf("testenv: %v", err)
		}
		config.Auth = configuration.Auth{"htpasswd": {"realm": "testenv", "path": htpasswdFile}}
	case "token":
		config.Auth = configuration.Auth{"token": {
			"realm":          "https://" + host + tokenPath,
			"service":        tokenService,
			"issuer":         tokenIssuer,
			"rootcertbundle": caFile,
		}}
	}

	// A Namespace over the very same driver reads and writes the storage the
	// server uses; it has no caches, so nothing goes stale. TagMany writes
	// through it, the referrers API reads through it.
	namespace, err := storage.NewRegistry(context.Background(), driver)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}

	app = handlers.NewApp(context.Background(), config)
	mux := http.NewServeMux()
	mux.Handle("/", app)
	if cfg.auth == "token" {
		mux.Handle(tokenPath, newTokenServer(cfg.user, cfg.password, ca.key))
	}
	referrers := &referrersAPI{namespace: namespace, next: mux}
	referrers.on.Store(cfg.referrersAPI)
	var handler http.Handler = referrers
	for i := len(cfg.middlewares) - 1; i >= 0; i-- {
		handler = cfg.middlewares[i](handler)
	}
	requests := &RequestLog{}
	srv.Config.Handler = requests.wrap(handler)
	// Clients that do not trust the CA make the server log handshake
	// errors; tests provoke that on purpose, so keep it off stderr.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}}
	var clientCert *tls.Certificate
	var clientCertFile, clientKeyFile string
	if cfg.clientCerts {
		srv.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		srv.TLS.ClientCAs = pool
		certPEM, keyPEM, cert, err := ca.clientCert()
		if err != nil {
			tb.Fatalf("testenv: %v", err)
		}
		clientCert = &cert
		clientCertFile, clientKeyFile = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
		if err := os.WriteFile(clientCertFile, certPEM, 0o600); err != nil {
			tb.Fatalf("testenv: %v", err)
		}
		if err := os.WriteFile(clientKeyFile, keyPEM, 0o600); err != nil {
			tb.Fatalf("testenv: %v", err)
		}
	}
	srv.EnableHTTP2 = cfg.http2
	srv.StartTLS()

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{RootCAs: pool}
	if clientCert != nil {
		transport.TLSClientConfig.Certificates = []tls.Certificate{*clientCert}
	}
	r := &Registry{
		Host:           host,
		CAFile:         caFile,
		CertPool:       pool,
		Requests:       requests,
		ClientCertFile: clientCertFile,
		ClientKeyFile:  clientKeyFile,
		user:           cfg.user,
		password:       cfg.password,
		transport:      transport,
		driver:         driver,
		namespace:      namespace,
		dir:            dir,
		referrers:      referrers,
	}
	tb.Cleanup(transport.CloseIdleConnections)
	return r
}

// registryConfiguration is what a registry:2 container would run with,
// minus everything that reaches outside the process: no redis, no
// notifications, no health checks, no upload purger goroutine.
func registryConfiguration(driver storagedriver.StorageDriver) *configuration.Configuration {
	config := &configuration.Configuration{
		Storage: configuration.Storage{
			sharedDriverName: {sharedDriverParam: driver},
			"delete":         {"enabled": true},
			"redirect":       {"disable": true},
			"maintenance":    {"uploadpurging": map[any]any{"enabled": false}},
		},
		// Values that configuration.Parse would fill in; set here because
		// the struct is built directly.
		Catalog: configuration.Catalog{MaxEntries: 1000},
		Tags:    configuration.Tags{MaxTags: 1000},
	}
	// A fixed secret avoids the "generated random secret" warning; it only
	// signs upload state between requests of this one process.
	config.HTTP.Secret = rand.Text()
	return config
}

// writeHtpasswd writes one bcrypt entry. MinCost keeps the per-request hash
// check (Distribution verifies basic auth on every request) around a
// millisecond instead of ~50 ms at the default cost.
func writeHtpasswd(path, user, password string) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		return err
	}
	return os.WriteFile(path, fmt.Appendf(nil, "%s:%s\n", user, hash), 0o600)
}

// quietDistributionLogs silences Distribution, which logs every request
// through logrus's standard logger. handlers.NewApp ignores the config's
// log section (only the registry binary applies it, to the same global
// logger), and the per-context logger key is internal to Distribution, so
// the process-wide logrus level is the only switch there is. Nothing else in
// this module logs through logrus.
func quietDistributionLogs() {
	logrus.SetOutput(io.Discard)
	logrus.SetLevel(logrus.PanicLevel)
}

// HTTPClient returns an *http.Client that trusts the registry's CA.
func (r *Registry) HTTPClient() *http.Client {
	return &http.Client{Transport: r.transport}
}
