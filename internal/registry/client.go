// Package registry reads Helm charts from OCI registries through oras-go: tag lists,
// manifests and chart metadata, with credentials found the way helm and oras find them,
// and mirrors (another registry or an OCI image layout on disk) for air-gapped use.
package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
	"oras.land/oras-go/v2/registry/remote/retry"

	"github.com/chart-promoter/chart-promoter/internal/setting"
	"github.com/chart-promoter/chart-promoter/internal/verify"
)

// Media types of a Helm chart stored in an OCI registry.
const (
	ConfigMediaType     = "application/vnd.cncf.helm.config.v1+json"
	ContentMediaType    = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
	ProvenanceMediaType = "application/vnd.cncf.helm.chart.provenance.v1.prov"
)

// Limits on what the tool reads from a registry, so a hostile or broken one cannot make
// it allocate without bound.
const (
	MaxManifestBytes = 4 << 20
	MaxConfigBytes   = 1 << 20
	// MaxTagPages stops a tag list that never ends (1,000 pages of the registry's page size).
	MaxTagPages = 1000
	// MaxTagListBytes bounds the tags of one repository kept in memory, their names added up:
	// a million ordinary tags fit, a thousand pages of 4 MiB (4 GiB) do not.
	MaxTagListBytes = 32 << 20
)

// ErrNotChart marks a tag whose manifest is not a Helm chart (a container image, say).
var ErrNotChart = errors.New("not a Helm chart")

// ErrNotFound marks a tag or blob the registry answered 404 for (it is oras-go's).
var ErrNotFound = errdef.ErrNotFound

// Client reads charts from registries. It is safe for concurrent use.
type Client struct {
	opts   options
	client *auth.Client
	// secrets are the credentials the client has used, kept out of its errors.
	secrets *secrets
	mu      sync.Mutex
	// layouts caches opened OCI layout mirrors: reading index.json once per repository.
	layouts map[string]target
	// stores caches the repositories opened for signature checks (see Open); its own
	// lock, because opening a layout mirror takes mu.
	storesMu sync.Mutex
	stores   map[string]verify.Store
}

// New returns a Client configured by opts.
func New(opts ...Option) (*Client, error) {
	o := options{
		spell:          setting.Flag,
		requestTimeout: 30 * time.Second,
		userAgent:      "chart-promoter",
		retries:        DefaultRetries,
		retryDelay:     DefaultRetryDelay,
		retryMaxDelay:  DefaultRetryMaxDelay,
	}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	base := o.transport
	if base == nil {
		tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: o.rootCAs, InsecureSkipVerify: o.insecure} //nolint:gosec // the user asked for it, and is warned
		if o.clientCert != nil {
			tlsConfig.Certificates = []tls.Certificate{*o.clientCert}
		}
		base = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       tlsConfig,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: o.requestTimeout,
			MaxIdleConnsPerHost:   256, // at least the highest --concurrency (HTTP/1.1 needs a connection per read), or connections churn
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		}
	}
	base = newFirstAlone(base)
	credential := o.credential
	if credential == nil {
		credential = auth.StaticCredential("", auth.EmptyCredential)
	}
	policy := newRetryPolicy(o.retries, o.retryDelay, o.retryMaxDelay)
	transport := &idempotentRetry{
		retrying: &retry.Transport{Base: base, Policy: func() retry.Policy { return policy }},
		direct:   base,
	}
	sec := &secrets{}
	if o.plainHTTP {
		o.warnings = append(o.warnings, o.spell("plain-http", "true")+": registry traffic, credentials included, is not encrypted")
	}
	if o.insecure && !o.plainHTTP {
		o.warnings = append(o.warnings, o.spell("insecure-skip-tls-verify", "true")+": registry certificates are not verified, so anyone on the network path can read and change what the tool reads, and take its credentials")
	}
	c := &Client{
		opts: o,
		client: &auth.Client{
			Client:     &http.Client{Transport: drainBodies{&recordingTransport{secrets: sec, next: transport}}},
			Cache:      auth.NewCache(),
			Credential: sec.credential(credential),
			Header:     http.Header{"User-Agent": {o.userAgent}},
		},
		secrets: sec,
		layouts: map[string]target{},
	}
	return c, nil
}

