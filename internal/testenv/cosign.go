package testenv

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
)

// What cosign writes, from its SIGNATURE_SPEC.md (v2) and BUNDLE_SPEC.md (v3).
const (
	cosignSimpleSigningType  = "application/vnd.dev.cosign.simplesigning.v1+json"
	cosignBundleType         = "application/vnd.dev.sigstore.bundle.v0.3+json"
	cosignSignPredicateType  = "https://sigstore.dev/cosign/sign/v1"
	inTotoStatementType      = "https://in-toto.io/Statement/v1"
	inTotoPayloadType        = "application/vnd.in-toto+json"
	cosignSignatureAnnot     = "dev.cosignproject.cosign/signature"
	cosignCertificateAnnot   = "dev.sigstore.cosign/certificate"
	cosignChainAnnot         = "dev.sigstore.cosign/chain"
	cosignBundleAnnot        = "dev.sigstore.cosign/bundle"
	cosignTimestampAnnot     = "dev.sigstore.cosign/rfc3161timestamp"
	cosignBundleContentAnnot = "dev.sigstore.bundle.content"
	cosignPredicateAnnot     = "dev.sigstore.bundle.predicateType"
)

// CosignSigner signs the way cosign does: with a key (CosignKey) or keylessly, with a
// certificate from a Sigstore (SigstoreIdentity).
type CosignSigner interface {
	// signV2 signs a cosign v2 simple signing payload and returns the layer annotations
	// cosign writes for it.
	signV2(tb testing.TB, payload []byte) map[string]string
	// signV3 signs an in-toto statement into a DSSE envelope and returns the Sigstore
	// bundle (v0.3) as JSON.
	signV3(tb testing.TB, statement []byte) []byte
}

// CosignKey is a signing key pair made in the test.
type CosignKey struct {
	signer signature.SignerVerifier
	public crypto.PublicKey
}

// NewCosignKey makes an ECDSA P-256 key pair, what `cosign generate-key-pair` makes.
func NewCosignKey(tb testing.TB) *CosignKey {
	tb.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	return CosignKeyFrom(tb, priv)
}

// CosignKeyFrom uses priv (ECDSA, RSA or Ed25519) as a cosign key. Like cosign, it hashes
// with SHA-256 whatever the key.
func CosignKeyFrom(tb testing.TB, priv crypto.Signer) *CosignKey {
	tb.Helper()
	sv, err := signature.LoadSignerVerifier(priv, crypto.SHA256)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	return &CosignKey{signer: sv, public: priv.Public()}
}

// PublicKeyPEM is the public key as cosign.pub holds it.
func (k *CosignKey) PublicKeyPEM(tb testing.TB) []byte {
	tb.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.public)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// WritePublicKey writes the public key to dir/name and returns the path.
func (k *CosignKey) WritePublicKey(tb testing.TB, dir, name string) string {
	tb.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, k.PublicKeyPEM(tb), 0o600); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	return path
}

func (k *CosignKey) signV2(tb testing.TB, payload []byte) map[string]string {
	tb.Helper()
	sig, err := k.signer.SignMessage(bytes.NewReader(payload))
	if err != nil {
		tb.Fatalf("testenv: sign: %v", err)
	}
	// `cosign sign --key --tlog-upload=false`: the signature alone.
	return map[string]string{cosignSignatureAnnot: base64.StdEncoding.EncodeToString(sig)}
}

func (k *CosignKey) signV3(tb testing.TB, statement []byte) []byte {
	tb.Helper()
	envSigner, err := dsse.NewEnvelopeSigner(&sigdsse.SignerAdapter{SignatureSigner: k.signer, Pub: k.public})
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	env, err := envSigner.SignPayload(context.Background(), inTotoPayloadType, statement)
	if err != nil {
		tb.Fatalf("testenv: sign: %v", err)
	}
	der, err := x509.MarshalPKIXPublicKey(k.public)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	hint := sha256.Sum256(der)
	return marshalBundle(tb, &protobundle.Bundle{
		MediaType: cosignBundleType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{
				Hint: base64.StdEncoding.EncodeToString(hint[:]),
			}},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: protoEnvelope(tb, env)},
	})
}

// protoEnvelope converts a DSSE envelope (base64 fields) into the bundle's protobuf one
// (raw bytes).
func protoEnvelope(tb testing.TB, env *dsse.Envelope) *protodsse.Envelope {
	tb.Helper()
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	out := &protodsse.Envelope{Payload: payload, PayloadType: env.PayloadType}
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			tb.Fatalf("testenv: %v", err)
		}
		out.Signatures = append(out.Signatures, &protodsse.Signature{Sig: sig, Keyid: s.KeyID})
	}
	return out
}

// marshalBundle checks pb is a bundle sigstore-go accepts and returns its JSON.
func marshalBundle(tb testing.TB, pb *protobundle.Bundle) []byte {
	tb.Helper()
	b, err := bundle.NewBundle(pb)
	if err != nil {
		tb.Fatalf("testenv: invalid bundle: %v", err)
	}
	data, err := b.MarshalJSON()
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	return data
}

