package verify_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/oci"

	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
	"github.com/chart-promoter/chart-promoter/internal/verify"
)

const (
	releaseWorkflow = "https://github.com/acme/charts/.github/workflows/release.yaml@refs/tags/v1.2.0"
	githubIssuer    = "https://token.actions.githubusercontent.com"
)

// env is a registry with charts, a client that reads it, and a directory for key and
// trust files.
type env struct {
	reg    *testenv.Registry
	client *registry.Client
	dir    string
}

func newEnv(t *testing.T, regOpts []testenv.RegistryOption, clientOpts ...registry.Option) *env {
	t.Helper()
	reg := testenv.StartRegistry(t, regOpts...)
	client, err := registry.New(append([]registry.Option{registry.WithRootCAs(reg.CertPool)}, clientOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return &env{reg: reg, client: client, dir: t.TempDir()}
}

// chart pushes charts/web at version with Helm and returns it as a verify.Subject.
func (e *env) chart(t *testing.T, version string) verify.Subject {
	t.Helper()
	dgst := e.reg.PushChart(t, "charts", "web", version)
	repo := e.reg.Repository(t, "charts/web")
	desc, err := repo.Resolve(context.Background(), dgst)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := repo.Fetch(context.Background(), desc)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := content.ReadAll(rc, desc)
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return verify.Subject{Chart: e.reg.Host + "/charts/web", Tag: version, Descriptor: desc, Manifest: m}
}

func (e *env) verify(t *testing.T, provider verify.Provider, subject verify.Subject) (verify.Result, error) {
	t.Helper()
	return provider.Verify(context.Background(), e.client, subject)
}

func newCosign(t *testing.T, opts verify.CosignOptions) *verify.Cosign {
	t.Helper()
	c, err := verify.NewCosign(opts)
	if err != nil {
		t.Fatalf("NewCosign: %v", err)
	}
	return c
}

// keyFingerprint is the key ID reports give a public key, computed here independently.
func keyFingerprint(t *testing.T, pemBytes []byte) string {
	t.Helper()
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatal("no PEM block")
	}
	sum := sha256.Sum256(block.Bytes)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// format is one way cosign stores a signature, and the registry behaviour it is read under.
type format struct {
	name         string
	referrersAPI bool
	sign         func(t *testing.T, reg *testenv.Registry, repository, subject string, signer testenv.CosignSigner, opts ...testenv.CosignOption)
}

var formats = []format{
	{name: "cosign v2 .sig tag", sign: func(t *testing.T, reg *testenv.Registry, repository, subject string, signer testenv.CosignSigner, opts ...testenv.CosignOption) {
		reg.CosignSignV2(t, repository, subject, signer, opts...)
	}},
	{name: "cosign v3 bundle through the referrers API", referrersAPI: true, sign: func(t *testing.T, reg *testenv.Registry, repository, subject string, signer testenv.CosignSigner, opts ...testenv.CosignOption) {
		reg.CosignSignV3(t, repository, subject, signer, opts...)
	}},
	{name: "cosign v3 bundle through the referrers tag", sign: func(t *testing.T, reg *testenv.Registry, repository, subject string, signer testenv.CosignSigner, opts ...testenv.CosignOption) {
		reg.CosignSignV3(t, repository, subject, signer, opts...)
	}},
}

func (f format) registryOptions() []testenv.RegistryOption {
	if f.referrersAPI {
		return []testenv.RegistryOption{testenv.WithReferrersAPI()}
	}
	return nil
}

func wantRejected(t *testing.T, err error, substrings ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("verified, want a rejection")
	}
	if !verify.Rejected(err) {
		t.Fatalf("error %v is not a rejection", err)
	}
	for _, s := range substrings {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("rejection %q does not mention %q", err, s)
		}
	}
}