// target is what the client needs of a repository, remote or on disk.
type target interface {
	oras.ReadOnlyTarget
	registry.TagLister
}

// repository opens chart (host/path/name) at its mirror if one matches, else at its own
// registry.
func (c *Client) repository(chart string) (target, string, error) {
	where := chart
	if m, rest, ok := c.opts.mirrors.match(chart); ok {
		if m.layout != "" {
			t, err := c.layout(m.layout, rest)
			return t, "oci-layout:" + joinPath(m.layout, rest), err
		}
		where = joinPath(m.registry, rest)
	}
	ref, err := registry.ParseReference(where)
	if err != nil {
		return nil, where, fmt.Errorf("invalid repository %q: %w", where, err)
	}
	repo := &remote.Repository{
		Client:           c.client,
		Reference:        ref,
		PlainHTTP:        c.opts.plainHTTP,
		MaxMetadataBytes: MaxManifestBytes,
		TagListMaxPages:  MaxTagPages,
		SkipReferrersGC:  true,
	}
	return repo, where, nil
}

func joinPath(prefix, rest string) string {
	if rest == "" {
		return prefix
	}
	return strings.TrimRight(prefix, "/") + "/" + rest
}

// validTag reports whether tag fits the distribution spec's grammar of a tag,
// [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}: what a registry can hold. (A loop, not a regexp: a
// long tag list runs every name through it.)
func validTag(tag string) bool {
	if tag == "" || len(tag) > 128 || tag[0] == '.' || tag[0] == '-' {
		return false
	}
	for i := 0; i < len(tag); i++ {
		switch b := tag[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9', b == '_', b == '.', b == '-':
		default:
			return false
		}
	}
	return true
}

// Tags lists every tag of chart's repository, following pagination to the end. Names no
// registry can hold ("1.0.0+x", "../1.0.0", 300 characters), which only a broken or hostile
// one lists, are left out: they could never be fetched, and must not stand in for the
// newest version.
func (c *Client) Tags(ctx context.Context, chart string) (_ []string, err error) {
	defer func() { err = c.secrets.redact(err) }()
	repo, where, err := c.repository(chart)
	if err != nil {
		return nil, err
	}
	var tags []string
	size := 0
	err = repo.Tags(ctx, "", func(page []string) error {
		for _, tag := range page {
			if !validTag(tag) {
				continue
			}
			if size += len(tag); size > MaxTagListBytes {
				return fmt.Errorf("the tag list is longer than %d MiB (%d tags so far): %w", MaxTagListBytes>>20, len(tags), errTagListTooLong)
			}
			tags = append(tags, tag)
		}
		return nil
	})
	if err != nil {
		return nil, c.describe(ctx, err, "list tags of", where)
	}
	return tags, nil
}

// errTagListTooLong marks a tag list over MaxTagListBytes.
var errTagListTooLong = errors.New("refusing to read more")

// ChartVersion is a tag confirmed to hold a Helm chart.
type ChartVersion struct {
	// Tag is the tag the chart was found under.
	Tag string
	// Digest is the manifest digest ("sha256:…"), the immutable address of this version.
	Digest string
	// Metadata is the chart's Chart.yaml as stored in the config blob.
	Metadata Metadata
	// Location is where it was read: the registry repository or the mirror.
	Location string
	// Annotations are the manifest's annotations (helm push writes
	// org.opencontainers.image.source from Chart.yaml's sources, among others).
	Annotations map[string]string
	// Descriptor is the manifest's descriptor (media type, digest, size): what a signature
	// covers.
	Descriptor ocispec.Descriptor
	// Manifest is the image manifest as read: its annotations (the creation time helm push
	// writes) and its layers (the chart archive, the provenance file) are what gates check.
	Manifest ocispec.Manifest
}

