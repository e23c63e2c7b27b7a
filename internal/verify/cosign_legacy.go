package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
)

// cosign v2 stores the signatures of manifest sha256:<hex> as the layers of one image
// manifest tagged sha256-<hex>.sig, in the image's repository or in COSIGN_REPOSITORY
// (cosign's SIGNATURE_SPEC.md). Each layer is a "simple signing" payload naming the
// signed digest; the signature and what verifies it ride along as layer annotations.
const (
	simpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// simpleSigningType is the payload's critical.type for an image (or chart) signature.
	simpleSigningType = "cosign container image signature"

	annotationSignature   = "dev.cosignproject.cosign/signature"
	annotationCertificate = "dev.sigstore.cosign/certificate"
	annotationBundle      = "dev.sigstore.cosign/bundle"
	annotationTimestamp   = "dev.sigstore.cosign/rfc3161timestamp"
)

// simpleSigningPayload is the part of a cosign v2 payload the check needs.
type simpleSigningPayload struct {
	Critical struct {
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
}

// rekorBundle is cosign v2's dev.sigstore.cosign/bundle annotation: a Rekor v1 log entry
// with its signed entry timestamp (the log's promise of inclusion).
type rekorBundle struct {
	SignedEntryTimestamp []byte `json:"SignedEntryTimestamp"`
	Payload              struct {
		Body           string `json:"body"`
		IntegratedTime int64  `json:"integratedTime"`
		LogIndex       int64  `json:"logIndex"`
		LogID          string `json:"logID"`
	} `json:"Payload"`
}

// verifyLegacy checks the cosign v2 signatures of subject.
func (c *Cosign) verifyLegacy(ctx context.Context, store Store, subject Subject, t *tally) (Result, bool, error) {
	tag := referrersTag(subject.Descriptor) + ".sig"
	_, data, err := fetchTagged(ctx, store, tag)
	switch {
	case isNotFound(err):
		return Result{}, false, nil
	case errors.Is(err, errUnusable):
		t.seen++
		t.reject("tag "+tag, err.Error())
		return Result{}, false, nil
	case err != nil:
		return Result{}, false, err
	}
	var manifest ocispec.Manifest
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.seen++
		t.reject("tag "+tag, "not an image manifest: "+err.Error())
		return Result{}, false, nil
	}
	checked := 0
	for i, layer := range manifest.Layers {
		if layer.MediaType != simpleSigningMediaType {
			continue
		}
		if checked++; checked > maxSignaturesChecked {
			break
		}
		t.seen++
		where := fmt.Sprintf("signature %d in %s", i+1, tag)
		payload, err := fetchBytes(ctx, store, layer, maxSignatureBlobBytes)
		if errors.Is(err, errUnusable) {
			t.reject(where, err.Error())
			continue
		}
		if err != nil {
			return Result{}, false, err
		}
		if reason := coversDigest(payload, subject); reason != "" {
			t.reject(where, reason)
			continue
		}
		entity, err := newLegacySignature(layer.Annotations, payload)
		if err != nil {
			t.reject(where, err.Error())
			continue
		}
		res, reason, err := c.check(entity, func() sgverify.ArtifactPolicyOption {
			return sgverify.WithArtifact(bytes.NewReader(payload))
		})
		if err != nil {
			return Result{}, false, err
		}
		if reason == "" {
			return res, true, nil
		}
		t.reject(where, reason)
	}
	if checked == 0 {
		t.seen++
		t.reject("tag "+tag, "holds no "+simpleSigningMediaType+" layer")
	}
	return Result{}, false, nil
}

// coversDigest says why a payload does not sign subject, if it does not. The payload is
// not yet authenticated here; a payload for another digest is rejected whoever signed it.
func coversDigest(payload []byte, subject Subject) string {
	var p simpleSigningPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return "the payload is not cosign's simple signing JSON: " + err.Error()
	}
	if p.Critical.Type != simpleSigningType {
		return fmt.Sprintf("the payload is a %q, not a %q", p.Critical.Type, simpleSigningType)
	}
	if got := p.Critical.Image.DockerManifestDigest; got != subject.Descriptor.Digest.String() {
		return fmt.Sprintf("the signature covers %s, not this version's %s (copied from another version, or the tag was re-pushed)", got, subject.Descriptor.Digest)
	}
	return ""
}