func TestCosignKeyedSignaturesInEveryFormat(t *testing.T) {
	t.Parallel()
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, f.registryOptions())
			trusted, other := testenv.NewCosignKey(t), testenv.NewCosignKey(t)
			keyFile := trusted.WritePublicKey(t, e.dir, "cosign.pub")
			provider := newCosign(t, verify.CosignOptions{PublicKeyFiles: []string{keyFile}})

			signed, byOther, copied, unsigned := e.chart(t, "1.0.0"), e.chart(t, "1.0.1"), e.chart(t, "1.0.2"), e.chart(t, "1.0.3")
			f.sign(t, e.reg, "charts/web", signed.Descriptor.Digest.String(), trusted)
			f.sign(t, e.reg, "charts/web", byOther.Descriptor.Digest.String(), other)
			f.sign(t, e.reg, "charts/web", copied.Descriptor.Digest.String(), trusted, testenv.CosignCovering(signed.Descriptor.Digest.String()))

			t.Run("a version signed by the trusted key passes, naming the key", func(t *testing.T) {
				res, err := e.verify(t, provider, signed)
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				want := verify.Result{Provider: "cosign", Identity: keyFile, KeyID: keyFingerprint(t, trusted.PublicKeyPEM(t))}
				if res.Provider != want.Provider || res.Identity != want.Identity || res.KeyID != want.KeyID || res.Issuer != "" {
					t.Errorf("result = %+v, want %+v", res, want)
				}
				if res.TlogTime != nil {
					t.Errorf("tlogTime = %v for a signature checked without a log", res.TlogTime)
				}
			})
			t.Run("a version signed by another key is rejected, naming the key expected", func(t *testing.T) {
				_, err := e.verify(t, provider, byOther)
				wantRejected(t, err, "not signed by the key "+keyFile, keyFingerprint(t, trusted.PublicKeyPEM(t)))
			})
			t.Run("a signature made for another digest is rejected, naming both", func(t *testing.T) {
				_, err := e.verify(t, provider, copied)
				wantRejected(t, err, signed.Descriptor.Digest.String(), copied.Descriptor.Digest.String())
			})
			t.Run("an unsigned version is rejected, saying where signatures were looked for", func(t *testing.T) {
				_, err := e.verify(t, provider, unsigned)
				wantRejected(t, err, "no cosign signature of "+unsigned.Descriptor.Digest.String(), "charts/web")
			})
		})
	}
}

func TestCosignKeylessSignaturesInEveryFormat(t *testing.T) {
	t.Parallel()
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, f.registryOptions())
			sigstore := testenv.NewSigstore(t)
			rootFile := sigstore.WriteTrustedRoot(t, e.dir, "trusted_root.json")
			provider := newCosign(t, verify.CosignOptions{
				Identities:      []verify.Identity{{Issuer: githubIssuer, SubjectRegExp: `^https://github\.com/acme/charts/\.github/workflows/release\.yaml@`}},
				TrustedRootFile: rootFile,
			})

			signed, byOther, otherIssuer, untrustedCA, copied, unsigned := e.chart(t, "1.0.0"), e.chart(t, "1.0.1"), e.chart(t, "1.0.2"), e.chart(t, "1.0.3"), e.chart(t, "1.0.4"), e.chart(t, "1.0.5")
			release := sigstore.Identity(releaseWorkflow, githubIssuer)
			f.sign(t, e.reg, "charts/web", signed.Descriptor.Digest.String(), release)
			f.sign(t, e.reg, "charts/web", byOther.Descriptor.Digest.String(), sigstore.Identity("https://github.com/mallory/charts/.github/workflows/release.yaml@refs/heads/main", githubIssuer))
			f.sign(t, e.reg, "charts/web", otherIssuer.Descriptor.Digest.String(), sigstore.Identity(releaseWorkflow, "https://accounts.example.com"))
			f.sign(t, e.reg, "charts/web", untrustedCA.Descriptor.Digest.String(), testenv.NewSigstore(t).Identity(releaseWorkflow, githubIssuer))
			f.sign(t, e.reg, "charts/web", copied.Descriptor.Digest.String(), release, testenv.CosignCovering(signed.Descriptor.Digest.String()))

			t.Run("a version signed by the trusted identity passes, with the log's time", func(t *testing.T) {
				before := time.Now()
				res, err := e.verify(t, provider, signed)
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if res.Provider != "cosign" || res.Identity != releaseWorkflow || res.Issuer != githubIssuer || !strings.HasPrefix(res.KeyID, "sha256:") || len(res.KeyID) != len("sha256:")+64 {
					t.Errorf("result = %+v, want the workflow, its issuer and the certificate's SHA-256", res)
				}
				// The in-memory log records signatures five minutes ahead; the time must be
				// that one, not the time of the check.
				if res.TlogTime == nil || res.TlogTime.Before(before.Add(4*time.Minute)) || res.TlogTime.After(time.Now().Add(6*time.Minute)) {
					t.Errorf("tlogTime = %v, want the log's integrated time (about %v)", res.TlogTime, before.Add(5*time.Minute))
				}
			})
			t.Run("a version signed by another subject is rejected, naming who signed and who was expected", func(t *testing.T) {
				_, err := e.verify(t, provider, byOther)
				wantRejected(t, err, "https://github.com/mallory/charts", `^https://github\.com/acme/charts/`)
			})
			t.Run("a version signed through another issuer is rejected, naming both issuers", func(t *testing.T) {
				_, err := e.verify(t, provider, otherIssuer)
				wantRejected(t, err, "https://accounts.example.com", githubIssuer)
			})
			t.Run("a certificate from a CA the trusted root does not hold is rejected", func(t *testing.T) {
				_, err := e.verify(t, provider, untrustedCA)
				wantRejected(t, err, "does not verify against "+rootFile)
			})
			t.Run("a signature made for another digest is rejected, naming both", func(t *testing.T) {
				_, err := e.verify(t, provider, copied)
				wantRejected(t, err, signed.Descriptor.Digest.String(), copied.Descriptor.Digest.String())
			})
			t.Run("an unsigned version is rejected", func(t *testing.T) {
				_, err := e.verify(t, provider, unsigned)
				wantRejected(t, err, "no cosign signature")
			})
			t.Run("an exact subject matches as a regular expression does", func(t *testing.T) {
				exact := newCosign(t, verify.CosignOptions{
					Identities:      []verify.Identity{{Issuer: githubIssuer, Subject: releaseWorkflow}},
					TrustedRootFile: rootFile,
				})
				if _, err := e.verify(t, exact, signed); err != nil {
					t.Fatalf("Verify: %v", err)
				}
				_, err := e.verify(t, exact, byOther)
				wantRejected(t, err, `subject "`+releaseWorkflow+`"`)
			})
			t.Run("a keyless signature is rejected by a rule that trusts only keys, naming the signer", func(t *testing.T) {
				key := testenv.NewCosignKey(t)
				keyed := newCosign(t, verify.CosignOptions{PublicKeys: []verify.PublicKey{{Name: "keys/cosign.pub", PEM: key.PublicKeyPEM(t)}}})
				_, err := e.verify(t, keyed, signed)
				wantRejected(t, err, "signed keylessly", releaseWorkflow, "trusts only keys: keys/cosign.pub")
			})
		})
	}
}

