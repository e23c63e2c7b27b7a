package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// load reads a fixture config, failing the test on any problem.
func load(t *testing.T, file string) *Config {
	t.Helper()
	cfg, err := Read(file)
	if err != nil {
		t.Fatalf("Read(%s): %v", file, err)
	}
	return cfg
}

func TestReadDecodesEveryFieldWithItsPlace(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("testdata", "full"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := load(t, filepath.Join(dir, FileName))
	abs := func(p string) string { return filepath.Join(dir, filepath.FromSlash(p)) }
	if len(cfg.Rules) != 3 {
		t.Fatalf("%d rules, want 3", len(cfg.Rules))
	}
	r0, r1, r2 := cfg.Rules[0], cfg.Rules[1], cfg.Rules[2]
	verify0 := r0.Verify
	if verify0 == nil || verify0.Providers == nil || len(verify0.Providers.Value) != 5 {
		t.Fatalf("rules[0].verify = %+v, want five providers", verify0)
	}
	p := verify0.Providers.Value
	checks := []struct {
		what      string
		got, want any
	}{
		{"rules[0] position", r0.Pos, Pos{4, 5}},
		{"rules[0] index", r0.Index, 0},
		{"rules[0].charts[0] as written", r0.Charts[0].Text, "oci://GHCR.io/acme/charts/*"},
		{"rules[0].charts[0] position", r0.Charts[0].Pos, Pos{4, 14}},
		{"rules[0].charts[0] kind", r0.Charts[0].Kind, ChartPattern},
		{"rules[0].charts[1] as written", r0.Charts[1].Text, "registry.example:5000/**"},
		{"rules[0].constraint", *r0.Constraint, Setting[string]{"^1", Pos{5, 5}}},
		{"rules[0].minimumReleaseAge in days and hours", *r0.MinimumReleaseAge, Setting[time.Duration]{36 * time.Hour, Pos{6, 5}}},
		{"rules[0].releaseTime", r0.ReleaseTime.Value, []TimeSource{TransparencyLog, Created}},
		{"rules[0] leaves onMissingTimestamp to others", r0.OnMissingTimestamp == nil, true},
		{"rules[0] leaves ignore to others", r0.Ignore == nil, true},
		{"rules[0].verify.signatureRepository, normalised", *verify0.SignatureRepository, Setting[string]{"ghcr.io/acme/signatures", Pos{9, 7}}},
		{"rules[0].verify leaves required to others", verify0.Required == nil, true},
		{"rules[0].verify.providers position", verify0.Providers.Pos, Pos{10, 7}},
		{"providers[0] is cosign", p[0].Name(), "cosign"},
		{"providers[0] position", p[0].Pos, Pos{11, 11}},
		{"providers[0] keys, relative to the config file", p[0].Cosign.PublicKeys, []string{abs("keys/cosign.pub"), abs("keys/cosign-old.pub")}},
		{"providers[0] is keyed", p[0].Cosign.Keyless == nil, true},
		{"providers[1] keyless identity", *p[1].Cosign.Keyless, Keyless{Issuer: "https://token.actions.githubusercontent.com", SubjectRegExp: `^https://github\.com/acme/charts/\.github/workflows/release\.yaml@`}},
		{"providers[1] trusted root", p[1].Cosign.TrustedRoot, abs("sigstore/trusted_root.json")},
		{"providers[2] keyless identity by issuer regexp and exact subject", *p[2].Cosign.Keyless, Keyless{IssuerRegExp: `^https://accounts\.example\.com/`, Subject: "releases@acme.example"}},
		{"providers[2] uses the public-good root", p[2].Cosign.TrustedRoot, ""},
		{"providers[3] is notation", p[3].Name(), "notation"},
		{"providers[3] notation files", *p[3].Notation, Notation{TrustPolicy: abs("notation/trustpolicy.json"), TrustStore: abs("notation/truststore")}},
		{"providers[4] is helm provenance", p[4].Name(), "helmProvenance"},
		{"providers[4] keyring", p[4].HelmProvenance.Keyring, abs("keys/pubring.gpg")},

		{"rules[1] has every chart", len(r1.Charts), 0},
		{"rules[1].applications[0] is a name glob", r1.Applications[0].Kind, NamePattern},
		{"rules[1].applications[1] is a file glob", r1.Applications[1].Kind, FilePattern},
		{"rules[1].constraint", r1.Constraint.Value, "~1.2"},
		{"rules[1].minimumReleaseAge", r1.MinimumReleaseAge.Value, 72 * time.Hour},
		{"rules[1].onMissingTimestamp", *r1.OnMissingTimestamp, Setting[MissingTimestamp]{Allow, Pos{27, 5}}},
		{"rules[1].verify.required", *r1.Verify.Required, Setting[bool]{true, Pos{29, 7}}},
		{"rules[1].verify leaves providers to others", r1.Verify.Providers == nil, true},

		{"rules[2].applications[0] (a file name) is a file glob", r2.Applications[0].Kind, FilePattern},
		{"rules[2].ignore", *r2.Ignore, Setting[bool]{true, Pos{32, 5}}},
		{"rules[2].releaseTime", r2.ReleaseTime.Value, []TimeSource{Created}},
		{"rules[2].verify.required", r2.Verify.Required.Value, false},
		{"rules[2].pin", *r2.Pin, Setting[Pin]{PinDigest, Pos{37, 5}}},
		{"rules[0] leaves pin to others", r0.Pin == nil, true},
	}
	for _, c := range checks {
		if fmt.Sprintf("%#v", c.got) != fmt.Sprintf("%#v", c.want) {
			t.Errorf("%s = %#v, want %#v", c.what, c.got, c.want)
		}
	}
}

func TestForMergesTheMatchingRulesFieldByFieldLaterRulesWinning(t *testing.T) {
	cfg := load(t, filepath.Join("testdata", "full", FileName))
	type want struct {
		applies    []int
		constraint string
		from       int // the rule that set the constraint; -1: none
		age        time.Duration
		ageFrom    int
		missing    MissingTimestamp
		release    []TimeSource
		ignore     bool
		required   bool
		providers  int
		sigRepo    string
	}
	cases := []struct {
		name   string
		target Target
		want   want
	}{
		{"a staging chart of the fleet takes rules[0] alone, with the defaults for the rest",
			Target{Chart: "ghcr.io/acme/charts/webapp", Application: "webapp-staging", File: "apps/staging/webapp.yaml"},
			want{applies: []int{0}, constraint: "^1", from: 0, age: 36 * time.Hour, ageFrom: 0, missing: Hold,
				release: []TimeSource{TransparencyLog, Created}, required: true, providers: 5, sigRepo: "ghcr.io/acme/signatures"}},
		{"a production Application takes rules[1]'s constraint and age over rules[0]'s, and keeps rules[0]'s providers",
			Target{Chart: "ghcr.io/acme/charts/webapp", Application: "webapp-production", File: "apps/production/webapp.yaml"},
			want{applies: []int{0, 1}, constraint: "~1.2", from: 1, age: 72 * time.Hour, ageFrom: 1, missing: Allow,
				release: []TimeSource{TransparencyLog, Created}, required: true, providers: 5, sigRepo: "ghcr.io/acme/signatures"}},
		{"a file glob matches where the name does not",
			Target{Chart: "ghcr.io/acme/charts/api", Application: "api", File: "apps/production/api.yaml"},
			want{applies: []int{0, 1}, constraint: "~1.2", from: 1, age: 72 * time.Hour, ageFrom: 1, missing: Allow,
				release: []TimeSource{TransparencyLog, Created}, required: true, providers: 5, sigRepo: "ghcr.io/acme/signatures"}},
		{"an ApplicationSet's name matches like an Application's",
			Target{Chart: "ghcr.io/acme/charts/worker", Application: "worker-eu", ApplicationSet: "workers-production", File: "appsets/workers.yaml"},
			want{applies: []int{0, 1}, constraint: "~1.2", from: 1, age: 72 * time.Hour, ageFrom: 1, missing: Allow,
				release: []TimeSource{TransparencyLog, Created}, required: true, providers: 5, sigRepo: "ghcr.io/acme/signatures"}},
		{"the last rule ignores one file of one chart and relaxes verification there",
			Target{Chart: "ghcr.io/acme/charts/legacy", Application: "billing-production", File: "apps/production/billing.yaml"},
			want{applies: []int{0, 1, 2}, constraint: "~1.2", from: 1, age: 72 * time.Hour, ageFrom: 1, missing: Allow,
				release: []TimeSource{Created}, ignore: true, required: false, providers: 5, sigRepo: "ghcr.io/acme/signatures"}},
		{"a registry with a port matches '**' across path segments",
			Target{Chart: "registry.example:5000/team/charts/webapp", Application: "webapp", File: "webapp.yaml"},
			want{applies: []int{0}, constraint: "^1", from: 0, age: 36 * time.Hour, ageFrom: 0, missing: Hold,
				release: []TimeSource{TransparencyLog, Created}, required: true, providers: 5, sigRepo: "ghcr.io/acme/signatures"}},
		{"a chart no charts glob matches, outside production, gets nothing but defaults",
			Target{Chart: "docker.io/bitnamicharts/redis", Application: "redis", File: "apps/staging/redis.yaml"},
			want{applies: nil, from: -1, ageFrom: -1, missing: Hold, release: []TimeSource{TransparencyLog, Created}, required: true}},
		{"'*' in a charts glob does not cross a '/'",
			Target{Chart: "ghcr.io/acme/charts/team/webapp", Application: "webapp", File: "webapp.yaml"},
			want{applies: nil, from: -1, ageFrom: -1, missing: Hold, release: []TimeSource{TransparencyLog, Created}, required: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := cfg.For(c.target)
			var applies []int
			for _, m := range r.Rules {
				if m.Applies {
					applies = append(applies, m.Origin.Rule)
				}
			}
			if !slices.Equal(applies, c.want.applies) {
				t.Errorf("rules that apply = %v, want %v", applies, c.want.applies)
			}
			if r.Constraint.Value != c.want.constraint || ruleOf(r.Constraint.From) != c.want.from {
				t.Errorf("constraint = %q from rules[%d], want %q from rules[%d]", r.Constraint.Value, ruleOf(r.Constraint.From), c.want.constraint, c.want.from)
			}
			if r.MinimumReleaseAge.Value != c.want.age || ruleOf(r.MinimumReleaseAge.From) != c.want.ageFrom {
				t.Errorf("minimumReleaseAge = %s from rules[%d], want %s from rules[%d]", r.MinimumReleaseAge.Value, ruleOf(r.MinimumReleaseAge.From), c.want.age, c.want.ageFrom)
			}
			if r.OnMissingTimestamp.Value != c.want.missing {
				t.Errorf("onMissingTimestamp = %s, want %s", r.OnMissingTimestamp.Value, c.want.missing)
			}
			if !slices.Equal(r.ReleaseTime.Value, c.want.release) {
				t.Errorf("releaseTime = %v, want %v", r.ReleaseTime.Value, c.want.release)
			}
			if r.Ignore.Value != c.want.ignore {
				t.Errorf("ignore = %v, want %v", r.Ignore.Value, c.want.ignore)
			}
			if r.Verify.Required.Value != c.want.required || len(r.Verify.Providers.Value) != c.want.providers || r.Verify.SignatureRepository.Value != c.want.sigRepo {
				t.Errorf("verify = required %v, %d providers, signatures in %q; want %v, %d, %q", r.Verify.Required.Value,
					len(r.Verify.Providers.Value), r.Verify.SignatureRepository.Value, c.want.required, c.want.providers, c.want.sigRepo)
			}
			if r.Verify.Enabled() != (c.want.providers > 0) {
				t.Errorf("Verify.Enabled() = %v with %d providers", r.Verify.Enabled(), c.want.providers)
			}
		})
	}
}

func ruleOf(o *Origin) int {
	if o == nil {
		return -1
	}
	return o.Rule
}

func TestForNamesTheRuleAndLineThatSetEachField(t *testing.T) {
	cfg := load(t, filepath.Join("testdata", "full", FileName))
	cfg.Name = "chart-promoter.yaml"
	r := cfg.For(Target{Chart: "ghcr.io/acme/charts/webapp", Application: "webapp-production", File: "apps/production/webapp.yaml"})
	if got, want := r.Constraint.From.String(), "rules[1] (chart-promoter.yaml:25)"; got != want {
		t.Errorf("constraint from %q, want %q", got, want)
	}
	if got, want := r.Verify.Providers.From.String(), "rules[0] (chart-promoter.yaml:10)"; got != want {
		t.Errorf("providers from %q, want %q", got, want)
	}
	layers := r.Layers("constraint")
	if len(layers) != 2 || layers[0].Value != "~1.2" || layers[1].Value != "^1" || layers[1].Origin.Pos.Line != 5 {
		t.Errorf("constraint layers = %+v, want ~1.2 (rules[1]) then ^1 (rules[0], line 5)", layers)
	}
	if got := r.Layers("minimumReleaseAge"); len(got) != 2 || got[0].Value != "3d" || got[1].Value != "1d12h" {
		t.Errorf("age layers = %+v, want 3d then 1d12h", got)
	}
	var why []string
	for _, m := range r.Rules {
		why = append(why, m.Why())
	}
	want := []string{
		`charts "oci://GHCR.io/acme/charts/*" matches ghcr.io/acme/charts/webapp`,
		`every chart, applications "*-production" matches webapp-production in apps/production/webapp.yaml`,
		`charts ["ghcr.io/acme/charts/legacy"] do not match ghcr.io/acme/charts/webapp`,
	}
	if !slices.Equal(why, want) {
		t.Errorf("why:\n%q\nwant\n%q", why, want)
	}
}

func TestANilConfigGivesTheDefaults(t *testing.T) {
	var cfg *Config
	r := cfg.For(Target{Chart: "ghcr.io/acme/charts/webapp", Application: "webapp"})
	if r.Constraint.Set() || r.Ignore.Set() || r.MinimumReleaseAge.Value != 0 || r.Verify.Enabled() || len(r.Rules) != 0 {
		t.Errorf("nil config resolved to %+v, want nothing set", r)
	}
	if r.OnMissingTimestamp.Value != Hold || !slices.Equal(r.ReleaseTime.Value, DefaultReleaseTime()) || !r.Verify.Required.Value {
		t.Errorf("defaults = %s, %v, required %v; want hold, [tlog created], true", r.OnMissingTimestamp.Value, r.ReleaseTime.Value, r.Verify.Required.Value)
	}
}

func TestReadDecodesStagesAndLimits(t *testing.T) {
	cfg := load(t, filepath.Join("testdata", "full", FileName))
	if len(cfg.Stages) != 3 {
		t.Fatalf("%d stages, want 3", len(cfg.Stages))
	}
	staging, production, eu := cfg.Stages[0], cfg.Stages[1], cfg.Stages[2]
	checks := []struct {
		what      string
		got, want any
	}{
		{"rules[2].separateMajor", *cfg.Rules[2].SeparateMajor, Setting[bool]{true, Pos{36, 5}}},
		{"stages[0] position", staging.Pos, Pos{39, 5}},
		{"stages[0] takes from the registry", staging.Upstream(), false},
		{"stages[0] matches by chart by default", staging.Match, MatchChart},
		{"stages[0] has no Argo CD gate", staging.ArgoCD == nil, true},
		{"stages[0].applications[1] is a file glob", staging.Applications[1].Kind, FilePattern},
		{"stages[1] takes from staging", production.From, "staging"},
		{"stages[1] soaks a day", production.Soak, 24 * time.Hour},
		{"stages[1] matches by name", production.Match, MatchName},
		{"stages[1].argocd", *production.ArgoCD, ArgoCD{Pos: Pos{48, 7}, Server: "https://argocd.staging.example.com", TokenEnv: "ARGOCD_STAGING_TOKEN", RequireHealthy: true, RequireSynced: false}},
		{"stages[2] takes from production, without a soak", [2]any{eu.From, eu.Soak}, [2]any{"production", time.Duration(0)}},
		{"limits as written", cfg.Limits(), Limits{MaxOpen: 10, MaxNewPerRun: 3}},
		{"maxOpenPullRequests position", cfg.MaxOpenPullRequests.Pos, Pos{54, 1}},
	}
	for _, c := range checks {
		if fmt.Sprintf("%#v", c.got) != fmt.Sprintf("%#v", c.want) {
			t.Errorf("%s = %#v, want %#v", c.what, c.got, c.want)
		}
	}
}

func TestStagesOfAndTheNameMapping(t *testing.T) {
	cfg := load(t, filepath.Join("testdata", "full", FileName))
	stagesOf := func(tg Target) []string {
		var names []string
		for _, s := range cfg.StagesOf(tg) {
			names = append(names, s.Name)
		}
		return names
	}
	cases := []struct {
		name   string
		target Target
		want   []string
	}{
		{"an Application name puts a source in its stage", Target{Application: "webapp-staging", File: "apps/web.yaml"}, []string{"staging"}},
		{"a file path does too", Target{Application: "webapp", File: "apps/production/webapp.yaml"}, []string{"production"}},
		{"a source in no stage has none", Target{Application: "webapp-dev", File: "apps/dev/webapp.yaml"}, nil},
		{"a source two stages select is in both, for the planner to report", Target{Application: "webapp-production", File: "apps/production-eu/webapp.yaml"}, []string{"production", "production-eu"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := stagesOf(c.target); !slices.Equal(got, c.want) {
				t.Errorf("stages = %v, want %v", got, c.want)
			}
		})
	}
	production := cfg.Stage("production")
	if name, byFile := production.UpstreamName("webapp-production", "apps/production/webapp.yaml"); name != "webapp-staging" || byFile {
		t.Errorf("match: name maps webapp-production to %q (by file %v), want webapp-staging", name, byFile)
	}
	if name, byFile := production.UpstreamName("webapp", "apps/production/webapp.yaml"); name != "apps/staging/webapp.yaml" || !byFile {
		t.Errorf("match: name maps the file of webapp to %q (by file %v), want apps/staging/webapp.yaml", name, byFile)
	}
	var none *Config
	if none.StagesOf(Target{Application: "webapp-staging"}) != nil || none.Limits() != (Limits{MaxNewPerRun: DefaultMaxNewPullRequestsPerRun}) {
		t.Error("a nil config has stages or limits other than the defaults")
	}
}

func TestReplaceVendoredArchivesMergesFieldByFieldWithItsOrigin(t *testing.T) {
	cfg := load(t, filepath.Join("testdata", "vendored", FileName))
	cases := []struct {
		name   string
		target Target
		want   bool
		line   int // the line of the setting that decided; 0: the default
		layers []string
	}{
		{"a chart of the fleet takes rules[0]'s true, and a later rule that sets only a constraint keeps it",
			Target{Chart: "ghcr.io/acme/charts/redis", Application: "platform", File: "charts/platform/Chart.yaml"}, true, 3, []string{"true"}},
		{"a later rule's false takes it back for the charts it matches",
			Target{Chart: "ghcr.io/acme/charts/redis", Application: "legacy", File: "charts/legacy/Chart.yaml"}, false, 5, []string{"false", "true"}},
		{"a chart no rule matches keeps the default, false",
			Target{Chart: "docker.io/bitnamicharts/redis", Application: "platform", File: "charts/platform/Chart.yaml"}, false, 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := cfg.For(c.target)
			f := r.ReplaceVendoredArchives
			line := 0
			if f.From != nil {
				line = f.From.Pos.Line
			}
			if f.Value != c.want || line != c.line {
				t.Errorf("replaceVendoredArchives = %v from line %d, want %v from line %d", f.Value, line, c.want, c.line)
			}
			var layers []string
			for _, l := range r.Layers("replaceVendoredArchives") {
				layers = append(layers, l.Value)
			}
			if !slices.Equal(layers, c.layers) {
				t.Errorf("layers = %q, want %q (the winner first)", layers, c.layers)
			}
		})
	}
}
