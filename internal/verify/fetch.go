package verify

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Limits on what a signature lookup reads, so a hostile registry cannot make a check
// allocate without bound. Real signatures are a few kilobytes.
const (
	maxSignatureManifestBytes = 4 << 20
	maxSignatureBlobBytes     = 4 << 20
	// maxSignaturesChecked bounds the signatures tried for one version (layers of a .sig
	// manifest, bundles among its referrers): a signature that has not passed by then is
	// not among them.
	maxSignaturesChecked = 32
)

// errUnusable marks a signature artifact that cannot be a valid signature (too large,
// malformed): a reason to reject it, not a failure to decide.
var errUnusable = errors.New("unusable signature artifact")

// isNotFound reports whether err is a registry's "no such tag, manifest or repository".
// oras-go maps a 404 to errdef.ErrNotFound for manifests and blobs, but hands a
// repository's 404 (NAME_UNKNOWN) on as an error response.
func isNotFound(err error) bool {
	var resp *errcode.ErrorResponse
	return errors.Is(err, errdef.ErrNotFound) || errors.As(err, &resp) && resp.StatusCode == http.StatusNotFound
}

// fetchBytes reads what desc names, at most limit bytes, checking its size and digest.
func fetchBytes(ctx context.Context, store Store, desc ocispec.Descriptor, limit int64) ([]byte, error) {
	if desc.Size > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a signature may be: %w", desc.Digest, desc.Size, limit, errUnusable)
	}
	rc, err := store.Fetch(ctx, desc)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := content.ReadAll(rc, desc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", desc.Digest, err)
	}
	return data, nil
}

// fetchTagged reads the manifest a tag points to, in one request when the store can.
func fetchTagged(ctx context.Context, store Store, tag string) (ocispec.Descriptor, []byte, error) {
	if rf, ok := store.(ReferenceFetcher); ok {
		desc, rc, err := rf.FetchReference(ctx, tag)
		if err != nil {
			return desc, nil, err
		}
		defer rc.Close()
		if desc.Size > maxSignatureManifestBytes {
			return desc, nil, fmt.Errorf("manifest %s is %d bytes, more than the %d a signature manifest may be: %w", tag, desc.Size, maxSignatureManifestBytes, errUnusable)
		}
		data, err := content.ReadAll(rc, desc)
		if err != nil {
			return desc, nil, fmt.Errorf("read manifest %s: %w", tag, err)
		}
		return desc, data, nil
	}
	desc, err := store.Resolve(ctx, tag)
	if err != nil {
		return desc, nil, err
	}
	data, err := fetchBytes(ctx, store, desc, maxSignatureManifestBytes)
	return desc, data, err
}

// referrersTag is the tag the OCI referrers tag scheme keeps a digest's referrers under
// (distribution spec v1.1: algorithm, "-", encoded part), and the stem of cosign's
// sha256-<hex>.sig tag.
func referrersTag(desc ocispec.Descriptor) string {
	alg, enc := desc.Digest.Algorithm().String(), desc.Digest.Encoded()
	// The spec truncates both parts; a sha256 digest fits as it is.
	if len(alg) > 32 {
		alg = alg[:32]
	}
	if len(enc) > 64 {
		enc = enc[:64]
	}
	return alg + "-" + enc
}
