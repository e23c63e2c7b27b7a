package gate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/verify"
)

// Sources of a version's release time, as a rule lists them in order of trust.
const (
	// ReleaseTimeTransparencyLog is the transparency log's integrated time of the verified
	// signature: a public log's clock, which the publisher cannot back-date.
	ReleaseTimeTransparencyLog = "tlog"
	// ReleaseTimeCreated is the manifest's org.opencontainers.image.created annotation,
	// written by helm push since Helm 3.13: the pusher's clock, which they control.
	ReleaseTimeCreated = "created"
)

// DefaultReleaseTime is the order used when a rule sets none: the most trustworthy first.
var DefaultReleaseTime = []string{ReleaseTimeTransparencyLog, ReleaseTimeCreated}

// What to do with a version whose release time no source gives.
const (
	OnMissingHold  = "hold"
	OnMissingAllow = "allow"
)

// Age holds back versions released less than Minimum ago, so a release has time to be
// found bad before it is proposed. The release time is the first that Sources give; a
// version none gives a time for is held (OnMissing "hold", the default) or let through
// ("allow"). A version held for its age says when it becomes eligible: a scheduled run
// after that time proposes it.
type Age struct {
	// Minimum is the minimum release age.
	Minimum time.Duration
	// OnMissing is OnMissingHold ("" means it too) or OnMissingAllow.
	OnMissing string
	// Sources are the release time sources in order of trust; nil means DefaultReleaseTime.
	Sources []string
	// Verified is the policy whose verification gives the transparency-log time (the
	// signature gate runs first); nil when the rule verifies nothing.
	Verified *verify.Policy
	// Now is the clock.
	Now func() time.Time
}

// Name is "age".
func (Age) Name() string { return "age" }

// Check holds c when it is younger than the minimum release age, or has no release time
// and missing times are held.
func (g Age) Check(_ context.Context, c *Candidate) (*Hold, error) {
	released, source, tried := g.releaseTime(c)
	if released.IsZero() {
		if g.OnMissing == OnMissingAllow {
			return nil, nil
		}
		return &Hold{Gate: g.Name(), Reason: fmt.Sprintf("no release time to measure its age by (%s); onMissingTimestamp is hold", strings.Join(tried, "; "))}, nil
	}
	until := released.Add(g.Minimum).UTC().Truncate(time.Second)
	if g.Now().Before(until) {
		return &Hold{Gate: g.Name(), Until: &until,
			Reason: fmt.Sprintf("released %s (%s), younger than the minimum release age of %s", released.UTC().Format(time.RFC3339), source, Duration(g.Minimum))}, nil
	}
	return nil, nil
}

// releaseTime returns the first release time the sources give, with the source's name,
// and otherwise what each source lacked.
func (g Age) releaseTime(c *Candidate) (released time.Time, source string, tried []string) {
	sources := g.Sources
	if len(sources) == 0 {
		sources = DefaultReleaseTime
	}
	for _, s := range sources {
		switch s {
		case ReleaseTimeTransparencyLog:
			res := c.Verification(g.Verified)
			switch {
			case g.Verified == nil:
				tried = append(tried, "no transparency-log time: the rule verifies no signature")
			case res == nil || !res.Signed || res.TlogTime == nil:
				tried = append(tried, "no transparency-log time in the signature")
			default:
				return *res.TlogTime, "transparency-log time of the signature", tried
			}
		case ReleaseTimeCreated:
			value := ""
			if c.chart != nil {
				value = c.chart.Manifest.Annotations[AnnotationCreated]
			}
			if value == "" {
				tried = append(tried, "no "+AnnotationCreated+" annotation on the manifest (helm push writes it since Helm 3.13)")
				continue
			}
			t, err := time.Parse(time.RFC3339, value)
			if err != nil {
				tried = append(tried, fmt.Sprintf("the %s annotation %q is not an RFC 3339 time", AnnotationCreated, value))
				continue
			}
			return t, AnnotationCreated, tried
		}
	}
	return time.Time{}, "", tried
}

// ValidReleaseTime reports whether s names a release time source.
func ValidReleaseTime(s string) bool {
	return s == ReleaseTimeTransparencyLog || s == ReleaseTimeCreated
}

// Duration formats d as a person writes it: "72h", "1h30m", "90s".
func Duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
