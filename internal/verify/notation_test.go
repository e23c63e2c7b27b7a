package verify_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notaryproject/notation-go"
	notationregistry "github.com/notaryproject/notation-go/registry"
	"github.com/notaryproject/notation-go/signer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
	"github.com/chart-promoter/chart-promoter/internal/verify"
)

const (
	jwsMediaType  = "application/jose+json"
	coseMediaType = "application/cose"
)

// testCert is a certificate and its key, made in the test.
type testCert struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// newTestCA makes a self-signed root CA of the kind notation accepts in a trust store.
func newTestCA(t testing.TB, name pkix.Name) testCert {
	t.Helper()
	return makeCert(t, &x509.Certificate{
		Subject:               name,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}, nil)
}

// issueSigningCert makes a code-signing leaf certificate for subject, issued by ca.
func issueSigningCert(t testing.TB, ca testCert, subject pkix.Name) testCert {
	t.Helper()
	return makeCert(t, &x509.Certificate{
		Subject:               subject,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}, &ca)
}

func makeCert(t testing.TB, tmpl *x509.Certificate, issuer *testCert) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	parent, parentKey := tmpl, crypto.Signer(key)
	if issuer != nil {
		parent, parentKey = issuer.cert, issuer.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{cert: cert, key: key}
}

func subjectName(cn string) pkix.Name {
	return pkix.Name{Country: []string{"US"}, Province: []string{"WA"}, Organization: []string{"Acme"}, CommonName: cn}
}

// writeTrustStore lays out a notation trust store holding cas as the named CA store
// name: x509/ca/NAME/*.pem, as `notation cert add --type ca --store NAME` does.
func writeTrustStore(t testing.TB, name string, cas ...*x509.Certificate) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "truststore")
	dir := filepath.Join(root, "x509", "ca", name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for i, ca := range cas {
		data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})
		if err := os.WriteFile(filepath.Join(dir, "ca"+string(rune('0'+i))+".pem"), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// notationSign signs HOST/repository@digest with notation-go's signer and pushes the
// signature as a referrer, as `notation sign` does.
func notationSign(t testing.TB, reg *testenv.Registry, repository, digest string, by testCert, chain []*x509.Certificate, mediaType string) {
	t.Helper()
	s, err := signer.NewGenericSigner(by.key, append([]*x509.Certificate{by.cert}, chain...))
	if err != nil {
		t.Fatal(err)
	}
	repo := notationregistry.NewRepository(reg.Repository(t, repository))
	_, err = notation.Sign(context.Background(), s, repo, notation.SignOptions{
		SignerSignOptions: notation.SignerSignOptions{SignatureMediaType: mediaType},
		ArtifactReference: reg.Host + "/" + repository + "@" + digest,
	})
	if err != nil {
		t.Fatalf("notation sign %s@%s: %v", repository, digest, err)
	}
}

// notationSignAs signs the manifest signed but attaches the signature to subject, as
// someone who copies a signature onto other content would.
func notationSignAs(t *testing.T, reg *testenv.Registry, repository string, signed, subject ocispec.Descriptor, by testCert, chain []*x509.Certificate) {
	t.Helper()
	s, err := signer.NewGenericSigner(by.key, append([]*x509.Certificate{by.cert}, chain...))
	if err != nil {
		t.Fatal(err)
	}
	envelope, _, err := s.Sign(context.Background(), signed, notation.SignerSignOptions{SignatureMediaType: jwsMediaType})
	if err != nil {
		t.Fatal(err)
	}
	repo := notationregistry.NewRepository(reg.Repository(t, repository))
	if _, _, err := repo.PushSignature(context.Background(), jwsMediaType, envelope, subject, nil); err != nil {
		t.Fatalf("push signature onto %s: %v", subject.Digest, err)
	}
}

// attachJunkSignature attaches to subject a referrer that claims to be a Notation
// signature but carries two blobs, as anyone who can push to the repository could.
func attachJunkSignature(t testing.TB, reg *testenv.Registry, repository string, subject ocispec.Descriptor) {
	t.Helper()
	ctx := context.Background()
	repo := reg.Repository(t, repository)
	var layers []ocispec.Descriptor
	for _, junk := range []string{"junk one", "junk two"} {
		desc, err := oras.PushBytes(ctx, repo, jwsMediaType, []byte(junk))
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, desc)
	}
	_, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "application/vnd.cncf.notary.signature", oras.PackManifestOptions{Subject: &subject, Layers: layers})
	if err != nil {
		t.Fatalf("attach junk to %s: %v", subject.Digest, err)
	}
}

func certFingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

func TestNotationDecidesByTrustPolicyAndTrustStore(t *testing.T) {
	t.Parallel()
	acme := newTestCA(t, subjectName("Acme Charts Root"))
	publisher := issueSigningCert(t, acme, subjectName("Chart Publisher"))
	intern := issueSigningCert(t, acme, subjectName("Intern"))
	// Another CA can issue a certificate with the very same subject: only the trust
	// store tells them apart.
	elsewhere := newTestCA(t, subjectName("Elsewhere Root"))
	impostor := issueSigningCert(t, elsewhere, subjectName("Chart Publisher"))

	provider, err := verify.NewNotation(filepath.Join("testdata", "notation", "trustpolicy.json"), writeTrustStore(t, "acme", acme.cert))
	if err != nil {
		t.Fatal(err)
	}
	reg := testenv.StartRegistry(t)
	stores := registryStores(t, reg)
	const repository = "charts/webapp"
	publisherIdentity := "CN=Chart Publisher,O=Acme,ST=WA,C=US"

	// Each case pushes its own version and returns the tag to verify.
	signedBy := func(version, mediaType string, signers ...testCert) func(t *testing.T) string {
		return func(t *testing.T) string {
			digest := reg.PushChart(t, "charts", "webapp", version)
			for _, s := range signers {
				chain := []*x509.Certificate{acme.cert}
				if s.cert.Issuer.CommonName == "Elsewhere Root" {
					chain = []*x509.Certificate{elsewhere.cert}
				}
				notationSign(t, reg, repository, digest, s, chain, mediaType)
			}
			return version
		}
	}
	tests := []struct {
		name       string
		push       func(t *testing.T) string
		want       verify.Result
		wantReason []string // substrings of the rejection; none means a pass
	}{
		{
			name: "a chart signed by the trusted publisher in a JWS envelope passes, naming the certificate",
			push: signedBy("1.0.0", jwsMediaType, publisher),
			want: verify.Result{Provider: "notation", Identity: publisherIdentity, KeyID: certFingerprint(publisher.cert)},
		},
		{
			name: "a chart signed by the trusted publisher in a COSE envelope passes",
			push: signedBy("1.1.0", coseMediaType, publisher),
			want: verify.Result{Provider: "notation", Identity: publisherIdentity, KeyID: certFingerprint(publisher.cert)},
		},
		{
			name: "a chart with an untrusted and a trusted signature passes on the trusted one",
			push: signedBy("1.2.0", jwsMediaType, impostor, publisher),
			want: verify.Result{Provider: "notation", Identity: publisherIdentity, KeyID: certFingerprint(publisher.cert)},
		},
		{
			name: "a junk referrer beside a trusted signature does not stop it from passing",
			push: func(t *testing.T) string {
				digest := reg.PushChart(t, "charts", "webapp", "1.2.1")
				attachJunkSignature(t, reg, repository, chartSubject(t, reg, repository, "1.2.1").Descriptor)
				notationSign(t, reg, repository, digest, publisher, []*x509.Certificate{acme.cert}, jwsMediaType)
				return "1.2.1"
			},
			want: verify.Result{Provider: "notation", Identity: publisherIdentity, KeyID: certFingerprint(publisher.cert)},
		},
		{
			name: "a chart with only a junk referrer is rejected, saying why it is no signature",
			push: func(t *testing.T) string {
				tag := signedBy("1.2.2", jwsMediaType)(t)
				attachJunkSignature(t, reg, repository, chartSubject(t, reg, repository, tag).Descriptor)
				return tag
			},
			wantReason: []string{"carries one envelope, this one 2"},
		},
		{
			name:       "an unsigned chart is rejected",
			push:       signedBy("1.3.0", jwsMediaType),
			wantReason: []string{"has no Notation signature", "notation sign"},
		},
		{
			name: "a chart signed under the trusted name by another CA is rejected, naming the issuer",
			push: signedBy("1.4.0", jwsMediaType, impostor),
			wantReason: []string{"does not contain any trusted certificate", `signed by "` + publisherIdentity + `"`,
				certFingerprint(impostor.cert), `issued by "CN=Elsewhere Root`, `trust stores ["ca:acme"]`},
		},
		{
			name: "a chart signed by the trusted CA for another identity is rejected, naming both identities",
			push: signedBy("1.5.0", jwsMediaType, intern),
			wantReason: []string{`signed by "CN=Intern,O=Acme,ST=WA,C=US"`,
				`trusts identities ["x509.subject: C=US, ST=WA, O=Acme, CN=Chart Publisher"]`},
		},
		{
			name: "a signature copied onto a changed chart is rejected, naming both digests",
			push: func(t *testing.T) string {
				signed := chartSubject(t, reg, repository, signedBy("1.6.0", jwsMediaType)(t))
				// The tag now holds other content; the publisher's signature of the old
				// content is attached to it.
				reg.PushChart(t, "charts", "webapp", "1.6.0", testenv.WithDescription("Not what was signed."))
				changed := chartSubject(t, reg, repository, "1.6.0")
				notationSignAs(t, reg, repository, signed.Descriptor, changed.Descriptor, publisher, []*x509.Certificate{acme.cert})
				return "1.6.0"
			},
			wantReason: []string{"it signs sha256:", "not this chart manifest sha256:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subject := chartSubject(t, reg, repository, tt.push(t))
			got, err := provider.Verify(context.Background(), stores, subject)
			if len(tt.wantReason) == 0 {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if got != tt.want {
					t.Errorf("Verify = %+v, want %+v", got, tt.want)
				}
				return
			}
			if !verify.Rejected(err) {
				t.Fatalf("Verify = %+v, %v; want a rejection", got, err)
			}
			t.Logf("rejected: %v", err)
			for _, want := range tt.wantReason {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("rejection %q does not say %q", err, want)
				}
			}
			if strings.Contains(tt.name, "both digests") && !strings.Contains(err.Error(), subject.Descriptor.Digest.String()) {
				t.Errorf("rejection %q does not name the chart's digest %s", err, subject.Descriptor.Digest)
			}
		})
	}
}

