package registry

import (
	"context"
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry"

	"github.com/chart-promoter/chart-promoter/internal/verify"
)

// Open returns read access to one repository (host[:port]/path/name) through the client's
// mirrors and credentials, for the signature checks of package verify. The store serves
// the OCI 1.1 referrers API where the repository is remote; oras-go falls back to the
// referrers tag scheme (sha256-<hex>) when the registry does not serve the API.
//
// Stores are kept per repository for the client's life: oras-go learns on the first
// referrers call whether the registry serves the API, and a new store would ask again.
func (c *Client) Open(ctx context.Context, repository string) (verify.Store, error) {
	c.storesMu.Lock()
	defer c.storesMu.Unlock()
	if s, ok := c.stores[repository]; ok {
		return s, nil
	}
	repo, where, err := c.repository(repository)
	if err != nil {
		return nil, c.secrets.redact(err)
	}
	var out verify.Store = &store{c: c, repo: repo, where: where}
	if lister, ok := repo.(registry.ReferrerLister); ok {
		out = &referrerStore{store: out.(*store), lister: lister}
	}
	if c.stores == nil {
		c.stores = map[string]verify.Store{}
	}
	c.stores[repository] = out
	return out, nil
}

// store adds the client's error wording and redaction to a repository.
type store struct {
	c     *Client
	repo  target
	where string
}

func (s *store) Resolve(ctx context.Context, reference string) (ocispec.Descriptor, error) {
	desc, err := s.repo.Resolve(ctx, reference)
	if err != nil {
		return desc, s.c.secrets.redact(s.c.describe(ctx, err, "resolve "+reference+" in", s.where))
	}
	return desc, nil
}

func (s *store) Fetch(ctx context.Context, target ocispec.Descriptor) (io.ReadCloser, error) {
	rc, err := s.repo.Fetch(ctx, target)
	if err != nil {
		return nil, s.c.secrets.redact(s.c.describe(ctx, err, "fetch "+target.Digest.String()+" of", s.where))
	}
	return rc, nil
}

// FetchReference reads a tag's manifest in one request where the repository is remote (a
// GET by tag), and in two (resolve, then fetch) where it is an OCI layout on disk.
func (s *store) FetchReference(ctx context.Context, reference string) (ocispec.Descriptor, io.ReadCloser, error) {
	var desc ocispec.Descriptor
	var rc io.ReadCloser
	var err error
	if rf, ok := s.repo.(registry.ReferenceFetcher); ok {
		desc, rc, err = rf.FetchReference(ctx, reference)
	} else if desc, err = s.repo.Resolve(ctx, reference); err == nil {
		rc, err = s.repo.Fetch(ctx, desc)
	}
	if err != nil {
		return desc, nil, s.c.secrets.redact(s.c.describe(ctx, err, "fetch manifest "+reference+" of", s.where))
	}
	return desc, rc, nil
}

// referrerStore is a store whose repository lists referrers.
type referrerStore struct {
	*store
	lister registry.ReferrerLister
}

func (s *referrerStore) Referrers(ctx context.Context, desc ocispec.Descriptor, artifactType string, fn func(referrers []ocispec.Descriptor) error) error {
	err := s.lister.Referrers(ctx, desc, artifactType, fn)
	if err != nil {
		return s.c.secrets.redact(s.c.describe(ctx, err, "list referrers of "+desc.Digest.String()+" in", s.where))
	}
	return nil
}

var (
	_ verify.Stores           = (*Client)(nil)
	_ verify.ReferenceFetcher = (*store)(nil)
)
