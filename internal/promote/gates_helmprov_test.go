package promote_test

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"helm.sh/helm/v3/pkg/provenance"

	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
	"github.com/chart-promoter/chart-promoter/internal/verify"
)

// The signature gate end to end with a real provider: Helm provenance, signed in the test
// with Helm's own Signatory and an OpenPGP key generated here, pushed by Helm's client with
// the chart. (cosign end-to-end tests come with the cosign provider.)
func TestTheSignatureGateWithHelmProvenanceProposesTheNewestVersionTheTrustedKeySigned(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	publisher := pgpKey(t, "Acme Releases", "releases@acme.example")
	stranger := pgpKey(t, "Someone Else", "else@example.com")
	signed := func(version string, key *openpgp.Entity) {
		archive := testenv.PackageChart(t, "webapp", version)
		var prov []byte
		if key != nil {
			p, err := (&provenance.Signatory{Entity: key}).ClearSign(archive)
			if err != nil {
				t.Fatal(err)
			}
			prov = []byte(p)
		}
		data, err := os.ReadFile(archive)
		if err != nil {
			t.Fatal(err)
		}
		w.digests[version] = w.reg.PushChartArchive(t, "charts", data, prov)
	}
	signed("1.2.3", publisher)
	signed("1.2.4", publisher)
	signed("1.2.5", stranger) // signed, but not by a key the rule trusts
	signed("1.2.6", nil)      // not signed at all

	var ring bytes.Buffer
	if err := publisher.Serialize(&ring); err != nil {
		t.Fatal(err)
	}
	keyring := filepath.Join(t.TempDir(), "pubring.gpg")
	if err := os.WriteFile(keyring, ring.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	provider, err := verify.NewHelmProvenance(keyring)
	if err != nil {
		t.Fatal(err)
	}
	rule := promote.GatePolicy{Verify: &verify.Policy{Providers: []verify.Provider{provider}, Required: true}}
	plan := w.plan(map[string]promote.GatePolicy{"webapp-production": rule}, gateNow)
	w.check(plan, map[string]want{
		"webapp-production": {to: "1.2.4", held: []string{"1.2.6@signature", "1.2.5@signature"}},
		"webapp-staging":    {to: "1.2.6"},
	})
	c := outcomes(plan)["webapp-production"].change
	if c == nil || c.Verification == nil {
		t.Fatalf("production's change %+v has no verification", c)
	}
	if v := c.Verification; v.Provider != "helmProvenance" || !v.Signed || !strings.Contains(v.Identity, "releases@acme.example") || v.KeyID == "" {
		t.Errorf("verification %+v; want helmProvenance, signed by releases@acme.example, with the key's id", v)
	}
	reasons := map[string]string{}
	for _, h := range c.Held {
		reasons[h.Version] = h.Reason
	}
	if r := reasons["1.2.5"]; !strings.Contains(r, fingerprintOf(stranger)) || !strings.Contains(r, "not in keyring") {
		t.Errorf("1.2.5 is held with %q; want the reason to name the key that signed it and the keyring", r)
	}
	if r := reasons["1.2.6"]; !strings.Contains(r, "has no provenance layer") {
		t.Errorf("1.2.6 is held with %q; want the reason to say it is not signed", r)
	}
}

func fingerprintOf(e *openpgp.Entity) string {
	return strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))
}

func pgpKey(t *testing.T, name, email string) *openpgp.Entity {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", email, &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return gateNow.Add(-365 * 24 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	return e
}