// referrersTagOnly hides the referrers API of the stores it opens, like a store that
// only knows the referrers tag scheme.
type referrersTagOnly struct{ verify.Stores }

func (s referrersTagOnly) Open(ctx context.Context, repository string) (verify.Store, error) {
	st, err := s.Stores.Open(ctx, repository)
	if err != nil {
		return nil, err
	}
	return struct{ verify.Store }{st}, nil
}

func TestNotationReadsTheReferrersTagOfAStoreWithoutTheReferrersAPI(t *testing.T) {
	t.Parallel()
	acme := newTestCA(t, subjectName("Acme Charts Root"))
	publisher := issueSigningCert(t, acme, subjectName("Chart Publisher"))
	provider, err := verify.NewNotation(filepath.Join("testdata", "notation", "trustpolicy.json"), writeTrustStore(t, "acme", acme.cert))
	if err != nil {
		t.Fatal(err)
	}
	reg := testenv.StartRegistry(t)
	stores := referrersTagOnly{registryStores(t, reg)}

	digest := reg.PushChart(t, "charts", "webapp", "1.0.0")
	reg.PushChart(t, "charts", "webapp", "1.1.0")
	notationSign(t, reg, "charts/webapp", digest, publisher, []*x509.Certificate{acme.cert}, jwsMediaType)

	got, err := provider.Verify(context.Background(), stores, chartSubject(t, reg, "charts/webapp", "1.0.0"))
	if err != nil {
		t.Fatalf("Verify of the signed version: %v", err)
	}
	if got.Identity != "CN=Chart Publisher,O=Acme,ST=WA,C=US" {
		t.Errorf("Identity = %q", got.Identity)
	}
	_, err = provider.Verify(context.Background(), stores, chartSubject(t, reg, "charts/webapp", "1.1.0"))
	if !verify.Rejected(err) {
		t.Fatalf("Verify of the unsigned version = %v, want a rejection", err)
	}
}