// Metadata is the part of Chart.yaml that the tool reports.
type Metadata struct {
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	AppVersion  string            `json:"appVersion,omitempty"`
	Description string            `json:"description,omitempty"`
	Home        string            `json:"home,omitempty"`
	Sources     []string          `json:"sources,omitempty"`
	Deprecated  bool              `json:"deprecated,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Chart fetches the manifest of chart:tag, checks that it is a Helm chart and reads the
// chart's metadata. It returns an error wrapping ErrNotChart when the tag holds
// something else, such as a container image sharing the repository.
func (c *Client) Chart(ctx context.Context, chart, tag string) (_ ChartVersion, err error) {
	defer func() { err = c.secrets.redact(err) }()
	repo, where, err := c.repository(chart)
	if err != nil {
		return ChartVersion{}, err
	}
	desc, raw, err := oras.FetchBytes(ctx, repo, tag, oras.FetchBytesOptions{MaxBytes: MaxManifestBytes})
	if err != nil {
		return ChartVersion{}, c.describe(ctx, err, "fetch manifest "+tag+" of", where)
	}
	cv := ChartVersion{Tag: tag, Digest: desc.Digest.String(), Location: where, Descriptor: desc}
	if desc.MediaType != ocispec.MediaTypeImageManifest {
		return cv, fmt.Errorf("%s:%s is a %s: %w", where, tag, desc.MediaType, ErrNotChart)
	}
	var manifest ocispec.Manifest
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return cv, fmt.Errorf("%s:%s: invalid manifest: %v", where, tag, err)
	}
	cv.Manifest = manifest
	if manifest.Config.MediaType != ConfigMediaType {
		return cv, fmt.Errorf("%s:%s has config type %q: %w", where, tag, manifest.Config.MediaType, ErrNotChart)
	}
	cv.Annotations = manifest.Annotations
	if manifest.Config.Size > MaxConfigBytes {
		return cv, fmt.Errorf("%s:%s: chart config is %d bytes, more than the %d allowed", where, tag, manifest.Config.Size, MaxConfigBytes)
	}
	config, err := content.FetchAll(ctx, repo, manifest.Config)
	if err != nil {
		return cv, c.describe(ctx, err, "fetch chart metadata "+tag+" of", where)
	}
	if err := json.Unmarshal(config, &cv.Metadata); err != nil {
		return cv, fmt.Errorf("%s:%s: chart metadata is not valid JSON: %v", where, tag, err)
	}
	return cv, nil
}

// Warnings returns what the client's settings put at risk (plain HTTP, unverified
// certificates) and what its credential lookups had to pass over (a credential helper
// that is not installed), each said once.
func (c *Client) Warnings() []string {
	out := append([]string(nil), c.opts.warnings...)
	if c.opts.credentials != nil {
		out = append(out, c.opts.credentials.Warnings()...)
	}
	return out
}

// describe wraps a registry error with what was attempted and where, and a hint for the
// failures users can act on.
func (c *Client) describe(ctx context.Context, err error, action, where string) error {
	hint := ""
	host, _, _ := strings.Cut(where, "/")
	spell := c.opts.spell
	var respErr *errcode.ErrorResponse
	var netErr net.Error
	var dnsErr *net.DNSError
	var retryAfter *RetryAfterError
	var urlErr *url.Error
	switch {
	case errors.As(err, &retryAfter), ctx.Err() != nil:
		// Says what to do itself, or is the caller's own deadline or cancellation.
	// A registry answers a missing repository or tag with a 404 error response, which
	// oras-go does not map to errdef.ErrNotFound (only its content stores do).
	case errors.Is(err, errdef.ErrNotFound), errors.As(err, &respErr) && respErr.StatusCode == http.StatusNotFound:
		hint = " (not found: check the repository path and tag)"
	// oras-go answers a Basic challenge it has no credentials for itself, without a
	// second request, so no 401 response reaches this far.
	case errors.Is(err, auth.ErrBasicCredentialNotFound):
		hint = " (no credentials for this registry: log in with `helm registry login` or `docker login`, or give " + spell("credentials", "") + ")"
	case errors.As(err, &respErr) && (respErr.StatusCode == http.StatusUnauthorized || respErr.StatusCode == http.StatusForbidden):
		if source := c.credentialSource(host); source != "" {
			hint = " (the credentials for " + host + " from " + source + " were rejected: log in again, or check that they may read this repository)"
		} else {
			hint = " (access denied: log in with `helm registry login` or `docker login`, or give " + spell("credentials", "") + ")"
		}
	// A TLS server answers a plain HTTP request with 400 ("Client sent an HTTP request to
	// an HTTPS server", or nginx's "The plain HTTP request was sent to HTTPS port").
	case c.opts.plainHTTP && errors.As(err, &respErr) && respErr.StatusCode == http.StatusBadRequest:
		hint = " (" + host + " answered plain HTTP with 400 Bad Request: it most likely speaks HTTPS; drop " + spell("plain-http", "true") + ")"
	// net/http words a plain HTTP answer to a TLS handshake this way, with errors.New.
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		hint = " (" + host + " speaks plain HTTP, not HTTPS: if it is a local registry, retry with " + spell("plain-http", "true") + ")"
	case isTLSError(err):
		hint = " (TLS verification failed: give the registry's CA with " + spell("ca-file", "FILE") + ", or retry with " + spell("plain-http", "true") + " for a local HTTP registry)"
	case errors.Is(err, syscall.ECONNREFUSED):
		hint = " (connection refused: is the registry running, and is " + host + " the right host and port?)"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		hint = " (no such host " + dnsErr.Name + ": is " + host + " spelt right, and does this machine's DNS know it?)"
	case errors.Is(err, content.ErrMismatchedDigest), errors.Is(err, content.ErrTrailingData), errors.Is(err, content.ErrInvalidDescriptorSize):
		hint = " (refused: the registry, or something between, served content that does not match its digest)"
	case errors.As(err, &respErr) && (respErr.StatusCode >= 500 || respErr.StatusCode == http.StatusTooManyRequests):
		hint = fmt.Sprintf(" (the registry still failed after %s: try again later)", c.retriesDone())
	case errors.As(err, &netErr) && netErr.Timeout():
		hint = fmt.Sprintf(" (no answer within the %s of %s, after %s)", spell("request-timeout", ""), c.opts.requestTimeout, c.retriesDone())
	case errors.As(err, &urlErr) && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
		hint = fmt.Sprintf(" (the connection was dropped, still after %s: try again later)", c.retriesDone())
	case errors.Is(err, io.ErrUnexpectedEOF):
		// Not the connection but a body read through oras-go's MaxMetadataBytes limit.
		hint = fmt.Sprintf(" (the answer was cut short, or is larger than the %d MiB it may be)", MaxManifestBytes>>20)
	}
	return fmt.Errorf("%s %s: %w%s", action, where, err, hint)
}

// credentialSource names where the credentials the client sent to host came from, or ""
// when it sent none.
func (c *Client) credentialSource(host string) string {
	if c.opts.credentials == nil {
		return ""
	}
	return c.opts.credentials.SourceOf(host)
}

// retriesDone says how many times a failed request was retried before it was given up.
func (c *Client) retriesDone() string {
	if c.opts.retries == 1 {
		return "1 retry"
	}
	return fmt.Sprintf("%d retries", c.opts.retries)
}

func isTLSError(err error) bool {
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	return errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &verify) || errors.As(err, &record)
}

// loadCertPool returns the system roots (which honour SSL_CERT_FILE and SSL_CERT_DIR)
// plus the PEM certificates in caFile.
func loadCertPool(caFile string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, &setting.InputError{Input: "ca-file", Value: caFile, Err: err}
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, &setting.InputError{Input: "ca-file", Value: caFile, Want: "a PEM file of CA certificates: this one holds none"}
	}
	return pool, nil
}

// Exists reports whether chart:tag resolves, with a HEAD of its manifest: the cheap
// check that a just-pushed version is visible before planning around it.
func (c *Client) Exists(ctx context.Context, chart, tag string) (_ bool, err error) {
	defer func() { err = c.secrets.redact(err) }()
	repo, where, err := c.repository(chart)
	if err != nil {
		return false, err
	}
	_, err = repo.Resolve(ctx, tag)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, errdef.ErrNotFound):
		return false, nil
	}
	return false, c.describe(ctx, err, "look up "+tag+" in", where)
}
