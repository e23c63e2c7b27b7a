package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/notaryproject/notation-go"
	"github.com/notaryproject/notation-go/verifier"
	"github.com/notaryproject/notation-go/verifier/trustpolicy"
	"github.com/notaryproject/notation-go/verifier/truststore"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// notationArtifactType is the artifact type of a Notation signature manifest, a referrer
// of the manifest it signs.
const notationArtifactType = "application/vnd.cncf.notary.signature"

// Bounds on what a registry may make a Notation check read, the same as notation-go's
// own registry client applies (and notation verify's default --max-signatures).
const (
	notationMaxSignatures    = 100
	notationMaxManifestBytes = 4 << 20
	notationMaxEnvelopeBytes = 32 << 20
	// notationMaxPolicyBytes bounds the trust policy file, which is a few statements.
	notationMaxPolicyBytes = 4 << 20
)

// notationProvider verifies Notation signatures with notation-go's verifier, against a
// trust policy and a trust store in notation's own formats, so that a trust policy
// means here exactly what it means to `notation verify`.
type notationProvider struct {
	policyPath string
	policy     *trustpolicy.Document
	verifier   notation.Verifier
}

// NewNotation returns the notation provider. trustPolicyPath is a notation
// trustpolicy.json (OCI trust policy, version 1.0); trustStoreDir is a notation trust
// store directory, laid out as notation's own: x509/{ca,signingAuthority,tsa}/NAME/*.pem
// (or .crt/.cer), the NAME a trust policy's "trustStores" entry "ca:NAME" names.
//
// Everything is read and checked now: an unreadable or invalid trust policy, a trust
// store a policy names that does not exist or holds no valid certificates, is an error
// here rather than a rejection of every chart later.
//
// A statement's signatureVerification means what it means to notation: strict enforces
// every check; permissive and audit only log some failures (audit even an untrusted
// signer), and such a signature passes here as it does there. Revocation is checked as
// notation checks it, through the OCSP and CRL addresses the certificates name, unless
// the level or an override skips it; a status that cannot be learnt is an error, not a
// rejection.
func NewNotation(trustPolicyPath, trustStoreDir string) (Provider, error) {
	doc, err := readNotationTrustPolicy(trustPolicyPath)
	if err != nil {
		return nil, err
	}
	store, err := loadNotationTrustStore(doc, trustStoreDir)
	if err != nil {
		return nil, err
	}
	// No plugin manager: a signature that needs a verification plugin cannot be decided
	// here, and says so.
	v, err := verifier.NewWithOptions(doc, store, nil, verifier.VerifierOptions{})
	if err != nil {
		return nil, fmt.Errorf("notation trust policy %s: %w", trustPolicyPath, err)
	}
	return &notationProvider{policyPath: trustPolicyPath, policy: doc, verifier: v}, nil
}

// readNotationTrustPolicy reads and validates an OCI trust policy document. Unknown
// fields are errors: notation-go would ignore them, and a misspelt "trustedIdentities"
// must not go unnoticed.
func readNotationTrustPolicy(path string) (*trustpolicy.Document, error) {
	data, err := readNotationFile(path, notationMaxPolicyBytes)
	if err != nil {
		return nil, fmt.Errorf("notation trust policy: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc trustpolicy.Document
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("notation trust policy %s: %s", notationJSONPosition(path, data, err, dec.InputOffset()), notationJSONError(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("notation trust policy %s: more than one JSON document", path)
	}
	if err := doc.Validate(); err != nil {
		return nil, fmt.Errorf("notation trust policy %s: %w (see https://notaryproject.dev/docs/user-guides/how-to/manage-trust-policy/)", path, err)
	}
	return &doc, nil
}

func readNotationFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, limit>>20)
	}
	return data, nil
}

// notationJSONPosition is path:line:column of a decoding error, so the reader can go
// straight to it.
func notationJSONPosition(path string, data []byte, err error, fallback int64) string {
	offset := fallback
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		offset = syntax.Offset - 1 // the offending byte is the last one read
	case errors.As(err, &typ):
		offset = typ.Offset - 1
	default:
		// encoding/json does not say where an unknown field is: find its key.
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			if loc := regexp.MustCompile(regexp.QuoteMeta(name) + `\s*:`).FindIndex(data); loc != nil {
				offset = int64(loc[0])
			}
		}
	}
	offset = max(0, min(offset, int64(len(data))))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("%s:%d:%d", path, line, col)
}