func TestNotationFailuresToDecideAreErrorsNotRejections(t *testing.T) {
	t.Parallel()
	acme := newTestCA(t, subjectName("Acme Charts Root"))
	publisher := issueSigningCert(t, acme, subjectName("Chart Publisher"))
	store := writeTrustStore(t, "acme", acme.cert)
	faults := testenv.NewFaults()
	reg := testenv.StartRegistry(t, testenv.WithMiddleware(faults.Middleware))
	digest := reg.PushChart(t, "charts", "webapp", "1.0.0")
	notationSign(t, reg, "charts/webapp", digest, publisher, []*x509.Certificate{acme.cert}, jwsMediaType)
	subject := chartSubject(t, reg, "charts/webapp", "1.0.0")

	tests := []struct {
		name   string
		policy string
		fault  func() *testenv.FaultRule // nil: no fault
		want   string
	}{
		{
			name:   "the registry failing to list referrers is an error",
			policy: "trustpolicy.json",
			fault: func() *testenv.FaultRule {
				return faults.Add(http.MethodGet, "/referrers/", 1, testenv.Status(http.StatusInternalServerError))
			},
			want: "list the Notation signatures",
		},
		{
			name:   "the registry failing to serve a signature envelope is an error",
			policy: "trustpolicy.json",
			fault: func() *testenv.FaultRule {
				return faults.Add(http.MethodGet, "/blobs/sha256:", 1, testenv.Status(http.StatusServiceUnavailable))
			},
			want: "read Notation signature",
		},
		{
			name:   "a trust policy without a statement for the chart's repository is an error",
			policy: "trustpolicy-other-scope.json",
			want:   "registryScopes",
		},
		{
			name:   "a trust policy that skips verification is an error, since it can never pass",
			policy: "trustpolicy-skip.json",
			want:   "skips verification",
		},
	}
	// One at a time: the cases share the registry's faults.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			provider, err := verify.NewNotation(filepath.Join("testdata", "notation", tt.policy), store)
			if err != nil {
				t.Fatal(err)
			}
			var rule *testenv.FaultRule
			if tt.fault != nil {
				rule = tt.fault()
			}
			_, err = provider.Verify(context.Background(), registryStores(t, reg), subject)
			if rule != nil && rule.Hits() == 0 {
				t.Fatal("the fault was never hit")
			}
			if err == nil || verify.Rejected(err) {
				t.Fatalf("Verify error = %v, want an error that is not a rejection", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
	provider, err := verify.NewNotation(filepath.Join("testdata", "notation", "trustpolicy.json"), store)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.Verify(context.Background(), registryStores(t, reg), subject); err != nil {
		t.Fatalf("Verify with the registry well again: %v", err)
	}
}

func TestNewNotationRefusesUnusableTrustMaterial(t *testing.T) {
	t.Parallel()
	acme := newTestCA(t, subjectName("Acme Charts Root"))
	goodStore := writeTrustStore(t, "acme", acme.cert)
	fixture := func(name string) string { return filepath.Join("testdata", "notation", name) }
	tests := []struct {
		name        string
		policy      string
		store       string
		wantInError []string
	}{
		{"a missing trust policy file", fixture("missing.json"), goodStore, []string{"missing.json", "no such file"}},
		{"a trust policy that is not JSON names the line and column", fixture("trustpolicy-malformed.json"), goodStore, []string{"trustpolicy-malformed.json:7:7", "invalid character"}},
		{"a misspelt field is not ignored", fixture("trustpolicy-misspelt.json"), goodStore, []string{"trustpolicy-misspelt.json:9:7:", `unknown field "trustedIdentity"`}},
		{"a trust policy notation rejects", fixture("trustpolicy-version.json"), goodStore, []string{"trustpolicy-version.json", `unsupported version "2.0"`}},
		{"a missing trust store directory", fixture("trustpolicy.json"), filepath.Join(t.TempDir(), "nowhere"), []string{"notation trust store", "no such file"}},
		{"a trust store the policy names but that does not exist", fixture("trustpolicy-missing-store.json"), goodStore, []string{`"signingAuthority:nobody"`, "does not exist"}},
		{"a trust store holding something that is not a certificate", fixture("trustpolicy.json"), fixture("truststore-bad"), []string{"not-a-certificate.pem", `"ca:acme"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verify.NewNotation(tt.policy, tt.store)
			if err == nil {
				t.Fatal("NewNotation succeeded, want an error")
			}
			for _, want := range tt.wantInError {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}
