package promote_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	gates "github.com/chart-promoter/chart-promoter/internal/promote/gate"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/report"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
	"github.com/chart-promoter/chart-promoter/internal/verify"
)

// gateNow is the clock of the gate tests: every release time is set relative to it.
var gateNow = time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC)

// gateWorld is a registry holding versions of charts/webapp, pushed by Helm's client, and
// the testdata/gates tree planned against it.
type gateWorld struct {
	t       *testing.T
	reg     *testenv.Registry
	dir     string
	client  *registry.Client
	digests map[string]string // version → manifest digest
}

func newGateWorld(t *testing.T) *gateWorld {
	t.Helper()
	w := &gateWorld{t: t, reg: testenv.StartRegistry(t), dir: t.TempDir(), digests: map[string]string{}}
	copyTree(t, "testdata/gates", w.dir, w.reg.Host)
	var err error
	if w.client, err = registry.New(registry.WithRootCAs(w.reg.CertPool)); err != nil {
		t.Fatal(err)
	}
	return w
}

// push publishes webapp at version, released age before gateNow (as helm push records it).
func (w *gateWorld) push(version string, age time.Duration, opts ...testenv.ChartOption) string {
	w.t.Helper()
	d := w.reg.PushChart(w.t, "charts", "webapp", version, append([]testenv.ChartOption{testenv.WithCreated(gateNow.Add(-age))}, opts...)...)
	w.digests[version] = d
	return d
}