// legacySignature is one cosign v2 signature layer as a sigstore-go signed entity: a
// message signature over the payload, verified by a certificate (keyless) or by whichever
// trusted key is tried (keyed), with the Rekor entry and timestamp cosign attached.
type legacySignature struct {
	payloadDigest []byte
	signature     []byte
	certificate   *x509.Certificate
	tlogEntries   []*tlog.Entry
	timestamps    [][]byte
}

var _ sgverify.SignedEntity = (*legacySignature)(nil)

func newLegacySignature(annotations map[string]string, payload []byte) (*legacySignature, error) {
	sum := sha256.Sum256(payload)
	s := &legacySignature{payloadDigest: sum[:]}
	b64, ok := annotations[annotationSignature]
	if !ok {
		return nil, fmt.Errorf("no %s annotation", annotationSignature)
	}
	var err error
	if s.signature, err = base64.StdEncoding.DecodeString(b64); err != nil {
		return nil, fmt.Errorf("%s annotation is not base64: %v", annotationSignature, err)
	}
	if certPEM := annotations[annotationCertificate]; certPEM != "" {
		// The chain annotation (dev.sigstore.cosign/chain) is not read: intermediates are
		// trusted only from the trust material, never from the signature itself.
		block, _ := pem.Decode([]byte(certPEM))
		if block == nil || block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%s annotation is not a PEM certificate", annotationCertificate)
		}
		if s.certificate, err = x509.ParseCertificate(block.Bytes); err != nil {
			return nil, fmt.Errorf("%s annotation: %v", annotationCertificate, err)
		}
	}
	if raw := annotations[annotationBundle]; raw != "" {
		entry, err := parseRekorBundle(raw)
		if err != nil {
			return nil, fmt.Errorf("%s annotation: %v", annotationBundle, err)
		}
		s.tlogEntries = []*tlog.Entry{entry}
	}
	if raw := annotations[annotationTimestamp]; raw != "" {
		var ts struct{ SignedRFC3161Timestamp []byte }
		if err := json.Unmarshal([]byte(raw), &ts); err != nil || len(ts.SignedRFC3161Timestamp) == 0 {
			return nil, fmt.Errorf("%s annotation is not cosign's RFC 3161 timestamp JSON", annotationTimestamp)
		}
		s.timestamps = [][]byte{ts.SignedRFC3161Timestamp}
	}
	return s, nil
}

func parseRekorBundle(raw string) (*tlog.Entry, error) {
	var b rekorBundle
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		return nil, err
	}
	body, err := base64.StdEncoding.DecodeString(b.Payload.Body)
	if err != nil {
		return nil, fmt.Errorf("body is not base64: %v", err)
	}
	logID, err := hex.DecodeString(b.Payload.LogID)
	if err != nil {
		return nil, fmt.Errorf("logID is not hex: %v", err)
	}
	// A bundle's log entry says its kind and version; here only the body does.
	var kind struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(body, &kind); err != nil {
		return nil, fmt.Errorf("body is not a Rekor entry: %v", err)
	}
	return tlog.ParseTransparencyLogEntry(&protorekor.TransparencyLogEntry{
		LogIndex:          b.Payload.LogIndex,
		LogId:             &protocommon.LogId{KeyId: logID},
		KindVersion:       &protorekor.KindVersion{Kind: kind.Kind, Version: kind.APIVersion},
		IntegratedTime:    b.Payload.IntegratedTime,
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: b.SignedEntryTimestamp},
		CanonicalizedBody: body,
	})
}

func (s *legacySignature) HasInclusionPromise() bool { return len(s.tlogEntries) > 0 }

// HasInclusionProof is false: cosign v2 kept only the log's promise (the SET).
func (s *legacySignature) HasInclusionProof() bool { return false }

func (s *legacySignature) SignatureContent() (sgverify.SignatureContent, error) {
	return bundle.NewMessageSignature(s.payloadDigest, "SHA2_256", s.signature), nil
}

func (s *legacySignature) VerificationContent() (sgverify.VerificationContent, error) {
	if s.certificate != nil {
		return bundle.NewCertificate(s.certificate), nil
	}
	// A key with no hint: the provider's trust material holds one key per attempt.
	return &bundle.PublicKey{}, nil
}

func (s *legacySignature) Timestamps() ([][]byte, error) { return s.timestamps, nil }

func (s *legacySignature) TlogEntries() ([]*tlog.Entry, error) { return s.tlogEntries, nil }

// Version is empty: a cosign v2 signature is no Sigstore bundle version.
func (s *legacySignature) Version() (string, error) { return "", nil }
