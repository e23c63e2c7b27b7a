package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry"
)

// errEnoughReferrers stops a referrers listing once maxSignaturesChecked are in hand.
var errEnoughReferrers = errors.New("enough referrers")

// listReferrers lists the manifests in store that refer to subject and have artifactType,
// at most maxSignaturesChecked of them. A store that lists referrers itself (a remote
// repository) asks the registry's referrers API, and oras-go falls back to the referrers
// tag when the registry has none; any other store (an OCI layout mirror) is read through
// the referrers tag here. No referrers, or no repository at all, is an empty list.
func listReferrers(ctx context.Context, store Store, subject ocispec.Descriptor, artifactType string) ([]ocispec.Descriptor, error) {
	var out []ocispec.Descriptor
	if lister, ok := store.(registry.ReferrerLister); ok {
		err := lister.Referrers(ctx, subject, artifactType, func(page []ocispec.Descriptor) error {
			for _, d := range page {
				// oras-go filters when the registry did not; checking again costs nothing.
				if d.ArtifactType != artifactType {
					continue
				}
				out = append(out, d)
				if len(out) == maxSignaturesChecked {
					return errEnoughReferrers
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, errEnoughReferrers) {
			if isNotFound(err) {
				return nil, nil
			}
			return nil, err
		}
		return out, nil
	}

	_, data, err := fetchTagged(ctx, store, referrersTag(subject))
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		if errors.Is(err, errUnusable) {
			// An oversized referrers index lists nothing that can be used.
			return nil, nil
		}
		return nil, err
	}
	var index ocispec.Index
	if err := json.Unmarshal(data, &index); err != nil || index.MediaType != ocispec.MediaTypeImageIndex {
		// "If the tag schema does not return a valid image index, the client SHOULD assume
		// there are no referrers to the manifest."
		return nil, nil
	}
	for _, d := range index.Manifests {
		if d.ArtifactType == artifactType {
			out = append(out, d)
			if len(out) == maxSignaturesChecked {
				break
			}
		}
	}
	return out, nil
}

// fetchReferrer reads one referrer's manifest and checks that it is an image manifest of
// artifactType whose subject is subject: a referrers list is only an index, kept by
// clients in the tag scheme, and says nothing a manifest must agree with.
func fetchReferrer(ctx context.Context, store Store, desc ocispec.Descriptor, subject ocispec.Descriptor, artifactType string) (ocispec.Manifest, error) {
	var m ocispec.Manifest
	if desc.MediaType != ocispec.MediaTypeImageManifest {
		return m, fmt.Errorf("referrer %s is a %s, not an image manifest: %w", desc.Digest, desc.MediaType, errUnusable)
	}
	data, err := fetchBytes(ctx, store, desc, maxSignatureManifestBytes)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("referrer %s: %v: %w", desc.Digest, err, errUnusable)
	}
	if m.Subject == nil || m.Subject.Digest != subject.Digest {
		return m, fmt.Errorf("referrer %s does not name %s as its subject: %w", desc.Digest, subject.Digest, errUnusable)
	}
	if m.ArtifactType != artifactType && m.Config.MediaType != artifactType {
		return m, fmt.Errorf("referrer %s is of type %q, not %s: %w", desc.Digest, m.ArtifactType, artifactType, errUnusable)
	}
	return m, nil
}