// plan plans the tree with rules by Application name, at the clock now.
func (w *gateWorld) plan(rules map[string]promote.GatePolicy, now time.Time) *promote.Plan {
	w.t.Helper()
	plan, err := promote.Make(context.Background(), promote.Options{
		Dir: w.dir, Registry: w.client, Now: func() time.Time { return now },
		Policy: func(src manifest.Source) promote.GatePolicy { return rules[src.Application] },
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return plan
}

// sourceOutcome is what a plan did with one Application's source.
type sourceOutcome struct {
	change *promote.Change
	skip   *promote.Skip
	err    *promote.Error
}

func outcomes(plan *promote.Plan) map[string]sourceOutcome {
	out := map[string]sourceOutcome{}
	for i, c := range plan.Changes {
		out[c.Application] = sourceOutcome{change: &plan.Changes[i]}
	}
	for i, s := range plan.Skipped {
		out[s.Application] = sourceOutcome{skip: &plan.Skipped[i]}
	}
	for i, e := range plan.Errors {
		app := strings.TrimSuffix(strings.TrimPrefix(e.File, "apps/"), ".yaml")
		out["webapp-"+app] = sourceOutcome{err: &plan.Errors[i]}
	}
	return out
}

// want is what a test expects of one Application's source: moved to To, or skipped (To
// ""), with these held versions (version@gate, and until when set), or failed.
type want struct {
	to       string
	held     []string
	reason   string // a substring of the skip's reason or the error's message
	err      bool
	upToDate bool
}

func (w *gateWorld) check(plan *promote.Plan, wants map[string]want) {
	w.t.Helper()
	got := outcomes(plan)
	for app, wt := range wants {
		o, ok := got[app]
		switch {
		case !ok:
			w.t.Errorf("%s: neither changed, skipped nor failed", app)
			continue
		case wt.err:
			if o.err == nil || !strings.Contains(o.err.Message, wt.reason) {
				w.t.Errorf("%s: %+v; want an error mentioning %q", app, o, wt.reason)
			}
			if o.change != nil {
				w.t.Errorf("%s: a failed check became a change %+v", app, o.change)
			}
			continue
		case o.err != nil:
			w.t.Errorf("%s: error %s", app, o.err)
			continue
		case wt.to != "":
			if o.change == nil || o.change.To != wt.to {
				w.t.Errorf("%s: %+v %+v; want a change to %s", app, o.change, o.skip, wt.to)
				continue
			}
			if o.change.Digest != w.digests[wt.to] {
				w.t.Errorf("%s: digest %s, want %s (what Helm pushed)", app, o.change.Digest, w.digests[wt.to])
			}
			checkHeld(w.t, app, o.change.Held, wt.held)
		default:
			if o.skip == nil {
				w.t.Errorf("%s: %+v; want it skipped", app, o.change)
				continue
			}
			if !strings.Contains(o.skip.Reason, wt.reason) || o.skip.UpToDate != wt.upToDate {
				w.t.Errorf("%s: skipped (up to date %v) with %q; want (up to date %v) a reason with %q", app, o.skip.UpToDate, o.skip.Reason, wt.upToDate, wt.reason)
			}
			checkHeld(w.t, app, o.skip.Held, wt.held)
		}
	}
	if w.t.Failed() {
		var buf bytes.Buffer
		_ = report.JSON(&buf, plan)
		w.t.Logf("plan:\n%s", buf.String())
	}
}

// checkHeld compares held versions as "version@gate" or "version@gate until RFC3339".
func checkHeld(t *testing.T, app string, got []gates.Hold, want []string) {
	t.Helper()
	var g []string
	for _, h := range got {
		s := h.Version + "@" + h.Gate
		if h.Until != nil {
			s += " until " + h.Until.Format(time.RFC3339)
		}
		if h.Reason == "" {
			t.Errorf("%s: %s held without a reason", app, s)
		}
		g = append(g, s)
	}
	if strings.Join(g, ", ") != strings.Join(want, ", ") {
		t.Errorf("%s: held %q, want %q", app, g, want)
	}
}

func TestAVersionYoungerThanTheMinimumReleaseAgeIsHeldUntilItIsOldEnough(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	w.push("1.2.3", 30*24*time.Hour)
	w.push("1.2.4", 5*24*time.Hour)
	w.push("1.2.5", time.Hour) // eligible 71 hours from gateNow
	eligible := gateNow.Add(71 * time.Hour)
	settled := promote.GatePolicy{MinimumReleaseAge: 72 * time.Hour}
	rules := map[string]promote.GatePolicy{"webapp-production": settled, "webapp-canary": settled}
	until := "1.2.5@age until " + eligible.Format(time.RFC3339)

	tests := []struct {
		name  string
		now   time.Time
		wants map[string]want
	}{
		{
			name: "a version released an hour ago is held until 72 hours after its release, and the settled one before it is proposed",
			now:  gateNow,
			wants: map[string]want{
				"webapp-production": {to: "1.2.4", held: []string{until}},
				"webapp-canary":     {reason: "no version newer than 1.2.4 that * allows passes every gate; held: 1.2.5 (age)", held: []string{until}},
				"webapp-staging":    {to: "1.2.5"},
			},
		},
		{
			name: "one second before it becomes eligible it is still held",
			now:  eligible.Add(-time.Second),
			wants: map[string]want{
				"webapp-production": {to: "1.2.4", held: []string{until}},
				"webapp-canary":     {reason: "passes every gate", held: []string{until}},
			},
		},
		{
			name: "a scheduled run at the time it becomes eligible proposes it",
			now:  eligible,
			wants: map[string]want{
				"webapp-production": {to: "1.2.5"},
				"webapp-canary":     {to: "1.2.5"},
				"webapp-staging":    {to: "1.2.5"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := *w
			w.t = t
			w.check(w.plan(rules, tt.now), tt.wants)
		})
	}
}

func TestTheHoldOfAYoungVersionSaysWhenItWasReleasedAndByWhichClock(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	w.push("1.2.3", 30*24*time.Hour)
	w.push("1.2.4", 90*time.Minute)
	plan := w.plan(map[string]promote.GatePolicy{"webapp-production": {MinimumReleaseAge: 36 * time.Hour}}, gateNow)
	production := outcomes(plan)["webapp-production"].skip
	if production == nil || len(production.Held) != 1 {
		t.Fatalf("skipped %+v; want production skipped with 1.2.4 held", plan.Skipped)
	}
	h := production.Held[0]
	wantReason := "released 2025-06-01T08:00:00Z (org.opencontainers.image.created), younger than the minimum release age of 36h"
	if h.Reason != wantReason || h.Until == nil || !h.Until.Equal(gateNow.Add(-90*time.Minute+36*time.Hour)) {
		t.Errorf("hold %+v; want the reason %q, eligible at 2025-06-02T20:00:00Z", h, wantReason)
	}
	if got := h.String(); got != "1.2.4 held by age: "+wantReason+"; eligible from 2025-06-02T20:00:00Z" {
		t.Errorf("the hold reads %q", got)
	}
}

func TestAVersionWithoutAReleaseTimeIsHeldOrLetThroughAsOnMissingTimestampSays(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	w.push("1.2.3", 30*24*time.Hour)
	w.push("1.2.4", 30*24*time.Hour)
	w.push("1.2.5", 0, testenv.WithoutCreated()) // as Helm before 3.13 pushed it

	tests := []struct {
		name      string
		onMissing string
		want      want
	}{
		{name: "by default it is held, without an eligibility time", onMissing: "", want: want{to: "1.2.4", held: []string{"1.2.5@age"}}},
		{name: "hold holds it", onMissing: "hold", want: want{to: "1.2.4", held: []string{"1.2.5@age"}}},
		{name: "allow lets it through", onMissing: "allow", want: want{to: "1.2.5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := *w
			w.t = t
			plan := w.plan(map[string]promote.GatePolicy{"webapp-production": {MinimumReleaseAge: time.Hour, OnMissingTimestamp: tt.onMissing}}, gateNow)
			w.check(plan, map[string]want{"webapp-production": tt.want})
			if len(tt.want.held) > 0 {
				if r := outcomes(plan)["webapp-production"].change.Held[0].Reason; !strings.Contains(r, "no org.opencontainers.image.created annotation") || !strings.Contains(r, "onMissingTimestamp is hold") {
					t.Errorf("the hold says %q; want it to name the missing annotation and the setting", r)
				}
			}
		})
	}
}

// digestSigner stands in for a signature provider while the real ones (cosign, Notation,
// Helm provenance) are built on other branches: it decides from the manifest digest alone,
// as each test tells it, and makes no cryptographic check at all. These tests therefore
// check the signature gate's logic — its place in the chain, the fallback to an older
// version, the reasons held, failing closed — not signatures; end-to-end tests with real
// signatures belong with the providers.
type digestSigner struct {
	signed  map[string]verify.Result // digest → what a pass establishes
	failing map[string]error         // digest → the check cannot be made
	mu      sync.Mutex
	calls   map[string]int
}

func (p *digestSigner) Name() string { return "digest-list" }

func (p *digestSigner) Verify(ctx context.Context, stores verify.Stores, s verify.Subject) (verify.Result, error) {
	d := s.Descriptor.Digest.String()
	p.mu.Lock()
	if p.calls == nil {
		p.calls = map[string]int{}
	}
	p.calls[d]++
	p.mu.Unlock()
	// What a real provider relies on: the subject's manifest as read, and a store of the
	// chart's repository through the run's client that resolves the tag to the same digest.
	if s.Manifest.Config.MediaType != registry.ConfigMediaType || len(s.Manifest.Layers) == 0 {
		return verify.Result{}, fmt.Errorf("the subject of %s has no chart manifest: %+v", s.Tag, s.Manifest)
	}
	store, err := stores.Open(ctx, s.Chart)
	if err != nil {
		return verify.Result{}, err
	}
	desc, err := store.Resolve(ctx, s.Tag)
	if err != nil || desc.Digest != s.Descriptor.Digest {
		return verify.Result{}, fmt.Errorf("the store resolves %s to %v (%v), the subject says %s", s.Tag, desc.Digest, err, d)
	}
	if err := p.failing[d]; err != nil {
		return verify.Result{}, err
	}
	if r, ok := p.signed[d]; ok {
		return r, nil
	}
	return verify.Result{}, &verify.RejectedError{Provider: p.Name(), Reason: "no signature for " + d}
}

func signedBy(identity string, tlog time.Time) verify.Result {
	return verify.Result{Provider: "digest-list", Identity: identity, Issuer: "https://token.actions.githubusercontent.com", KeyID: "SHA256:test", TlogTime: &tlog}
}

func TestTheSignatureGateProposesOnlyWhatItsPolicyPasses(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	w.push("1.2.3", 30*24*time.Hour)
	d124 := w.push("1.2.4", 20*24*time.Hour)
	d125 := w.push("1.2.5", 10*24*time.Hour)
	release := "https://github.com/acme/charts/.github/workflows/release.yaml@refs/heads/main"

	tests := []struct {
		name     string
		signed   map[string]verify.Result
		failing  map[string]error
		required bool
		wants    map[string]want
		verified *verify.Result // production's verification
	}{
		{
			name:     "a signed newest version is proposed with who signed it",
			signed:   map[string]verify.Result{d124: signedBy(release, gateNow), d125: signedBy(release, gateNow)},
			required: true,
			wants:    map[string]want{"webapp-production": {to: "1.2.5"}, "webapp-canary": {to: "1.2.5"}},
			verified: &verify.Result{Provider: "digest-list", Identity: release, Signed: true},
		},
		{
			name:     "an unsigned newest version falls back to the newest signed one, which says why it passed the newer over",
			signed:   map[string]verify.Result{d124: signedBy(release, gateNow)},
			required: true,
			wants: map[string]want{
				"webapp-production": {to: "1.2.4", held: []string{"1.2.5@signature"}},
				"webapp-canary":     {reason: "held: 1.2.5 (signature)", held: []string{"1.2.5@signature"}},
				"webapp-staging":    {to: "1.2.5"},
			},
			verified: &verify.Result{Provider: "digest-list", Identity: release, Signed: true},
		},
		{
			name:     "with nothing signed newer than the current version the source is skipped with every held version",
			required: true,
			wants: map[string]want{
				"webapp-production": {reason: "no version newer than 1.2.3 that * allows passes every gate", held: []string{"1.2.5@signature", "1.2.4@signature"}},
				"webapp-staging":    {to: "1.2.5"},
			},
		},
		{
			name:     "a check that cannot be made is an error for the chart's sources under the rule, never a pass",
			signed:   map[string]verify.Result{d124: signedBy(release, gateNow)},
			failing:  map[string]error{d125: errors.New("the trusted root could not be read")},
			required: true,
			wants: map[string]want{
				"webapp-production": {err: true, reason: "could not verify the signature of 1.2.5 (fails closed"},
				"webapp-canary":     {err: true, reason: "the trusted root could not be read"},
				"webapp-staging":    {to: "1.2.5"},
			},
		},
		{
			name:     "when verification is not required an unsigned version passes, marked unsigned",
			required: false,
			wants:    map[string]want{"webapp-production": {to: "1.2.5"}},
			verified: &verify.Result{Signed: false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := *w
			w.t = t
			signer := &digestSigner{signed: tt.signed, failing: tt.failing}
			rule := promote.GatePolicy{Verify: &verify.Policy{Providers: []verify.Provider{signer}, Required: tt.required}}
			plan := w.plan(map[string]promote.GatePolicy{"webapp-production": rule, "webapp-canary": rule}, gateNow)
			w.check(plan, tt.wants)
			for d, n := range signer.calls {
				if n != 1 {
					t.Errorf("%s was verified %d times; sources under one policy share one verification", d, n)
				}
			}
			if tt.verified == nil {
				return
			}
			got := outcomes(plan)["webapp-production"].change
			if got == nil || got.Verification == nil {
				t.Fatalf("production's change %+v has no verification", got)
			}
			v := got.Verification
			if v.Provider != tt.verified.Provider || v.Identity != tt.verified.Identity || v.Signed != tt.verified.Signed {
				t.Errorf("verification %+v, want %+v", v, tt.verified)
			}
			if !v.Signed && !strings.Contains(v.Reason, "no signature for "+w.digests[got.To]) {
				t.Errorf("an unsigned pass says %q; want why it was not verified", v.Reason)
			}
		})
	}
}

func TestTheAgeGateTrustsTheTransparencyLogTimeBeforeTheCreatedAnnotation(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	w.push("1.2.3", 30*24*time.Hour)
	d124 := w.push("1.2.4", 30*24*time.Hour)
	// 1.2.5's annotation claims a month; the transparency log saw its signature an hour ago.
	d125 := w.push("1.2.5", 30*24*time.Hour)
	signer := &digestSigner{signed: map[string]verify.Result{
		d124: signedBy("release", gateNow.Add(-30*24*time.Hour)),
		d125: signedBy("release", gateNow.Add(-time.Hour)),
	}}
	policy := &verify.Policy{Providers: []verify.Provider{signer}, Required: true}

	tests := []struct {
		name        string
		releaseTime []string
		want        want
	}{
		{name: "by default the log's time decides, which the publisher cannot back-date", want: want{to: "1.2.4", held: []string{"1.2.5@age until " + gateNow.Add(23*time.Hour).Format(time.RFC3339)}}},
		{name: "listed first, the log's time decides", releaseTime: []string{"tlog", "created"}, want: want{to: "1.2.4", held: []string{"1.2.5@age until " + gateNow.Add(23*time.Hour).Format(time.RFC3339)}}},
		{name: "a rule that trusts only the annotation takes its word", releaseTime: []string{"created"}, want: want{to: "1.2.5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := *w
			w.t = t
			plan := w.plan(map[string]promote.GatePolicy{"webapp-production": {MinimumReleaseAge: 24 * time.Hour, ReleaseTime: tt.releaseTime, Verify: policy}}, gateNow)
			w.check(plan, map[string]want{"webapp-production": tt.want})
			if len(tt.want.held) > 0 {
				if r := outcomes(plan)["webapp-production"].change.Held[0].Reason; !strings.Contains(r, "transparency-log time of the signature") {
					t.Errorf("the hold says %q; want it to name the transparency log", r)
				}
			}
		})
	}
}

func TestSourcesOfOneChartUnderDifferentRulesEachGetTheirOwnAnswer(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	w.push("1.2.3", 30*24*time.Hour)
	d124 := w.push("1.2.4", 20*24*time.Hour)
	w.push("1.2.5", time.Hour)
	signer := &digestSigner{signed: map[string]verify.Result{d124: signedBy("release", gateNow)}}
	// Same chart, same constraint (none), three rules: signatures, age, nothing.
	plan := w.plan(map[string]promote.GatePolicy{
		"webapp-production": {Verify: &verify.Policy{Providers: []verify.Provider{signer}, Required: true}},
		"webapp-canary":     {MinimumReleaseAge: 48 * time.Hour},
	}, gateNow)
	w.check(plan, map[string]want{
		"webapp-production": {to: "1.2.4", held: []string{"1.2.5@signature"}},
		"webapp-canary":     {reason: "passes every gate", held: []string{"1.2.5@age until " + gateNow.Add(47*time.Hour).Format(time.RFC3339)}},
		"webapp-staging":    {to: "1.2.5"},
	})
}

func TestTheChartGatePassesOverAContainerImageWithoutHoldingIt(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	w.push("1.2.3", 30*24*time.Hour)
	w.push("1.2.4", 20*24*time.Hour)
	w.reg.PushImage(t, "charts/webapp", "1.3.0")
	plan := w.plan(map[string]promote.GatePolicy{"webapp-production": {MinimumReleaseAge: time.Hour}}, gateNow)
	w.check(plan, map[string]want{
		"webapp-production": {to: "1.2.4"},
		"webapp-staging":    {to: "1.2.4"},
		"webapp-canary":     {reason: "up to date", upToDate: true},
	})
}

func TestTheWalkStopsAfterTenHeldVersionsAndSaysOlderOnesWereNotChecked(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	w.push("1.2.3", 30*24*time.Hour)
	var held []string
	for patch := 15; patch >= 4; patch-- {
		v := fmt.Sprintf("1.2.%d", patch)
		w.push(v, time.Hour)
		if len(held) < gates.MaxHeld {
			held = append(held, v+"@age until "+gateNow.Add(time.Hour).Format(time.RFC3339))
		}
	}
	w.reg.Requests.Reset()
	plan := w.plan(map[string]promote.GatePolicy{"webapp-production": {MinimumReleaseAge: 2 * time.Hour}}, gateNow)
	w.check(plan, map[string]want{
		"webapp-production": {reason: "older versions were not checked (the walk stops after 10 held versions)", held: held},
		"webapp-staging":    {to: "1.2.15"},
	})
	manifests := w.reg.Requests.Count(func(method, path string) bool {
		return method == http.MethodGet && strings.Contains(path, "/manifests/")
	})
	if manifests != gates.MaxHeld {
		t.Errorf("%d manifest GETs, want %d: one per version walked, each read once for both rules\n%s", manifests, gates.MaxHeld, strings.Join(w.reg.Requests.All(), "\n"))
	}
}

func TestTheHeldVersionsAndTheVerificationAreInThePlansJSON(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	w.push("1.2.3", 30*24*time.Hour)
	d124 := w.push("1.2.4", 20*24*time.Hour)
	w.push("1.2.5", 2*time.Hour)
	tlog := gateNow.Add(-20 * 24 * time.Hour)
	signer := &digestSigner{signed: map[string]verify.Result{d124: {Provider: "digest-list", Identity: "release@acme", KeyID: "SHA256:abc", TlogTime: &tlog}}}
	rule := promote.GatePolicy{MinimumReleaseAge: 3 * time.Hour, OnMissingTimestamp: "allow", Verify: &verify.Policy{Providers: []verify.Provider{signer}}}
	plan := w.plan(map[string]promote.GatePolicy{"webapp-production": rule, "webapp-canary": rule}, gateNow)

	var buf bytes.Buffer
	if err := report.JSON(&buf, plan); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Changes []map[string]json.RawMessage `json:"changes"`
		Skipped []map[string]json.RawMessage `json:"skipped"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	field := func(obj map[string]json.RawMessage, key string) string {
		var v any
		_ = json.Unmarshal(obj[key], &v)
		if s, ok := v.(string); ok {
			return s
		}
		return string(obj[key])
	}
	var production, staging, canary map[string]json.RawMessage
	for _, c := range doc.Changes {
		switch field(c, "application") {
		case "webapp-production":
			production = c
		case "webapp-staging":
			staging = c
		}
	}
	for _, s := range doc.Skipped {
		if field(s, "application") == "webapp-canary" {
			canary = s
		}
	}
	if production == nil || staging == nil || canary == nil {
		t.Fatalf("want production and staging changed, canary skipped:\n%s", buf.String())
	}
	// Not required, and no provider signs 1.2.5: it passes the signature gate unsigned, and
	// is held for its age. The contract: version, gate, reason, until (RFC 3339).
	wantHeld := `[{"version":"1.2.5","gate":"age","reason":"released 2025-06-01T07:30:00Z (org.opencontainers.image.created), younger than the minimum release age of 3h","until":"2025-06-01T10:30:00Z"}]`
	if got := compact(t, production["held"]); got != wantHeld {
		t.Errorf("production's held:\n%s\nwant\n%s", got, wantHeld)
	}
	wantVerification := `{"provider":"digest-list","identity":"release@acme","keyId":"SHA256:abc","tlogTime":"2025-05-12T09:30:00Z","signed":true}`
	if got := compact(t, production["verification"]); got != wantVerification {
		t.Errorf("production's verification:\n%s\nwant\n%s", got, wantVerification)
	}
	// The canary's own spelling (native OCI: the raw tag) and the same held list.
	if got := compact(t, canary["held"]); got != wantHeld {
		t.Errorf("canary's held:\n%s\nwant\n%s", got, wantHeld)
	}
	if !strings.Contains(field(canary, "reason"), "held: 1.2.5 (age)") {
		t.Errorf("canary's reason %q", field(canary, "reason"))
	}
	// A source without a rule carries neither.
	if _, ok := staging["held"]; ok {
		t.Errorf("staging has held: %s", staging["held"])
	}
	if _, ok := staging["verification"]; ok {
		t.Errorf("staging has a verification: %s", staging["verification"])
	}
}

func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return fmt.Sprintf("(%v: %s)", err, raw)
	}
	return buf.String()
}

func TestABadGatePolicyIsAnErrorAtItsSource(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	w.push("1.2.3", 30*24*time.Hour)
	w.push("1.2.4", 30*24*time.Hour)
	tests := []struct {
		name   string
		policy promote.GatePolicy
		reason string
	}{
		{"an unknown onMissingTimestamp", promote.GatePolicy{MinimumReleaseAge: time.Hour, OnMissingTimestamp: "skip"}, `onMissingTimestamp "skip": use "hold" or "allow"`},
		{"an unknown release time source", promote.GatePolicy{MinimumReleaseAge: time.Hour, ReleaseTime: []string{"signature"}}, `release time source "signature": use "tlog" or "created"`},
		{"a negative age", promote.GatePolicy{MinimumReleaseAge: -time.Hour}, "minimumReleaseAge -1h0m0s is negative"},
		{"a verify block without providers", promote.GatePolicy{Verify: &verify.Policy{Required: true}}, "verify: no providers configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := *w
			w.t = t
			plan := w.plan(map[string]promote.GatePolicy{"webapp-production": tt.policy}, gateNow)
			w.check(plan, map[string]want{"webapp-production": {err: true, reason: tt.reason}, "webapp-staging": {to: "1.2.4"}})
			for _, e := range plan.Errors {
				if e.File != "apps/production.yaml" || e.Line != 12 {
					t.Errorf("error %s; want it at apps/production.yaml:12", e)
				}
			}
		})
	}
}
