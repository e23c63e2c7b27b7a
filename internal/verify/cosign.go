package verify

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
)

// TlogPolicy says whether a cosign signature must be recorded in a transparency log
// (Rekor). A logged signature cannot be made in secret, and the log's time for it cannot be
// back-dated.
type TlogPolicy string

const (
	// TlogDefault requires a log entry for keyless signatures, whose short-lived certificate
	// is only valid at the logged time, and does not look at one for keyed signatures, which
	// are often made offline (`cosign sign --tlog-upload=false`).
	TlogDefault TlogPolicy = ""
	// TlogRequired requires a verified log entry for keyed signatures too. Checking it needs
	// the trust material's Rekor keys.
	TlogRequired TlogPolicy = "required"
	// TlogIgnored never looks at the log. A keyless signature then needs a signed timestamp
	// (RFC 3161) from a timestamp authority in the trust material instead.
	TlogIgnored TlogPolicy = "ignore"
)

// Identity is a keyless signer as its Fulcio certificate names it: the OIDC issuer that
// vouched for the signer, and the subject it vouched for (the certificate's subject
// alternative name: an e-mail address, or a workflow's URI such as
// https://github.com/acme/charts/.github/workflows/release.yaml@refs/tags/v1.2.0). Each is
// matched exactly or by a regular expression, the shape of Flux's matchOIDCIdentity and
// cosign's --certificate-identity[-regexp] / --certificate-oidc-issuer[-regexp]. Regular
// expressions are Go's (RE2) and unanchored, as in cosign: anchor them with ^ and $.
type Identity struct {
	Issuer        string
	IssuerRegExp  string
	Subject       string
	SubjectRegExp string
}

// String describes the identity in reasons.
func (id Identity) String() string {
	subject := fmt.Sprintf("subject %q", id.Subject)
	if id.SubjectRegExp != "" {
		subject = "subject matching " + quoteRegexp(id.SubjectRegExp)
	}
	issuer := fmt.Sprintf("issuer %q", id.Issuer)
	if id.IssuerRegExp != "" {
		issuer = "issuer matching " + quoteRegexp(id.IssuerRegExp)
	}
	return subject + " from " + issuer
}

// quoteRegexp quotes a regular expression as written, backslashes and all (%q would
// double them), as in the config file.
func quoteRegexp(re string) string {
	if strings.ContainsAny(re, "`\n") {
		return fmt.Sprintf("%q", re)
	}
	return "`" + re + "`"
}

// identityMatcher is an Identity with its regular expressions compiled.
type identityMatcher struct {
	Identity
	issuer, subject *regexp.Regexp
}

func newIdentityMatcher(id Identity) (identityMatcher, error) {
	m := identityMatcher{Identity: id}
	var err error
	if m.issuer, err = exactOrRegexp("issuer", id.Issuer, id.IssuerRegExp); err != nil {
		return m, fmt.Errorf("cosign keyless identity: %w", err)
	}
	if m.subject, err = exactOrRegexp("subject", id.Subject, id.SubjectRegExp); err != nil {
		return m, fmt.Errorf("cosign keyless identity: %w", err)
	}
	return m, nil
}

// exactOrRegexp checks that exactly one of field and fieldRegExp is set, and compiles the
// regexp. Leaving both out would trust anyone Fulcio issues certificates to.
func exactOrRegexp(field, exact, re string) (*regexp.Regexp, error) {
	switch {
	case exact == "" && re == "":
		return nil, fmt.Errorf("set %s or %sRegExp: without it any %s would be trusted", field, field, field)
	case exact != "" && re != "":
		return nil, fmt.Errorf("set %s or %sRegExp, not both", field, field)
	case re != "":
		compiled, err := regexp.Compile(re)
		if err != nil {
			return nil, fmt.Errorf("%sRegExp %q: %w", field, re, err)
		}
		return compiled, nil
	}
	return nil, nil
}

func (m identityMatcher) matches(s certificate.Summary) bool {
	return matchOne(m.Subject, m.subject, s.SubjectAlternativeName) && matchOne(m.Issuer, m.issuer, s.Issuer)
}

func matchOne(exact string, re *regexp.Regexp, value string) bool {
	if re != nil {
		return re.MatchString(value)
	}
	return value == exact
}

// sigstoreIdentity is the same identity in sigstore-go's terms, so that its verifier checks
// the certificate against it too.
func (m identityMatcher) sigstoreIdentity() (sgverify.CertificateIdentity, error) {
	return sgverify.NewShortCertificateIdentity(m.Issuer, m.IssuerRegExp, m.Subject, m.SubjectRegExp)
}