// CosignOption changes what CosignSignV2 and CosignSignV3 sign.
type CosignOption func(*cosignConfig)

type cosignConfig struct {
	covers string
}

// CosignCovering makes the signature name digest instead of the subject it is attached to:
// a signature copied from another version, or left behind by a re-pushed tag.
func CosignCovering(digest string) CosignOption {
	return func(c *cosignConfig) { c.covers = digest }
}

// CosignSignV2 signs the manifest subject as cosign v2 does (and cosign v3 with
// --new-bundle-format=false): a simple signing payload naming subject, signed by signer,
// appended as one more layer to the signature manifest tagged sha256-<hex>.sig in
// repository (the subject's own, or a signature repository as with COSIGN_REPOSITORY).
func (r *Registry) CosignSignV2(tb testing.TB, repository, subject string, signer CosignSigner, opts ...CosignOption) {
	tb.Helper()
	cfg := cosignConfig{covers: subject}
	for _, o := range opts {
		o(&cfg)
	}
	ctx := context.Background()
	repo := r.Repository(tb, repository)
	payload, err := json.Marshal(map[string]any{
		"critical": map[string]any{
			"identity": map[string]string{"docker-reference": r.Host + "/" + repository},
			"image":    map[string]string{"docker-manifest-digest": cfg.covers},
			"type":     "cosign container image signature",
		},
		"optional": nil,
	})
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	layer := content.NewDescriptorFromBytes(cosignSimpleSigningType, payload)
	layer.Annotations = signer.signV2(tb, payload)
	if err := repo.Push(ctx, layer, bytes.NewReader(payload)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		tb.Fatalf("testenv: push signature payload: %v", err)
	}

	// cosign appends to the signatures already there.
	tag := strings.Replace(subject, ":", "-", 1) + ".sig"
	var layers []ocispec.Descriptor
	if desc, err := repo.Resolve(ctx, tag); err == nil {
		rc, err := repo.Fetch(ctx, desc)
		if err != nil {
			tb.Fatalf("testenv: %v", err)
		}
		data, err := content.ReadAll(rc, desc)
		rc.Close()
		if err != nil {
			tb.Fatalf("testenv: %v", err)
		}
		var existing ocispec.Manifest
		if err := json.Unmarshal(data, &existing); err != nil {
			tb.Fatalf("testenv: %v", err)
		}
		layers = existing.Layers
	}
	layers = append(layers, layer)

	// The config is an image config whose diff IDs are the (uncompressed) layers.
	diffIDs := make([]string, len(layers))
	for i, l := range layers {
		diffIDs[i] = l.Digest.String()
	}
	config, err := json.Marshal(map[string]any{
		"architecture": "", "os": "", "config": map[string]any{},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	configDesc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageConfig, config)
	if err := repo.Push(ctx, configDesc, bytes.NewReader(config)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		tb.Fatalf("testenv: push signature config: %v", err)
	}
	manifest, err := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    configDesc,
		Layers:    layers,
	})
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	manifestDesc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, manifest)
	if err := repo.PushReference(ctx, manifestDesc, bytes.NewReader(manifest), tag); err != nil {
		tb.Fatalf("testenv: push signature manifest %s:%s: %v", repository, tag, err)
	}
}

// CosignSignV3 signs the manifest subject as cosign v3 does by default: an in-toto
// statement about subject (predicate type https://sigstore.dev/cosign/sign/v1) in a DSSE
// envelope, as a Sigstore bundle attached to subject as an OCI 1.1 referrer in repository
// (see PushReferrer for how the registry's referrers API decides where it is indexed).
// It returns the referrer's digest.
func (r *Registry) CosignSignV3(tb testing.TB, repository, subject string, signer CosignSigner, opts ...CosignOption) string {
	tb.Helper()
	cfg := cosignConfig{covers: subject}
	for _, o := range opts {
		o(&cfg)
	}
	algorithm, encoded, ok := strings.Cut(cfg.covers, ":")
	if !ok {
		tb.Fatalf("testenv: CosignSignV3: %q is not a digest", cfg.covers)
	}
	statement, err := json.Marshal(map[string]any{
		"_type":         inTotoStatementType,
		"subject":       []map[string]any{{"digest": map[string]string{algorithm: encoded}}},
		"predicateType": cosignSignPredicateType,
		"predicate":     map[string]any{},
	})
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	return r.PushReferrer(tb, repository, subject, Referrer{
		ArtifactType:   cosignBundleType,
		LayerMediaType: cosignBundleType,
		Layer:          signer.signV3(tb, statement),
		Annotations: map[string]string{
			cosignBundleContentAnnot: "dsse-envelope",
			cosignPredicateAnnot:     cosignSignPredicateType,
		},
	})
}

// hexLogID turns a log's raw key ID into the hex a Rekor bundle names it by.
func hexLogID(raw string) string { return hex.EncodeToString([]byte(raw)) }