func TestCosignKeylessRequiresCertificateTransparencyWhenTheTrustedRootListsALog(t *testing.T) {
	t.Parallel()
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, f.registryOptions())
			sigstore := testenv.NewSigstore(t)
			provider := newCosign(t, verify.CosignOptions{
				Identities:      []verify.Identity{{Issuer: githubIssuer, Subject: releaseWorkflow}},
				TrustedRootFile: sigstore.WriteTrustedRootWithCTLog(t, e.dir, "trusted_root.json"),
			})
			subject := e.chart(t, "1.0.0")
			f.sign(t, e.reg, "charts/web", subject.Descriptor.Digest.String(), sigstore.Identity(releaseWorkflow, githubIssuer))
			_, err := e.verify(t, provider, subject)
			wantRejected(t, err, "certificate timestamp")
		})
	}
}

func TestCosignAcceptsEveryKeyTypeCosignSignsWith(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range []struct {
		name string
		key  crypto.Signer
	}{
		{"ECDSA P-384", p384},
		{"RSA 2048", rsaKey},
		{"Ed25519", edKey},
	} {
		t.Run(tt.name, func(t *testing.T) {
			key := testenv.CosignKeyFrom(t, tt.key)
			provider := newCosign(t, verify.CosignOptions{PublicKeys: []verify.PublicKey{{Name: tt.name, PEM: key.PublicKeyPEM(t)}}})
			v2, v3 := e.chart(t, fmt.Sprintf("%d.0.2", i+1)), e.chart(t, fmt.Sprintf("%d.0.3", i+1))
			e.reg.CosignSignV2(t, "charts/web", v2.Descriptor.Digest.String(), key)
			e.reg.CosignSignV3(t, "charts/web", v3.Descriptor.Digest.String(), key)
			for _, s := range []verify.Subject{v2, v3} {
				if res, err := e.verify(t, provider, s); err != nil || res.Identity != tt.name {
					t.Errorf("%s: result %+v, error %v", s.Tag, res, err)
				}
			}
		})
	}
}

