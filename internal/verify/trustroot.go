package verify

import (
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/theupdateframework/go-tuf/v2/metadata/fetcher"
)

// tufDownloadTimeout bounds one download of TUF metadata or of the trusted root.
const tufDownloadTimeout = 30 * time.Second

// trustSource is the Sigstore trust material a cosign provider checks keyless signatures
// and transparency log entries against: the Fulcio certificate authorities, the Rekor and
// certificate transparency log keys, the timestamp authorities. It is loaded once, on first
// use, so that a keyed rule that never needs it never fetches it; a load that failed stays
// failed for the run (every check it would decide is an error, never a pass).
type trustSource struct {
	// name says where the material comes from, in errors.
	name string
	load func() (root.TrustedMaterial, error)

	once     sync.Once
	material root.TrustedMaterial
	err      error
}

func (s *trustSource) get() (root.TrustedMaterial, error) {
	s.once.Do(func() { s.material, s.err = s.load() })
	return s.material, s.err
}

// trustedRootFile reads a Sigstore trusted root (trusted_root.json, the format of
// `cosign trusted-root create` and of the TUF target trusted_root.json) now, so a bad file
// is a config error rather than a failure at the first version checked.
func trustedRootFile(path string) (*trustSource, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cosign trusted root: %w", err)
	}
	return trustedRootJSON(path, data)
}

// trustedRootJSON parses a Sigstore trusted root; name is its file, for errors.
func trustedRootJSON(name string, data []byte) (*trustSource, error) {
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("cosign trusted root %s: not a Sigstore trusted root (trusted_root.json): %w", name, err)
	}
	s := &trustSource{name: name, load: func() (root.TrustedMaterial, error) { return tr, nil }}
	return s, nil
}

// publicGoodTrustedRoot is the Sigstore public-good instance's trusted root, fetched
// through TUF at first use by fetchPublicGoodTrustedRoot.
func publicGoodTrustedRoot(cacheDir string) *trustSource {
	return &trustSource{
		name: "the Sigstore public-good trusted root",
		load: func() (root.TrustedMaterial, error) { return fetchPublicGoodTrustedRoot(cacheDir) },
	}
}

// fetchPublicGoodTrustedRoot fetches the Sigstore public-good trusted root through TUF,
// which is how cosign and every other Sigstore client get it: the TUF root embedded in
// sigstore-go is the trust anchor, signed updates come from tuf-repo-cdn.sigstore.dev, and
// metadata and targets are cached in cacheDir (empty: sigstore-go's default,
// ~/.sigstore/root, the cache cosign uses too), so a run refreshes only what expired.
//
// It needs the network on first use and cannot run offline, so no test calls it: tests,
// and air-gapped installations, give a trustedRoot file instead (trustedRootFile).
func fetchPublicGoodTrustedRoot(cacheDir string) (root.TrustedMaterial, error) {
	opts := tuf.DefaultOptions()
	if cacheDir != "" {
		opts.CachePath = cacheDir
	}
	// go-tuf's fetcher has no deadline (http.DefaultClient) and takes no context: bound
	// each download, and try a failed one once more, so an unreachable CDN costs the
	// run seconds, not its whole --timeout.
	f := fetcher.NewDefaultFetcher()
	f.SetHTTPUserAgent("chart-promoter")
	f.SetHTTPClient(&http.Client{Timeout: tufDownloadTimeout})
	f.SetRetry(time.Second, 2)
	opts.Fetcher = f
	tr, err := root.FetchTrustedRootWithOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("fetch the Sigstore public-good trusted root through TUF from %s (cache %s): %w; offline or behind a firewall, give the rule a trustedRoot file (`cosign trusted-root create`, or trusted_root.json from the TUF repository)", opts.RepositoryBaseURL, opts.CachePath, err)
	}
	return tr, nil
}
