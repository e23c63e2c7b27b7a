package promote

import (
	"fmt"
	"strings"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/promote/gate"
	"github.com/chart-promoter/chart-promoter/internal/verify"
)

// GatePolicy is what a source's rule asks of a chart version beyond its constraint. The
// zero value gates on nothing but "is it a Helm chart", which is the behaviour without a
// config file.
type GatePolicy struct {
	// MinimumReleaseAge holds versions released less than this long ago; 0 turns the age
	// gate off.
	MinimumReleaseAge time.Duration
	// OnMissingTimestamp is "hold" (the default) or "allow": what the age gate does with a
	// version whose release time no source gives.
	OnMissingTimestamp string
	// ReleaseTime lists the release time sources in order of trust, spelt as the config
	// file's releaseTime spells them ("tlog", "created"); nil means gate.DefaultReleaseTime.
	ReleaseTime []string
	// Verify, when set, holds versions its providers do not pass. Sources under one rule
	// should share one *verify.Policy: versions are verified once per policy and chart.
	Verify *verify.Policy
}

// zero reports whether the policy gates on nothing.
func (p GatePolicy) zero() bool {
	return p.MinimumReleaseAge == 0 && p.OnMissingTimestamp == "" && len(p.ReleaseTime) == 0 && p.Verify == nil
}

// validate says what is wrong with a policy, in the words of the config file.
func (p GatePolicy) validate() error {
	if p.MinimumReleaseAge < 0 {
		return fmt.Errorf("minimumReleaseAge %s is negative", p.MinimumReleaseAge)
	}
	switch p.OnMissingTimestamp {
	case "", gate.OnMissingHold, gate.OnMissingAllow:
	default:
		return fmt.Errorf("onMissingTimestamp %q: use %q or %q", p.OnMissingTimestamp, gate.OnMissingHold, gate.OnMissingAllow)
	}
	for _, s := range p.ReleaseTime {
		if !gate.ValidReleaseTime(s) {
			return fmt.Errorf("release time source %q: use %q or %q", s, gate.ReleaseTimeTransparencyLog, gate.ReleaseTimeCreated)
		}
	}
	if p.Verify != nil && len(p.Verify.Providers) == 0 {
		return fmt.Errorf("verify: no providers configured")
	}
	return nil
}

// key tells policies apart for grouping: sources of one chart with the same constraint
// and the same key get one answer.
func (p GatePolicy) key() string {
	return fmt.Sprintf("age=%s/%s/%s verify=%p", p.MinimumReleaseAge, p.OnMissingTimestamp, strings.Join(p.ReleaseTime, ","), p.Verify)
}

// verify is the policy's verify block; nil for a nil policy.
func (p *GatePolicy) verify() *verify.Policy {
	if p == nil {
		return nil
	}
	return p.Verify
}

// chain builds the gates of the policy: the chart gate first, then the signature (its
// transparency-log time is the age gate's best clock), then the age. A nil policy has the
// chart gate alone.
func (p *GatePolicy) chain(reg Registry, now func() time.Time) []gate.Gate {
	chain := []gate.Gate{gate.Chart{}}
	if p == nil {
		return chain
	}
	if p.Verify != nil {
		chain = append(chain, gate.Signature{Policy: p.Verify, Stores: reg})
	}
	if p.MinimumReleaseAge > 0 {
		chain = append(chain, gate.Age{Minimum: p.MinimumReleaseAge, OnMissing: p.OnMissingTimestamp, Sources: p.ReleaseTime, Verified: p.Verify, Now: now})
	}
	return chain
}
