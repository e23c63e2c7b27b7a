package testenv

import (
	"bytes"
	"context"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
)

// Referrer is an OCI 1.1 artifact that refers to another manifest, the way signatures,
// attestations and SBOMs are attached to what they describe.
type Referrer struct {
	// ArtifactType is the manifest's artifactType, e.g. application/vnd.dev.sigstore.bundle.v0.3+json.
	ArtifactType string
	// LayerMediaType and Layer are the artifact's one layer.
	LayerMediaType string
	Layer          []byte
	// Annotations are the manifest's annotations, which the referrers list copies.
	Annotations map[string]string
}

// PushReferrer pushes ref into repository as an image manifest (empty config, one layer)
// whose subject is the manifest with digest subject, and returns the pushed manifest's
// digest. The subject need not be in repository: signatures may live apart from what they
// sign. oras-go does what a spec-following client must: with the referrers API on (see
// SetReferrersAPI) the registry indexes the subject itself; off, oras-go updates the
// referrers tag (sha256-<hex>).
func (r *Registry) PushReferrer(tb testing.TB, repository, subject string, ref Referrer) string {
	tb.Helper()
	ctx := context.Background()
	repo := r.Repository(tb, repository)
	subjectDigest, err := digest.Parse(subject)
	if err != nil {
		tb.Fatalf("testenv: PushReferrer: subject: %v", err)
	}
	layer := content.NewDescriptorFromBytes(ref.LayerMediaType, ref.Layer)
	if err := repo.Push(ctx, layer, bytes.NewReader(ref.Layer)); err != nil {
		tb.Fatalf("testenv: PushReferrer: push layer to %s: %v", repository, err)
	}
	// The subject's size and media type belong in the descriptor; when the subject is in
	// another repository (a signature repository) only its digest is known here, and a
	// manifest media type is what every signer writes.
	subjectDesc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: subjectDigest}
	if d, err := r.Repository(tb, repository).Resolve(ctx, subject); err == nil {
		subjectDesc = d
	}
	desc, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, ref.ArtifactType, oras.PackManifestOptions{
		Subject:             &subjectDesc,
		Layers:              []ocispec.Descriptor{layer},
		ManifestAnnotations: ref.Annotations,
	})
	if err != nil {
		tb.Fatalf("testenv: PushReferrer: push manifest to %s: %v", repository, err)
	}
	return desc.Digest.String()
}