func TestCosignTrustsAnyOfSeveralKeysAndSignatures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	first, second, stranger := testenv.NewCosignKey(t), testenv.NewCosignKey(t), testenv.NewCosignKey(t)
	provider := newCosign(t, verify.CosignOptions{PublicKeys: []verify.PublicKey{
		{Name: "keys/first.pub", PEM: first.PublicKeyPEM(t)},
		{Name: "keys/second.pub", PEM: second.PublicKeyPEM(t)},
	}})
	subject := e.chart(t, "1.0.0")
	// A stranger signed first; the .sig manifest holds both signatures, one layer each.
	e.reg.CosignSignV2(t, "charts/web", subject.Descriptor.Digest.String(), stranger)
	e.reg.CosignSignV2(t, "charts/web", subject.Descriptor.Digest.String(), second)
	res, err := e.verify(t, provider, subject)
	if err != nil || res.Identity != "keys/second.pub" {
		t.Fatalf("result %+v, error %v: want a pass by keys/second.pub", res, err)
	}

	only := e.chart(t, "1.0.1")
	e.reg.CosignSignV2(t, "charts/web", only.Descriptor.Digest.String(), stranger)
	_, err = e.verify(t, provider, only)
	wantRejected(t, err, "not signed by any of the keys keys/first.pub", "keys/second.pub")
}

func TestCosignFindsSignaturesInTheSignatureRepository(t *testing.T) {
	t.Parallel()
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, f.registryOptions())
			key := testenv.NewCosignKey(t)
			provider := newCosign(t, verify.CosignOptions{PublicKeys: []verify.PublicKey{{Name: "cosign.pub", PEM: key.PublicKeyPEM(t)}}})
			subject := e.chart(t, "1.0.0")
			f.sign(t, e.reg, "signatures/web", subject.Descriptor.Digest.String(), key)

			policy := verify.Policy{Providers: []verify.Provider{provider}, Required: true, SignatureRepository: e.reg.Host + "/signatures/web"}
			res, err := policy.Verify(context.Background(), e.client, subject)
			if err != nil || !res.Signed || res.Identity != "cosign.pub" {
				t.Fatalf("with signatureRepository: result %+v, error %v", res, err)
			}
			// Beside the chart there is nothing, and a signature repository without the
			// signature is no signature either.
			_, err = e.verify(t, provider, subject)
			wantRejected(t, err, "no cosign signature", e.reg.Host+"/charts/web")
			policy.SignatureRepository = e.reg.Host + "/signatures/missing"
			_, err = policy.Verify(context.Background(), e.client, subject)
			wantRejected(t, err, "no cosign signature", "signatures/missing")
		})
	}
}

func TestCosignRegistryFailureIsAnErrorNotARejection(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		path string
	}{
		{"the signature tag cannot be read", `/manifests/sha256-[0-9a-f]+\.sig$`},
		{"the signature payload cannot be read", `/blobs/`},
		{"the referrers API fails", `/referrers/`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			faults := testenv.NewFaults()
			e := newEnv(t, []testenv.RegistryOption{testenv.WithMiddleware(faults.Middleware), testenv.WithReferrersAPI()},
				registry.WithRetry(0, time.Millisecond, time.Millisecond))
			key := testenv.NewCosignKey(t)
			provider := newCosign(t, verify.CosignOptions{PublicKeys: []verify.PublicKey{{Name: "cosign.pub", PEM: key.PublicKeyPEM(t)}}})
			subject := e.chart(t, "1.0.0")
			if tt.path == `/referrers/` {
				e.reg.CosignSignV3(t, "charts/web", subject.Descriptor.Digest.String(), key)
			} else {
				e.reg.CosignSignV2(t, "charts/web", subject.Descriptor.Digest.String(), key)
			}
			faults.Add(http.MethodGet, tt.path, -1, testenv.Status(http.StatusInternalServerError))
			_, err := e.verify(t, provider, subject)
			if err == nil || verify.Rejected(err) {
				t.Fatalf("error %v: want a failure to decide, not a pass or a rejection", err)
			}
			if !strings.Contains(err.Error(), "500") && !strings.Contains(err.Error(), "Internal Server Error") {
				t.Errorf("error %v does not say what the registry answered", err)
			}
		})
	}
}

func TestCosignKeyedSignatureWithoutTheRequiredLogIsRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	key := testenv.NewCosignKey(t)
	sigstore := testenv.NewSigstore(t)
	provider := newCosign(t, verify.CosignOptions{
		PublicKeys:      []verify.PublicKey{{Name: "cosign.pub", PEM: key.PublicKeyPEM(t)}},
		TransparencyLog: verify.TlogRequired,
		TrustedRootFile: sigstore.WriteTrustedRoot(t, e.dir, "trusted_root.json"),
	})
	v2, v3 := e.chart(t, "1.0.0"), e.chart(t, "1.0.1")
	e.reg.CosignSignV2(t, "charts/web", v2.Descriptor.Digest.String(), key)
	e.reg.CosignSignV3(t, "charts/web", v3.Descriptor.Digest.String(), key)
	for _, subject := range []verify.Subject{v2, v3} {
		_, err := e.verify(t, provider, subject)
		wantRejected(t, err, "signature by cosign.pub", "no transparency log entry")
	}
}