func notationJSONError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if strings.HasPrefix(msg, "unknown field") {
		return msg + " (an OCI trust policy has version and trustPolicies; a statement has name, registryScopes, signatureVerification, trustStores and trustedIdentities)"
	}
	return msg
}

// notationTrustStore is a trust store read whole when the provider is made: the
// certificates of every named store the trust policy refers to, by "type:name".
type notationTrustStore map[string][]*x509.Certificate

func (s notationTrustStore) GetCertificates(_ context.Context, storeType truststore.Type, namedStore string) ([]*x509.Certificate, error) {
	certs, ok := s[string(storeType)+":"+namedStore]
	if !ok {
		return nil, truststore.TrustStoreError{Msg: fmt.Sprintf("the trust store %q of type %q is not named by the trust policy", namedStore, storeType)}
	}
	return certs, nil
}

// loadNotationTrustStore reads, with notation-go's own trust store reader (which checks
// file types and certificates as notation does), every named store doc refers to.
func loadNotationTrustStore(doc *trustpolicy.Document, dir string) (notationTrustStore, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("notation trust store: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("notation trust store %s is not a directory: point trustStore at the directory that holds x509/", dir)
	}
	reader := truststore.NewX509TrustStore(notationTrustStoreFS{root: dir})
	store := notationTrustStore{}
	for _, statement := range doc.TrustPolicies {
		for _, ref := range statement.TrustStores {
			if _, done := store[ref]; done {
				continue
			}
			storeType, name, _ := strings.Cut(ref, ":") // the trust policy was validated
			certs, err := reader.GetCertificates(context.Background(), truststore.Type(storeType), name)
			if err != nil {
				return nil, fmt.Errorf("notation trust store %s: trust policy statement %q names %q, which is %s: %w", dir, statement.Name, ref, filepath.Join(dir, "x509", storeType, name), err)
			}
			store[ref] = certs
		}
	}
	return store, nil
}

// notationTrustStoreFS serves a trust store directory where notation-go's reader expects
// notation's configuration directory: it asks for truststore/x509/..., which is
// x509/... of the directory a rule names.
type notationTrustStoreFS struct{ root string }

func (f notationTrustStoreFS) SysPath(items ...string) (string, error) {
	rel := filepath.ToSlash(filepath.Join(items...))
	rest, ok := strings.CutPrefix(rel, "truststore/")
	if !ok {
		return "", fmt.Errorf("notation asked for %q, outside the trust store", rel)
	}
	return filepath.Join(f.root, filepath.FromSlash(rest)), nil
}

