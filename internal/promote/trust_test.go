package promote_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// planWithConfig writes configText as the tree's chart-promoter.yaml and plans the tree
// with it, as a repository that has one is planned.
func (w *gateWorld) planWithConfig(configText string) (*promote.Plan, error) {
	w.t.Helper()
	path := filepath.Join(w.dir, config.FileName)
	if err := os.WriteFile(path, []byte(configText), 0o644); err != nil {
		w.t.Fatal(err)
	}
	cfg, err := config.Load(w.dir, "")
	if err != nil {
		w.t.Fatalf("config: %v", err)
	}
	return promote.Make(context.Background(), promote.Options{
		Dir: w.dir, Registry: w.client, Config: cfg, Now: func() time.Time { return gateNow },
	})
}

func TestAVerifyRuleInTheConfigFileProposesOnlyVersionsSignedByItsKey(t *testing.T) {
	w := newGateWorld(t)
	publisher, stranger := testenv.NewCosignKey(t), testenv.NewCosignKey(t)
	if err := os.MkdirAll(filepath.Join(w.dir, "keys"), 0o755); err != nil {
		t.Fatal(err)
	}
	publisher.WritePublicKey(t, filepath.Join(w.dir, "keys"), "cosign.pub")

	w.push("1.2.3", 30*24*time.Hour)
	signed := w.push("1.2.4", 10*24*time.Hour)
	w.reg.CosignSignV2(t, "charts/webapp", signed, publisher)
	byStranger := w.push("1.2.5", 5*24*time.Hour)
	w.reg.CosignSignV2(t, "charts/webapp", byStranger, stranger)
	w.push("1.2.6", 24*time.Hour) // not signed at all
	young := w.push("1.2.7", time.Hour)
	w.reg.CosignSignV2(t, "charts/webapp", young, publisher)

	plan, err := w.planWithConfig(`rules:
  - applications: ["webapp-production"]
    minimumReleaseAge: 2h
    verify:
      providers:
        - cosign:
            publicKeys: [keys/cosign.pub]
`)
	if err != nil {
		t.Fatal(err)
	}
	w.check(plan, map[string]want{
		"webapp-production": {to: "1.2.4", held: []string{
			"1.2.7@age until " + gateNow.Add(time.Hour).Format(time.RFC3339),
			"1.2.6@signature",
			"1.2.5@signature",
		}},
	})
	for _, c := range plan.Changes {
		if c.Application != "webapp-production" {
			continue
		}
		v := c.Verification
		if v == nil || v.Provider != "cosign" || v.Identity != "keys/cosign.pub" || !strings.HasPrefix(v.KeyID, "sha256:") {
			t.Errorf("verification = %+v; want cosign, named by the key file as the config writes it", v)
		}
		for _, h := range c.Held {
			if h.Version == "1.2.5" && !strings.Contains(h.Reason, "keys/cosign.pub") {
				t.Errorf("the hold of a stranger's signature says %q; want it to name the trusted key", h.Reason)
			}
		}
	}
}

func TestAVerifyRuleWithUnusableTrustMaterialStopsThePlanBeforeAnyRegistryIsAsked(t *testing.T) {
	w := newGateWorld(t)
	keys := filepath.Join(w.dir, "keys")
	if err := os.MkdirAll(keys, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(keys, "cosign.pub"), []byte("not a PEM key\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w.reg.Requests.Reset()
	_, err := w.planWithConfig(`rules:
  - verify:
      providers:
        - cosign:
            publicKeys: [keys/cosign.pub]
`)
	var errs config.Errors
	if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Pos.Line != 4 || !strings.Contains(errs[0].Error(), "keys/cosign.pub") {
		t.Fatalf("err = %v; want one config error at the provider's line 4 naming the key file", err)
	}
	if got := w.reg.Requests.All(); len(got) != 0 {
		t.Errorf("registry requests made: %v; want none", got)
	}
}
