package verify_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"helm.sh/helm/v3/pkg/provenance"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
	"github.com/chart-promoter/chart-promoter/internal/verify"
)

// newPGPKey generates an OpenPGP key the way `gpg --quick-gen-key` would, but Ed25519 so
// that a test does not wait for RSA primes.
func newPGPKey(t testing.TB, name, email string) *openpgp.Entity {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", email, &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatalf("generate OpenPGP key: %v", err)
	}
	return e
}

// writeKeyring writes the public halves of keys as a keyring file, binary like
// `gpg --export` or armored like `gpg --export --armor`.
func writeKeyring(t testing.TB, armored bool, keys ...*openpgp.Entity) string {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser = nopCloser{&buf}
	if armored {
		enc, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
		if err != nil {
			t.Fatal(err)
		}
		w = enc
	}
	for _, k := range keys {
		if err := k.Serialize(w); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pubring.gpg")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// signArchive clear-signs a packaged chart with Helm's own Signatory, as
// `helm package --sign` does, and returns the provenance file.
func signArchive(t testing.TB, key *openpgp.Entity, archivePath string) []byte {
	t.Helper()
	prov, err := (&provenance.Signatory{Entity: key}).ClearSign(archivePath)
	if err != nil {
		t.Fatalf("sign %s: %v", archivePath, err)
	}
	return []byte(prov)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func fingerprint(e *openpgp.Entity) string {
	return strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))
}

func TestHelmProvenanceDecidesByKeyringAndChartHash(t *testing.T) {
	t.Parallel()
	publisher := newPGPKey(t, "Chart Publisher", "charts@acme.example")
	stranger := newPGPKey(t, "Mallory", "mallory@evil.example")
	provider, err := verify.NewHelmProvenance(writeKeyring(t, false, publisher))
	if err != nil {
		t.Fatal(err)
	}
	reg := testenv.StartRegistry(t)
	stores := registryStores(t, reg)

	// Each case pushes its own version of charts/webapp and returns the tag.
	signedBy := func(key *openpgp.Entity, version string) func(t *testing.T) string {
		return func(t *testing.T) string {
			archive := testenv.PackageChart(t, "webapp", version)
			reg.PushChartArchive(t, "charts", readFile(t, archive), signArchive(t, key, archive))
			return strings.ReplaceAll(version, "+", "_")
		}
	}
	tests := []struct {
		name       string
		push       func(t *testing.T) string
		want       verify.Result
		wantReason []string // substrings of the rejection; none means a pass
	}{
		{
			name: "a chart signed by a key in the keyring passes, naming the key",
			push: signedBy(publisher, "1.0.0"),
			want: verify.Result{Provider: "helmProvenance", Identity: "Chart Publisher <charts@acme.example>", KeyID: fingerprint(publisher)},
		},
		{
			name: "a version with build metadata is checked under the archive name helm package gave it",
			push: signedBy(publisher, "1.1.0+build.7"),
			want: verify.Result{Provider: "helmProvenance", Identity: "Chart Publisher <charts@acme.example>", KeyID: fingerprint(publisher)},
		},
		{
			name: "a chart without a provenance layer is rejected",
			push: func(t *testing.T) string {
				reg.PushChart(t, "charts", "webapp", "1.2.0")
				return "1.2.0"
			},
			wantReason: []string{"no provenance layer", "helm package --sign"},
		},
		{
			name:       "a chart signed by a key outside the keyring is rejected, naming the signer and the keys trusted",
			push:       signedBy(stranger, "1.3.0"),
			wantReason: []string{"signed by key " + fingerprint(stranger), "not in keyring", fingerprint(publisher), "Chart Publisher <charts@acme.example>"},
		},
		{
			name: "a chart whose archive changed after signing is rejected as a hash mismatch",
			push: func(t *testing.T) string {
				signed := testenv.PackageChart(t, "webapp", "1.4.0")
				prov := signArchive(t, publisher, signed)
				other := testenv.PackageChart(t, "webapp", "1.4.0", testenv.WithDescription("Not what was signed."))
				reg.PushChartArchive(t, "charts", readFile(t, other), prov)
				return "1.4.0"
			},
			wantReason: []string{"is not the archive the provenance file signs", "it signs webapp-1.4.0.tgz as sha256:", "the chart layer is sha256:"},
		},
		{
			name: "a provenance file edited after signing is rejected",
			push: func(t *testing.T) string {
				archive := testenv.PackageChart(t, "webapp", "1.5.0")
				prov := bytes.Replace(signArchive(t, publisher, archive), []byte("A chart made by testenv."), []byte("A chart made by someone."), 1)
				reg.PushChartArchive(t, "charts", readFile(t, archive), prov)
				return "1.5.0"
			},
			wantReason: []string{"signature does not verify", fingerprint(publisher)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subject := chartSubject(t, reg, "charts/webapp", tt.push(t))
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
		})
	}
}

func TestHelmProvenanceRegistryFailureIsAnErrorNotARejection(t *testing.T) {
	t.Parallel()
	publisher := newPGPKey(t, "Chart Publisher", "charts@acme.example")
	provider, err := verify.NewHelmProvenance(writeKeyring(t, true, publisher))
	if err != nil {
		t.Fatal(err)
	}
	faults := testenv.NewFaults()
	reg := testenv.StartRegistry(t, testenv.WithMiddleware(faults.Middleware))
	archive := testenv.PackageChart(t, "webapp", "1.0.0")
	reg.PushChartArchive(t, "charts", readFile(t, archive), signArchive(t, publisher, archive))
	subject := chartSubject(t, reg, "charts/webapp", "1.0.0")
	var chartLayer, provLayer string
	for _, l := range subject.Manifest.Layers {
		switch l.MediaType {
		case "application/vnd.cncf.helm.chart.content.v1.tar+gzip":
			chartLayer = l.Digest.String()
		case "application/vnd.cncf.helm.chart.provenance.v1.prov":
			provLayer = l.Digest.String()
		}
	}

	tests := []struct {
		name  string
		fault func() *testenv.FaultRule
	}{
		{
			name: "the registry failing to serve the provenance file is an error",
			fault: func() *testenv.FaultRule {
				return faults.Add(http.MethodGet, "/blobs/"+provLayer+"$", 1, testenv.Status(http.StatusInternalServerError))
			},
		},
		{
			name: "the registry serving other bytes for the chart archive is an error",
			fault: func() *testenv.FaultRule {
				return faults.Add(http.MethodGet, "/blobs/"+chartLayer+"$", 1, testenv.Rewrite(func(status int, _ http.Header, body []byte) (int, []byte) {
					body[len(body)/2] ^= 0xff
					return status, body
				}))
			},
		},
	}
	// One fault at a time: the cases share the registry.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := tt.fault()
			_, err := provider.Verify(context.Background(), registryStores(t, reg), subject)
			if rule.Hits() == 0 {
				t.Fatal("the fault was never hit")
			}
			if err == nil || verify.Rejected(err) {
				t.Fatalf("Verify error = %v, want an error that is not a rejection", err)
			}
		})
	}
	// And with the registry well again, the same version passes.
	if _, err := provider.Verify(context.Background(), registryStores(t, reg), subject); err != nil {
		t.Fatalf("Verify after the faults: %v", err)
	}
}

func TestNewHelmProvenanceRefusesUnusableKeyrings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		keyring string
		want    string
	}{
		{"a missing keyring file", filepath.Join("testdata", "helmprov", "missing.gpg"), "no such file"},
		{"an empty keyring file", filepath.Join("testdata", "helmprov", "empty.gpg"), "holds no public keys"},
		{"a GnuPG keybox instead of a keyring", filepath.Join("testdata", "helmprov", "pubring.kbx"), "gpg --export"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verify.NewHelmProvenance(tt.keyring)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewHelmProvenance(%s) error = %v, want one saying %q", tt.keyring, err, tt.want)
			}
			if !strings.Contains(err.Error(), "keyring") {
				t.Errorf("error %q does not name the keyring", err)
			}
		})
	}
}
