package promote

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/verify"
)

// trust builds the signature checks a config file's verify: blocks ask for, once per
// provider as written, so a key file is read once however many charts its rule covers,
// and bad trust material fails the run before any registry is asked.
type trust struct {
	// dir is the config file's directory: key files are named relative to it in reports.
	dir       string
	providers map[config.Pos]verify.Provider
	// policies are shared by the sources of one verify block, so that a version is
	// verified once per block and chart, not once per source.
	policies map[string]*verify.Policy
}

// newTrust builds every provider of every rule of cfg (nil: none).
func newTrust(cfg *config.Config) (*trust, error) {
	t := &trust{providers: map[config.Pos]verify.Provider{}, policies: map[string]*verify.Policy{}}
	if cfg == nil {
		return t, nil
	}
	t.dir = filepath.Dir(cfg.File)
	var errs config.Errors
	for _, r := range cfg.Rules {
		if r.Verify == nil || r.Verify.Providers == nil {
			continue
		}
		for _, p := range r.Verify.Providers.Value {
			prov, err := t.build(p)
			if err != nil {
				errs = append(errs, &config.Error{File: cfg.Name, Pos: p.Pos, Message: err.Error()})
				continue
			}
			t.providers[p.Pos] = prov
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return t, nil
}

// build makes one provider from its config.
func (t *trust) build(p config.Provider) (verify.Provider, error) {
	switch {
	case p.Cosign != nil:
		opts := verify.CosignOptions{TrustedRootFile: p.Cosign.TrustedRoot}
		for _, file := range p.Cosign.PublicKeys {
			pem, err := os.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("cosign public key: %w", err)
			}
			opts.PublicKeys = append(opts.PublicKeys, verify.PublicKey{Name: t.rel(file), PEM: pem})
		}
		if k := p.Cosign.Keyless; k != nil {
			opts.Identities = []verify.Identity{{Issuer: k.Issuer, IssuerRegExp: k.IssuerRegExp, Subject: k.Subject, SubjectRegExp: k.SubjectRegExp}}
		}
		return verify.NewCosign(opts)
	case p.Notation != nil:
		return verify.NewNotation(p.Notation.TrustPolicy, p.Notation.TrustStore)
	case p.HelmProvenance != nil:
		return verify.NewHelmProvenance(p.HelmProvenance.Keyring)
	}
	return nil, fmt.Errorf("a provider names none of cosign, notation, helmProvenance")
}

// rel names a file of the config's by its path relative to the config file, as its
// author wrote it, not by the runner's absolute path.
func (t *trust) rel(file string) string {
	if rel, err := filepath.Rel(t.dir, file); err == nil {
		return filepath.ToSlash(rel)
	}
	return file
}

// gatePolicy turns a source's merged rules into the gates its versions pass.
func (t *trust) gatePolicy(r config.Resolved) GatePolicy {
	g := GatePolicy{Verify: t.policy(r.Verify)}
	if r.MinimumReleaseAge.Set() {
		g.MinimumReleaseAge = r.MinimumReleaseAge.Value
		g.OnMissingTimestamp = string(r.OnMissingTimestamp.Value)
	}
	if r.ReleaseTime.Set() {
		for _, ts := range r.ReleaseTime.Value {
			g.ReleaseTime = append(g.ReleaseTime, string(ts))
		}
	}
	return g
}

// policy returns the verify.Policy of a source's merged verify block, or nil when its
// versions are not to be verified. Sources whose block comes from the same settings
// share one Policy.
func (t *trust) policy(v config.ResolvedVerify) *verify.Policy {
	if !v.Enabled() {
		return nil
	}
	key := fmt.Sprintf("%s|%t %s|%s %s", origin(v.Providers.From), v.Required.Value, origin(v.Required.From), v.SignatureRepository.Value, origin(v.SignatureRepository.From))
	if p, ok := t.policies[key]; ok {
		return p
	}
	p := &verify.Policy{Required: v.Required.Value, SignatureRepository: v.SignatureRepository.Value}
	for _, cp := range v.Providers.Value {
		if prov, ok := t.providers[cp.Pos]; ok {
			p.Providers = append(p.Providers, prov)
		}
	}
	t.policies[key] = p
	return p
}

// origin spells where a setting comes from, "" for a default.
func origin(o *config.Origin) string {
	if o == nil {
		return ""
	}
	return o.String()
}
