package verify

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
)

// cosign v3 attaches a Sigstore bundle to what it signs as an OCI 1.1 referrer: an image
// manifest of this artifactType whose one layer is the bundle, with the signed manifest as
// its subject (cosign's BUNDLE_SPEC.md). The bundle holds a DSSE envelope around an in-toto
// statement whose subject is the signed digest.
const bundleArtifactType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// verifyBundles checks the cosign v3 bundles attached to subject. Any in-toto statement
// about this digest that a trusted signer signed passes, whatever its predicate type, as
// with `cosign verify`: cosign's own signatures (https://sigstore.dev/cosign/sign/v1) and
// build provenance attested by the release workflow alike.
func (c *Cosign) verifyBundles(ctx context.Context, store Store, subject Subject, t *tally) (Result, bool, error) {
	refs, err := listReferrers(ctx, store, subject.Descriptor, bundleArtifactType)
	if err != nil {
		return Result{}, false, err
	}
	digestBytes, err := hexDigest(subject)
	if err != nil {
		return Result{}, false, err
	}
	for _, ref := range refs {
		t.seen++
		where := "bundle " + ref.Digest.String()
		b, err := fetchBundle(ctx, store, ref, subject)
		if errors.Is(err, errUnusable) {
			t.reject(where, err.Error())
			continue
		}
		if err != nil {
			return Result{}, false, err
		}
		if reason := bundleCoversDigest(b, subject, digestBytes); reason != "" {
			t.reject(where, reason)
			continue
		}
		res, reason, err := c.check(b, func() sgverify.ArtifactPolicyOption {
			return sgverify.WithArtifactDigest("sha256", digestBytes)
		})
		if err != nil {
			return Result{}, false, err
		}
		if reason == "" {
			return res, true, nil
		}
		t.reject(where, reason)
	}
	return Result{}, false, nil
}

// fetchBundle reads the bundle a referrer holds.
func fetchBundle(ctx context.Context, store Store, ref ocispec.Descriptor, subject Subject) (*bundle.Bundle, error) {
	m, err := fetchReferrer(ctx, store, ref, subject.Descriptor, bundleArtifactType)
	if err != nil {
		return nil, err
	}
	var layer *ocispec.Descriptor
	for i := range m.Layers {
		if strings.HasPrefix(m.Layers[i].MediaType, "application/vnd.dev.sigstore.bundle") {
			layer = &m.Layers[i]
			break
		}
	}
	if layer == nil {
		return nil, fmt.Errorf("holds no Sigstore bundle layer: %w", errUnusable)
	}
	data, err := fetchBytes(ctx, store, *layer, maxSignatureBlobBytes)
	if err != nil {
		return nil, err
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("not a valid Sigstore bundle: %v: %w", err, errUnusable)
	}
	return &b, nil
}

// bundleCoversDigest says why a bundle does not sign subject, if it does not, from its
// unauthenticated content: a bundle about another digest is rejected whoever signed it
// (sigstore-go then checks the same, after the signature).
func bundleCoversDigest(b *bundle.Bundle, subject Subject, digestBytes []byte) string {
	content, err := b.SignatureContent()
	if err != nil {
		return "no signature content: " + err.Error()
	}
	if env := content.EnvelopeContent(); env != nil {
		statement, err := env.Statement()
		if err != nil {
			return "the DSSE envelope does not hold an in-toto statement: " + err.Error()
		}
		var covered []string
		for _, s := range statement.GetSubject() {
			d := s.GetDigest()["sha256"]
			if d == subject.Descriptor.Digest.Encoded() {
				return ""
			}
			if d != "" {
				covered = append(covered, "sha256:"+d)
			}
		}
		return fmt.Sprintf("the statement is about %s, not this version's %s (copied from another version, or the tag was re-pushed)", orNothing(covered), subject.Descriptor.Digest)
	}
	if msg := content.MessageSignatureContent(); msg != nil {
		if msg.DigestAlgorithm() == "SHA2_256" && bytes.Equal(msg.Digest(), digestBytes) {
			return ""
		}
		return fmt.Sprintf("the message signature covers %s digest %x, not this version's %s", msg.DigestAlgorithm(), msg.Digest(), subject.Descriptor.Digest)
	}
	return "neither a DSSE envelope nor a message signature"
}

func orNothing(digests []string) string {
	if len(digests) == 0 {
		return "no sha256 digest"
	}
	return strings.Join(digests, ", ")
}

// hexDigest is the subject's (validated) digest as bytes.
func hexDigest(subject Subject) ([]byte, error) {
	return hex.DecodeString(subject.Descriptor.Digest.Encoded())
}
