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
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
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
)

// ErrNotChart marks a tag whose manifest is not a Helm chart (a container image, say).
var ErrNotChart = errors.New("not a Helm chart")

// Client reads charts from registries. It is safe for concurrent use.
type Client struct {
	opts   options
	client *auth.Client
	mu     sync.Mutex
	// layouts caches opened OCI layout mirrors: reading index.json once per repository.
	layouts map[string]target
}

// New returns a Client configured by opts.
func New(opts ...Option) (*Client, error) {
	o := options{requestTimeout: 30 * time.Second, userAgent: "chart-promoter"}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	base := o.transport
	if base == nil {
		tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: o.rootCAs}
		base = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       tlsConfig,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: o.requestTimeout,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		}
	}
	credential := o.credential
	if credential == nil {
		credential = auth.StaticCredential("", auth.EmptyCredential)
	}
	c := &Client{
		opts: o,
		client: &auth.Client{
			Client:     &http.Client{Transport: retry.NewTransport(base)},
			Cache:      auth.NewCache(),
			Credential: credential,
			Header:     http.Header{"User-Agent": {o.userAgent}},
		},
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

// Tags lists every tag of chart's repository, following pagination to the end.
func (c *Client) Tags(ctx context.Context, chart string) ([]string, error) {
	repo, where, err := c.repository(chart)
	if err != nil {
		return nil, err
	}
	var tags []string
	err = repo.Tags(ctx, "", func(page []string) error {
		tags = append(tags, page...)
		return nil
	})
	if err != nil {
		return nil, describe(err, "list tags of", where)
	}
	return tags, nil
}

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
func (c *Client) Chart(ctx context.Context, chart, tag string) (ChartVersion, error) {
	repo, where, err := c.repository(chart)
	if err != nil {
		return ChartVersion{}, err
	}
	desc, raw, err := oras.FetchBytes(ctx, repo, tag, oras.FetchBytesOptions{MaxBytes: MaxManifestBytes})
	if err != nil {
		return ChartVersion{}, describe(err, "fetch manifest "+tag+" of", where)
	}
	cv := ChartVersion{Tag: tag, Digest: desc.Digest.String(), Location: where}
	if desc.MediaType != ocispec.MediaTypeImageManifest {
		return cv, fmt.Errorf("%s:%s is a %s: %w", where, tag, desc.MediaType, ErrNotChart)
	}
	var manifest ocispec.Manifest
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return cv, fmt.Errorf("%s:%s: invalid manifest: %v", where, tag, err)
	}
	if manifest.Config.MediaType != ConfigMediaType {
		return cv, fmt.Errorf("%s:%s has config type %q: %w", where, tag, manifest.Config.MediaType, ErrNotChart)
	}
	if manifest.Config.Size > MaxConfigBytes {
		return cv, fmt.Errorf("%s:%s: chart config is %d bytes, more than the %d allowed", where, tag, manifest.Config.Size, MaxConfigBytes)
	}
	config, err := content.FetchAll(ctx, repo, manifest.Config)
	if err != nil {
		return cv, describe(err, "fetch chart metadata "+tag+" of", where)
	}
	if err := json.Unmarshal(config, &cv.Metadata); err != nil {
		return cv, fmt.Errorf("%s:%s: chart metadata is not valid JSON: %v", where, tag, err)
	}
	return cv, nil
}

// describe wraps a registry error with what was attempted and where, and a hint for the
// failures users can act on.
func describe(err error, action, where string) error {
	hint := ""
	var respErr *errcode.ErrorResponse
	switch {
	// A registry answers a missing repository or tag with a 404 error response, which
	// oras-go does not map to errdef.ErrNotFound (only its content stores do).
	case errors.Is(err, errdef.ErrNotFound), errors.As(err, &respErr) && respErr.StatusCode == http.StatusNotFound:
		hint = " (not found: check the repository path and tag)"
	// oras-go answers a Basic challenge it has no credentials for itself, without a
	// second request, so no 401 response reaches this far.
	case errors.Is(err, auth.ErrBasicCredentialNotFound):
		hint = " (no credentials for this registry: log in with `helm registry login` or `docker login`, or pass --username/--password-stdin)"
	case errors.As(err, &respErr) && (respErr.StatusCode == http.StatusUnauthorized || respErr.StatusCode == http.StatusForbidden):
		hint = " (access denied: log in with `helm registry login` or `docker login`, or pass --username/--password-stdin)"
	case isTLSError(err):
		hint = " (TLS verification failed: pass --ca-file with the registry's CA, or --plain-http for a local HTTP registry)"
	}
	return fmt.Errorf("%s %s: %w%s", action, where, err, hint)
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
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-file %s holds no PEM certificate", caFile)
	}
	return pool, nil
}

// Exists reports whether chart:tag resolves, with a HEAD of its manifest: the cheap
// check that a just-pushed version is visible before planning around it.
func (c *Client) Exists(ctx context.Context, chart, tag string) (bool, error) {
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
	return false, describe(err, "look up "+tag+" in", where)
}