// CosignOptions configures a cosign provider. Set PublicKeys (or PublicKeyFiles),
// Identities, or both: a signature passes when any trusted key made it, or a certificate
// issued to any trusted identity did.
type CosignOptions struct {
	// PublicKeys are trusted signing keys, as PEM.
	PublicKeys []PublicKey
	// PublicKeyFiles are trusted signing keys, as PEM files (cosign.pub); each is named by
	// its path in reports.
	PublicKeyFiles []string
	// Identities are trusted keyless signers.
	Identities []Identity
	// TrustedRootFile is a Sigstore trusted root (trusted_root.json) to check certificates,
	// transparency log entries and timestamps against: offline, air-gapped and private
	// Sigstore use. TrustedRoot is the same as bytes. With neither, the Sigstore public-good
	// instance's trusted root is fetched through TUF when first needed (a keyed rule without
	// TlogRequired never needs it).
	TrustedRootFile string
	TrustedRoot     []byte
	// TUFCacheDir is where the public-good trusted root's TUF metadata is cached; empty is
	// sigstore-go's default, ~/.sigstore/root, shared with cosign.
	TUFCacheDir string
	// TransparencyLog says whether signatures must be in a transparency log.
	TransparencyLog TlogPolicy
}

// Cosign verifies cosign signatures of chart versions, in both storage schemes found in
// registries: cosign v2's signature manifests under a sha256-<hex>.sig tag, and cosign v3's
// Sigstore bundles attached as OCI 1.1 referrers (through the referrers API, or the
// referrers tag where the registry has none). It checks with sigstore-go, Sigstore's
// verification library, not the cosign module, which is built for cosign's CLI and brings
// much more along. It is safe for concurrent use.
type Cosign struct {
	keys       []trustedKey
	identities []identityMatcher
	tlog       TlogPolicy
	trust      *trustSource
}

var _ Provider = (*Cosign)(nil)