func TestCosignCheckCostsAtMostTheRequestsItNeeds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		f    format
		want int
	}{
		// GET the .sig manifest by tag, GET its payload.
		{"a cosign v2 signature takes two requests", formats[0], 2},
		// The .sig tag's 404, the referrers list, the bundle's manifest, the bundle.
		{"a cosign v3 bundle through the referrers API takes four", formats[1], 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tt.f.registryOptions())
			key := testenv.NewCosignKey(t)
			provider := newCosign(t, verify.CosignOptions{PublicKeys: []verify.PublicKey{{Name: "cosign.pub", PEM: key.PublicKeyPEM(t)}}})
			subject := e.chart(t, "1.0.0")
			tt.f.sign(t, e.reg, "charts/web", subject.Descriptor.Digest.String(), key)
			e.reg.Requests.Reset()
			if _, err := e.verify(t, provider, subject); err != nil {
				t.Fatal(err)
			}
			if got := e.reg.Requests.Count(nil); got != tt.want {
				t.Errorf("%d requests, want %d: %v", got, tt.want, e.reg.Requests.All())
			}
		})
	}
}

func TestNewCosignRefusesConfigThatCouldNotWork(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := testenv.NewCosignKey(t)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weakKey := testenv.CosignKeyFrom(t, weak)
	for _, tt := range []struct {
		name string
		opts verify.CosignOptions
		want string
	}{
		{"no key and no identity", verify.CosignOptions{}, "give publicKeys or a keyless identity"},
		{"a key file that is not there", verify.CosignOptions{PublicKeyFiles: []string{dir + "/missing.pub"}}, "missing.pub"},
		{"a key that is not PEM", verify.CosignOptions{PublicKeys: []verify.PublicKey{{Name: "keys/bad.pub", PEM: []byte("ssh-ed25519 AAAA")}}}, "keys/bad.pub: no PEM block"},
		{"a private key", verify.CosignOptions{PublicKeys: []verify.PublicKey{{Name: "cosign.key", PEM: []byte("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n")}}}, "private key"},
		{"an RSA key too weak to trust", verify.CosignOptions{PublicKeys: []verify.PublicKey{{Name: "weak.pub", PEM: weakKey.PublicKeyPEM(t)}}}, "1024 bits"},
		{"an identity without an issuer", verify.CosignOptions{Identities: []verify.Identity{{Subject: releaseWorkflow}}}, "set issuer or issuerRegExp"},
		{"an identity with both subject and subjectRegExp", verify.CosignOptions{Identities: []verify.Identity{{Issuer: githubIssuer, Subject: "a", SubjectRegExp: "b"}}}, "not both"},
		{"a subject regexp that does not compile", verify.CosignOptions{Identities: []verify.Identity{{Issuer: githubIssuer, SubjectRegExp: "("}}}, `subjectRegExp "("`},
		{"a trusted root that is not one", verify.CosignOptions{PublicKeys: []verify.PublicKey{{Name: "k", PEM: key.PublicKeyPEM(t)}}, TrustedRoot: []byte(`{"mediaType":"nope"}`)}, "not a Sigstore trusted root"},
		{"a trusted root file that is not there", verify.CosignOptions{PublicKeys: []verify.PublicKey{{Name: "k", PEM: key.PublicKeyPEM(t)}}, TrustedRootFile: dir + "/trusted_root.json"}, "trusted_root.json"},
		{"an unknown transparencyLog", verify.CosignOptions{PublicKeys: []verify.PublicKey{{Name: "k", PEM: key.PublicKeyPEM(t)}}, TransparencyLog: "sometimes"}, `"sometimes"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verify.NewCosign(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewCosign: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestCosignReadsSignaturesFromAnOCILayoutMirror(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	key := testenv.NewCosignKey(t)
	provider := newCosign(t, verify.CosignOptions{PublicKeys: []verify.PublicKey{{Name: "cosign.pub", PEM: key.PublicKeyPEM(t)}}})
	v2, v3, unsigned := e.chart(t, "1.0.0"), e.chart(t, "1.0.1"), e.chart(t, "1.0.2")
	e.reg.CosignSignV2(t, "charts/web", v2.Descriptor.Digest.String(), key)
	e.reg.CosignSignV3(t, "charts/web", v3.Descriptor.Digest.String(), key)

	// What `oras copy --to-oci-layout` leaves on disk for an air-gapped run: the charts, the
	// .sig tag and the referrers tag (which brings the bundles along).
	dir := t.TempDir()
	store, err := oci.New(filepath.Join(dir, "acme", "charts", "web"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"1.0.0", "1.0.1", "1.0.2", referrersTag(v2) + ".sig", referrersTag(v3)} {
		if _, err := oras.Copy(context.Background(), e.reg.Repository(t, "charts/web"), tag, store, tag, oras.DefaultCopyOptions); err != nil {
			t.Fatalf("copy %s: %v", tag, err)
		}
	}
	client, err := registry.New(registry.WithMirrors("ghcr.io=oci-layout:" + dir))
	if err != nil {
		t.Fatal(err)
	}
	e.reg.Requests.Reset()
	for _, s := range []verify.Subject{v2, v3} {
		s.Chart = "ghcr.io/acme/charts/web"
		if res, err := provider.Verify(context.Background(), client, s); err != nil || res.Identity != "cosign.pub" {
			t.Errorf("%s from the layout: result %+v, error %v", s.Tag, res, err)
		}
	}
	unsigned.Chart = "ghcr.io/acme/charts/web"
	_, err = provider.Verify(context.Background(), client, unsigned)
	wantRejected(t, err, "no cosign signature", "ghcr.io/acme/charts/web")
	if n := e.reg.Requests.Count(nil); n != 0 {
		t.Errorf("the registry was asked %d times; the mirror should have answered: %v", n, e.reg.Requests.All())
	}
}

// referrersTag is the referrers tag scheme's tag for a subject's digest.
func referrersTag(s verify.Subject) string {
	return "sha256-" + s.Descriptor.Digest.Encoded()
}

func TestCosignKeylessWithoutTheLogTrustsTheTimestampAuthority(t *testing.T) {
	t.Parallel()
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, f.registryOptions())
			sigstore := testenv.NewSigstore(t)
			provider := newCosign(t, verify.CosignOptions{
				Identities:      []verify.Identity{{Issuer: githubIssuer, Subject: releaseWorkflow}},
				TrustedRootFile: sigstore.WriteTrustedRoot(t, e.dir, "trusted_root.json"),
				TransparencyLog: verify.TlogIgnored,
			})
			subject := e.chart(t, "1.0.0")
			before := time.Now().Add(-time.Second)
			f.sign(t, e.reg, "charts/web", subject.Descriptor.Digest.String(), sigstore.Identity(releaseWorkflow, githubIssuer))
			res, err := e.verify(t, provider, subject)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			// The timestamp authority's time is when it signed, not the log's (five minutes
			// ahead in the in-memory Sigstore).
			if res.TlogTime == nil || res.TlogTime.Before(before) || res.TlogTime.After(time.Now().Add(time.Minute)) {
				t.Errorf("time = %v, want the timestamp authority's (about %v)", res.TlogTime, before)
			}
		})
	}
}

func TestCosignRejectsAMalformedBundleAndStillFindsAGoodOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t, []testenv.RegistryOption{testenv.WithReferrersAPI()})
	key := testenv.NewCosignKey(t)
	provider := newCosign(t, verify.CosignOptions{PublicKeys: []verify.PublicKey{{Name: "cosign.pub", PEM: key.PublicKeyPEM(t)}}})
	broken, mixed := e.chart(t, "1.0.0"), e.chart(t, "1.0.1")
	garbage := testenv.Referrer{
		ArtifactType:   "application/vnd.dev.sigstore.bundle.v0.3+json",
		LayerMediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
		Layer:          []byte(`{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "not": "a bundle"}`),
	}
	e.reg.PushReferrer(t, "charts/web", broken.Descriptor.Digest.String(), garbage)
	_, err := e.verify(t, provider, broken)
	wantRejected(t, err, "not a valid Sigstore bundle")

	e.reg.PushReferrer(t, "charts/web", mixed.Descriptor.Digest.String(), garbage)
	e.reg.CosignSignV3(t, "charts/web", mixed.Descriptor.Digest.String(), key)
	if res, err := e.verify(t, provider, mixed); err != nil || res.Identity != "cosign.pub" {
		t.Fatalf("beside a malformed bundle: result %+v, error %v; want the good one to pass", res, err)
	}
}