func (f notationTrustStoreFS) Open(name string) (fs.File, error) {
	p, err := f.SysPath(name)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

func (p *notationProvider) Name() string { return "notation" }

// Verify lists the Notation signatures that refer to subject's manifest and passes it
// when one of them verifies under the trust policy statement whose registryScopes hold
// subject's repository. Signatures are read from the chart's own repository, where
// Notation keeps them: a rule's signatureRepository does not apply.
func (p *notationProvider) Verify(ctx context.Context, stores Stores, subject Subject) (Result, error) {
	ref := subject.Chart + "@" + subject.Descriptor.Digest.String()
	opts := notation.VerifierVerifyOptions{ArtifactReference: ref}
	statement, err := p.policy.GetApplicableTrustPolicy(ref)
	if err != nil {
		return Result{}, fmt.Errorf("notation trust policy %s has no statement for %s: add the repository to a statement's registryScopes, or use \"*\" (%w)", p.policyPath, subject.Chart, err)
	}
	// notation verify passes everything a skip statement covers; here that would be a
	// pass without a signer to show, so it is a configuration error instead.
	if level, err := statement.SignatureVerification.GetVerificationLevel(); err == nil && level.Name == trustpolicy.LevelSkip.Name {
		return Result{}, fmt.Errorf("notation trust policy %s: statement %q skips verification for %s, so it can never pass a version: give it a level other than skip, or remove the notation provider from this rule", p.policyPath, statement.Name, subject.Chart)
	}

	store, err := stores.Open(ctx, subject.Chart)
	if err != nil {
		return Result{}, err
	}
	sigs, err := notationSignatures(ctx, store, subject.Descriptor)
	if err != nil {
		return Result{}, fmt.Errorf("list the Notation signatures of %s: %w", ref, err)
	}
	if len(sigs) == 0 {
		return Result{}, p.reject("%s has no Notation signature (no referrer of type %s): sign it with `notation sign %s`", ref, notationArtifactType, ref)
	}

	expected := fmt.Sprintf("trust policy statement %q trusts identities %s from trust stores %s", statement.Name, notationList(statement.TrustedIdentities), notationList(statement.TrustStores))
	var reasons []string
	var undecided error
	for _, sig := range sigs {
		envelope, mediaType, err := notationEnvelope(ctx, store, sig)
		var malformed notationMalformedError
		if errors.As(err, &malformed) {
			// Whoever can push to the repository can attach junk: it is not a
			// signature, and must not stop a real one from being checked.
			reasons = append(reasons, fmt.Sprintf("signature %s: %v", sig.Digest, err))
			continue
		}
		if err != nil {
			return Result{}, fmt.Errorf("read Notation signature %s of %s: %w", sig.Digest, ref, err)
		}
		opts.SignatureMediaType = mediaType
		outcome, err := p.verifier.Verify(ctx, subject.Descriptor, envelope, opts)
		if err == nil {
			leaf := outcome.EnvelopeContent.SignerInfo.CertificateChain[0]
			return Result{Provider: p.Name(), Identity: leaf.Subject.String(), KeyID: notationFingerprint(leaf)}, nil
		}
		if notationUndecided(outcome, err) {
			undecided = fmt.Errorf("signature %s of %s could not be verified: %w", sig.Digest, ref, err)
			continue
		}
		reasons = append(reasons, fmt.Sprintf("signature %s: %s", sig.Digest, notationReason(outcome, err, subject.Descriptor)))
	}
	if undecided != nil {
		// Another signature might have passed had this one been decided: fail closed as
		// an error, not a rejection.
		return Result{}, undecided
	}
	return Result{}, p.reject("%s: no signature is trusted (%s): %s", ref, expected, strings.Join(reasons, "; "))
}

func (p *notationProvider) reject(format string, args ...any) error {
	return &RejectedError{Provider: p.Name(), Reason: fmt.Sprintf(format, args...)}
}

// notationUndecided tells a signature that could not be checked (a revocation server
// that did not answer, a plugin this build cannot run) from one that was checked and
// found wanting.
func notationUndecided(outcome *notation.VerificationOutcome, err error) bool {
	var inconclusive notation.VerificationInconclusiveError
	if outcome == nil || errors.As(err, &inconclusive) {
		return true
	}
	for _, r := range outcome.VerificationResults {
		// notation-go reports a revoked certificate as "... is revoked"; any other
		// revocation failure means the status could not be learnt.
		if r.Error != nil && r.Type == trustpolicy.TypeRevocation && r.Action == trustpolicy.ActionEnforce && !strings.Contains(r.Error.Error(), "is revoked") {
			return true
		}
	}
	return false
}

// notationReason is why a signature was not trusted, naming what it was signed by, or
// what it covers when that is not the chart.
func notationReason(outcome *notation.VerificationOutcome, err error, subject ocispec.Descriptor) string {
	if outcome.EnvelopeContent == nil {
		return err.Error()
	}
	var payload struct {
		TargetArtifact ocispec.Descriptor `json:"targetArtifact"`
	}
	if json.Unmarshal(outcome.EnvelopeContent.Payload.Content, &payload) == nil && payload.TargetArtifact.Digest != "" && !content.Equal(payload.TargetArtifact, subject) {
		return fmt.Sprintf("it signs %s (%s, %d bytes), not this chart manifest %s (%s, %d bytes)",
			payload.TargetArtifact.Digest, payload.TargetArtifact.MediaType, payload.TargetArtifact.Size, subject.Digest, subject.MediaType, subject.Size)
	}
	if chain := outcome.EnvelopeContent.SignerInfo.CertificateChain; len(chain) > 0 {
		return fmt.Sprintf("%v (signed by %q, certificate SHA-256 %s, issued by %q)", err, chain[0].Subject.String(), notationFingerprint(chain[0]), chain[0].Issuer.String())
	}
	return err.Error()
}

// notationSignatures lists the signature manifests that refer to desc: through the
// referrers API where the store serves it (oras-go falls back to the referrers tag
// itself), else through the referrers tag scheme (sha256-<hex>) directly.
func notationSignatures(ctx context.Context, store Store, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	var sigs []ocispec.Descriptor
	keep := func(referrers []ocispec.Descriptor) error {
		for _, r := range referrers {
			if r.ArtifactType != notationArtifactType {
				continue
			}
			if len(sigs) == notationMaxSignatures {
				return fmt.Errorf("more than %d Notation signatures: refusing to check them all", notationMaxSignatures)
			}
			sigs = append(sigs, r)
		}
		return nil
	}
	if lister, ok := store.(registry.ReferrerLister); ok {
		if err := lister.Referrers(ctx, desc, notationArtifactType, keep); err != nil {
			return nil, err
		}
		return sigs, nil
	}
	tag := desc.Digest.Algorithm().String() + "-" + desc.Digest.Encoded()
	indexDesc, err := store.Resolve(ctx, tag)
	if err != nil {
		if notationNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	if indexDesc.MediaType != ocispec.MediaTypeImageIndex {
		return nil, fmt.Errorf("referrers tag %s is a %s, not an image index", tag, indexDesc.MediaType)
	}
	raw, err := notationFetch(ctx, store, indexDesc, notationMaxManifestBytes)
	if err != nil {
		return nil, err
	}
	var index ocispec.Index
	if err := json.Unmarshal(raw, &index); err != nil {
		return nil, fmt.Errorf("referrers tag %s: %w", tag, err)
	}
	return sigs, keep(index.Manifests)
}

func notationNotFound(err error) bool {
	var resp *errcode.ErrorResponse
	return errors.Is(err, errdef.ErrNotFound) || errors.As(err, &resp) && resp.StatusCode == http.StatusNotFound
}

// notationMalformedError says a referrer is not a well-formed Notation signature; unlike
// a registry failure, that is a fact about the signature.
type notationMalformedError struct{ reason string }

func (e notationMalformedError) Error() string { return e.reason }

// notationEnvelope reads a signature manifest and the one envelope (JWS or COSE) it
// carries, as notation-go's registry client does.
func notationEnvelope(ctx context.Context, store Store, sig ocispec.Descriptor) ([]byte, string, error) {
	if sig.Size > notationMaxManifestBytes {
		return nil, "", notationMalformedError{fmt.Sprintf("its manifest is %d bytes, more than the %d MiB a signature manifest may be", sig.Size, notationMaxManifestBytes>>20)}
	}
	raw, err := notationFetch(ctx, store, sig, notationMaxManifestBytes)
	if err != nil {
		return nil, "", err
	}
	// Old signatures use the OCI artifact manifest of image-spec 1.1's drafts, whose
	// envelope is in "blobs"; current ones an image manifest, in "layers".
	var m struct {
		Layers []ocispec.Descriptor `json:"layers"`
		Blobs  []ocispec.Descriptor `json:"blobs"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, "", notationMalformedError{fmt.Sprintf("its manifest is not JSON: %v", err)}
	}
	blobs := append(m.Layers, m.Blobs...)
	if len(blobs) != 1 {
		return nil, "", notationMalformedError{fmt.Sprintf("a signature manifest carries one envelope, this one %d", len(blobs))}
	}
	if blobs[0].Size > notationMaxEnvelopeBytes {
		return nil, "", notationMalformedError{fmt.Sprintf("its envelope is %d bytes, more than the %d MiB an envelope may be", blobs[0].Size, notationMaxEnvelopeBytes>>20)}
	}
	envelope, err := notationFetch(ctx, store, blobs[0], notationMaxEnvelopeBytes)
	if err != nil {
		return nil, "", err
	}
	return envelope, blobs[0].MediaType, nil
}

// notationFetch reads content whole, refusing more than limit bytes, and checks its size
// and digest.
func notationFetch(ctx context.Context, store Store, desc ocispec.Descriptor, limit int64) ([]byte, error) {
	if desc.Size > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d MiB allowed", desc.Digest, desc.Size, limit>>20)
	}
	rc, err := store.Fetch(ctx, desc)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return content.ReadAll(rc, desc)
}

// notationFingerprint is a certificate's SHA-256 fingerprint, as `notation certificate
// show` prints it.
func notationFingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}

func notationList(items []string) string {
	quoted := slices.Clone(items)
	for i, s := range quoted {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