// NewCosign checks opts and reads the keys and trust material it names, so that a bad key
// or trusted root file is an error now, naming the file, rather than a failed check later.
func NewCosign(opts CosignOptions) (*Cosign, error) {
	c := &Cosign{tlog: opts.TransparencyLog}
	switch opts.TransparencyLog {
	case TlogDefault, TlogRequired, TlogIgnored:
	default:
		return nil, fmt.Errorf("cosign transparencyLog %q: want %q or %q (or leave it out)", opts.TransparencyLog, TlogRequired, TlogIgnored)
	}
	fileKeys, err := readPublicKeyFiles(opts.PublicKeyFiles)
	if err != nil {
		return nil, err
	}
	if c.keys, err = parsePublicKeys(append(append([]PublicKey(nil), opts.PublicKeys...), fileKeys...)); err != nil {
		return nil, err
	}
	for _, id := range opts.Identities {
		m, err := newIdentityMatcher(id)
		if err != nil {
			return nil, err
		}
		c.identities = append(c.identities, m)
	}
	if len(c.keys) == 0 && len(c.identities) == 0 {
		return nil, errors.New("cosign: give publicKeys or a keyless identity: with neither, nothing could pass")
	}
	switch {
	case opts.TrustedRootFile != "" && opts.TrustedRoot != nil:
		return nil, errors.New("cosign: give a trusted root as a file or as bytes, not both")
	case opts.TrustedRootFile != "":
		c.trust, err = trustedRootFile(opts.TrustedRootFile)
	case opts.TrustedRoot != nil:
		c.trust, err = trustedRootJSON("(given as bytes)", opts.TrustedRoot)
	default:
		c.trust = publicGoodTrustedRoot(opts.TUFCacheDir)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Name is "cosign".
func (c *Cosign) Name() string { return "cosign" }

// Verify looks for cosign signatures of subject in its signature repository (the chart's
// own unless the policy names another) and passes on the first one a trusted key or
// identity made for exactly this digest. cosign v2 signatures are looked at first: one
// request for the .sig tag and one for its payload make the cheapest check, and they are
// still the most common; v3 bundles are listed only when no v2 signature passed.
func (c *Cosign) Verify(ctx context.Context, stores Stores, subject Subject) (Result, error) {
	if err := subject.Descriptor.Digest.Validate(); err != nil {
		return Result{}, fmt.Errorf("cosign: the version to verify has no valid digest: %w", err)
	}
	if subject.Descriptor.Digest.Algorithm() != digest.SHA256 {
		return Result{}, &RejectedError{Provider: c.Name(), Reason: fmt.Sprintf("%s is not a sha256 digest, the only kind cosign signs", subject.Descriptor.Digest)}
	}
	repository := subject.SignatureRepositoryOrChart()
	store, err := stores.Open(ctx, repository)
	if err != nil {
		return Result{}, err
	}
	var t tally
	if res, ok, err := c.verifyLegacy(ctx, store, subject, &t); err != nil || ok {
		return res, err
	}
	if res, ok, err := c.verifyBundles(ctx, store, subject, &t); err != nil || ok {
		return res, err
	}
	return Result{}, &RejectedError{Provider: c.Name(), Reason: t.reason(repository, subject)}
}

// tally collects why the signatures found were not trusted.
type tally struct {
	seen    int
	reasons []string
}

func (t *tally) reject(where, reason string) {
	r := where + ": " + reason
	for _, seen := range t.reasons {
		if seen == r {
			return
		}
	}
	t.reasons = append(t.reasons, r)
}

func (t *tally) reason(repository string, subject Subject) string {
	if t.seen == 0 {
		return fmt.Sprintf("no cosign signature of %s in %s (no tag %s.sig, no %s referrer)", subject.Descriptor.Digest, repository, referrersTag(subject.Descriptor), bundleArtifactType)
	}
	return strings.Join(t.reasons, "; ")
}

// check verifies one signature (a cosign v2 signature layer or a v3 bundle, both as
// sigstore-go signed entities) against the trusted keys and identities. artifact says
// what the signature must cover; it is called for each attempt, since a reader is
// consumed by one. A signature none of them trusts yields a reason; an error means the
// check could not be made.
func (c *Cosign) check(entity sgverify.SignedEntity, artifact func() sgverify.ArtifactPolicyOption) (Result, string, error) {
	vc, err := entity.VerificationContent()
	if err != nil {
		return Result{}, "no usable verification material: " + err.Error(), nil
	}
	if cert := vc.Certificate(); cert != nil {
		return c.checkKeyless(entity, cert, artifact)
	}
	return c.checkKeyed(entity, artifact)
}

func (c *Cosign) checkKeyless(entity sgverify.SignedEntity, cert *x509.Certificate, artifact func() sgverify.ArtifactPolicyOption) (Result, string, error) {
	summary, err := certificate.SummarizeCertificate(cert)
	if err != nil {
		return Result{}, "unreadable signing certificate: " + err.Error(), nil
	}
	signer := fmt.Sprintf("subject %q from issuer %q", summary.SubjectAlternativeName, summary.Issuer)
	if len(c.identities) == 0 {
		return Result{}, fmt.Sprintf("signed keylessly, by %s; the rule trusts only keys: %s", signer, c.keyList()), nil
	}
	// The identity is matched before the certificate is verified: a certificate for
	// someone else is a rejection whether or not it is genuine, and this one needs no trust
	// material. Verify below checks the chain, and checks the identity again.
	var matched *identityMatcher
	for i := range c.identities {
		if c.identities[i].matches(summary) {
			matched = &c.identities[i]
			break
		}
	}
	if matched == nil {
		return Result{}, fmt.Sprintf("signed by %s, not by %s", signer, c.identityList()), nil
	}
	tm, err := c.trust.get()
	if err != nil {
		return Result{}, "", err
	}
	if reason := c.tlogMissing(entity); reason != "" {
		return Result{}, "signature by " + signer + " " + reason, nil
	}
	var opts []sgverify.VerifierOption
	if c.tlog == TlogIgnored {
		opts = append(opts, sgverify.WithSignedTimestamps(1))
	} else {
		// The certificate lives ten minutes; the log's integrated time, or a timestamp
		// authority's signed time (Rekor v2 logs record none), shows it signed within them.
		opts = append(opts, sgverify.WithTransparencyLog(1), sgverify.WithObserverTimestamps(1))
	}
	if len(tm.CTLogs()) > 0 {
		// Trust material that lists certificate transparency logs (the public good's does)
		// has every Fulcio certificate logged there; one that is not was not issued openly.
		opts = append(opts, sgverify.WithSignedCertificateTimestamps(1))
	}
	v, err := sgverify.NewVerifier(tm, opts...)
	if err != nil {
		return Result{}, "", fmt.Errorf("cosign verifier with %s: %w", c.trust.name, err)
	}
	id, err := matched.sigstoreIdentity()
	if err != nil {
		return Result{}, "", err
	}
	res, err := v.Verify(entity, sgverify.NewPolicy(artifact(), sgverify.WithCertificateIdentity(id)))
	if err != nil {
		return Result{}, fmt.Sprintf("signature by %s does not verify against %s: %v", signer, c.trust.name, err), nil
	}
	sum := sha256.Sum256(cert.Raw)
	return Result{
		Provider: c.Name(),
		Identity: summary.SubjectAlternativeName,
		Issuer:   summary.Issuer,
		KeyID:    "sha256:" + hex.EncodeToString(sum[:]),
		TlogTime: observedTime(res),
	}, "", nil
}

func (c *Cosign) checkKeyed(entity sgverify.SignedEntity, artifact func() sgverify.ArtifactPolicyOption) (Result, string, error) {
	if len(c.keys) == 0 {
		return Result{}, fmt.Sprintf("signed with a key, not keylessly; the rule trusts only %s", c.identityList()), nil
	}
	// First find the key that made the signature, without the log: a signature by an
	// unknown key is a rejection whatever the log says.
	var signer *trustedKey
	var res *sgverify.VerificationResult
	for i := range c.keys {
		v, err := sgverify.NewVerifier(keyMaterial(c.keys[i]), sgverify.WithNoObserverTimestamps())
		if err != nil {
			return Result{}, "", err
		}
		if r, err := v.Verify(entity, sgverify.NewPolicy(artifact(), sgverify.WithKey())); err == nil {
			signer, res = &c.keys[i], r
			break
		}
	}
	if signer == nil {
		if len(c.keys) == 1 {
			return Result{}, "not signed by the key " + c.keyList(), nil
		}
		return Result{}, "not signed by any of the keys " + c.keyList(), nil
	}
	if c.tlog == TlogRequired {
		if reason := c.tlogMissing(entity); reason != "" {
			return Result{}, "signature by " + signer.String() + " " + reason, nil
		}
		tm, err := c.trust.get()
		if err != nil {
			return Result{}, "", err
		}
		v, err := sgverify.NewVerifier(root.TrustedMaterialCollection{keyMaterial(*signer), tm},
			sgverify.WithTransparencyLog(1), sgverify.WithObserverTimestamps(1))
		if err != nil {
			return Result{}, "", err
		}
		if res, err = v.Verify(entity, sgverify.NewPolicy(artifact(), sgverify.WithKey())); err != nil {
			return Result{}, fmt.Sprintf("signature by %s: its transparency log entry does not verify against %s: %v", signer, c.trust.name, err), nil
		}
	}
	return Result{
		Provider: c.Name(),
		Identity: signer.name,
		KeyID:    signer.fingerprint,
		TlogTime: observedTime(res),
	}, "", nil
}

// tlogMissing says why a signature that must be logged cannot be: it has no log entry.
func (c *Cosign) tlogMissing(entity sgverify.SignedEntity) string {
	if c.tlog == TlogIgnored {
		return ""
	}
	entries, err := entity.TlogEntries()
	if err == nil && len(entries) > 0 {
		return ""
	}
	return "has no transparency log entry, and the rule requires one"
}

// keyMaterial is trust material holding one key, whatever key hint a signature gives:
// cosign's hints are not key IDs anyone agreed on, and each trusted key is tried in turn.
func keyMaterial(k trustedKey) root.TrustedMaterial {
	key := root.NewExpiringKey(k.verifier, time.Time{}, time.Time{})
	return root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })
}

// observedTime is the verified time the signature was made at: the transparency log's
// integrated time, or, for a log that records none (Rekor v2), the signed timestamp that
// stands in for it. Nil when the signature was checked without either.
func observedTime(res *sgverify.VerificationResult) *time.Time {
	if res == nil {
		return nil
	}
	for _, want := range []string{"Tlog", "TimestampAuthority"} {
		for _, ts := range res.VerifiedTimestamps {
			if ts.Type == want && !ts.Timestamp.IsZero() {
				t := ts.Timestamp.UTC()
				return &t
			}
		}
	}
	return nil
}

func (c *Cosign) keyList() string {
	if len(c.keys) == 0 {
		return "(none)"
	}
	names := make([]string, len(c.keys))
	for i, k := range c.keys {
		names[i] = k.String()
	}
	return strings.Join(names, ", ")
}

func (c *Cosign) identityList() string {
	if len(c.identities) == 0 {
		return "(no keyless identity)"
	}
	names := make([]string, len(c.identities))
	for i, id := range c.identities {
		names[i] = id.String()
	}
	return strings.Join(names, " or ")
}
