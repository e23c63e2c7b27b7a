package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// minimal is a valid config file of one rule.
const minimal = "rules:\n  - constraint: \"~1.2\"\n"

// writeFiles creates files (slash paths under root) with the minimal config as content;
// a path ending in "/" is a directory.
func writeFiles(t *testing.T, root string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		full := filepath.Join(root, filepath.FromSlash(p))
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(minimal), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadFindsTheConfigFileWhereTheREADMESays(t *testing.T) {
	cases := []struct {
		name     string
		files    []string
		scan     string // the scanned directory, under the root
		explicit string // --config, relative to the root
		want     string // the config's Name; "" for none
		wantErr  string
	}{
		{name: "no file is no config", files: []string{"apps/a.yaml"}, scan: ".", want: ""},
		{name: "chart-promoter.yaml at the scanned root", files: []string{"chart-promoter.yaml"}, scan: ".", want: "chart-promoter.yaml"},
		{name: ".github/chart-promoter.yaml of the scanned root", files: []string{".github/chart-promoter.yaml"}, scan: ".", want: ".github/chart-promoter.yaml"},
		{name: "a scan of a subdirectory finds .github/ at the top of its Git work tree",
			files: []string{".git/", ".github/chart-promoter.yaml", "deploy/apps/a.yaml"}, scan: "deploy", want: "../.github/chart-promoter.yaml"},
		{name: "without Git, a subdirectory's scan does not look above it",
			files: []string{".github/chart-promoter.yaml", "deploy/apps/a.yaml"}, scan: "deploy", want: ""},
		{name: "--config names any file, wherever it is",
			files: []string{"policy/promotions.yaml", "chart-promoter.yaml"}, scan: ".", explicit: "policy/promotions.yaml", want: "policy/promotions.yaml"},
		{name: "a --config that does not exist is an error",
			files: []string{"chart-promoter.yaml"}, scan: ".", explicit: "nope.yaml", wantErr: "nope.yaml does not exist"},
		{name: "a --config that is a directory is an error that names the file to give",
			files: []string{"policy/"}, scan: ".", explicit: "policy", wantErr: "is a directory: give the file"},
		{name: "two config files are an error, not a silent choice",
			files: []string{"chart-promoter.yaml", ".github/chart-promoter.yaml"}, scan: ".", wantErr: "more than one config file"},
		{name: "chart-promoter.yml is an error that asks for the .yaml name",
			files: []string{".github/chart-promoter.yml"}, scan: ".", wantErr: "the config file is named chart-promoter.yaml; rename it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, c.files...)
			explicit := ""
			if c.explicit != "" {
				explicit = filepath.Join(root, c.explicit)
			}
			cfg, err := Load(filepath.Join(root, c.scan), explicit)
			switch {
			case c.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Load error = %v, want one containing %q", err, c.wantErr)
				}
				return
			case err != nil:
				t.Fatalf("Load: %v", err)
			case c.want == "":
				if cfg != nil {
					t.Fatalf("Load found %s, want no config", cfg.File)
				}
				return
			case cfg == nil:
				t.Fatalf("Load found nothing, want %s", c.want)
			}
			if cfg.Name != c.want {
				t.Errorf("Name = %q, want %q", cfg.Name, c.want)
			}
			if len(cfg.Rules) != 1 || cfg.Rules[0].Constraint.Value != "~1.2" {
				t.Errorf("rules = %+v, want the one rule written", cfg.Rules)
			}
			if got := cfg.For(Target{Chart: "ghcr.io/acme/charts/webapp"}).Constraint.From.File; got != c.want {
				t.Errorf("origins name %q, want %q", got, c.want)
			}
		})
	}
}

func TestAnEmptyConfigFileHasNoRules(t *testing.T) {
	for _, data := range []string{"", "# only a comment\n", "rules: []\n"} {
		cfg, err := Parse("chart-promoter.yaml", []byte(data))
		if err != nil || cfg == nil || len(cfg.Rules) != 0 {
			t.Errorf("Parse(%q) = %+v, %v; want a config without rules", data, cfg, err)
		}
	}
}

func TestReadRefusesAHugeFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(file, []byte("# "+strings.Repeat("x", MaxFileSize)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(file); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Read of a %d-byte file = %v, want an error", MaxFileSize+3, err)
	}
}

func TestParseDurationReadsGoDurationsAndDays(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{in: "72h", want: 72 * time.Hour},
		{in: "3d", want: 72 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "1.5d", want: 36 * time.Hour},
		{in: "90m", want: 90 * time.Minute},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "0", want: 0},
		{in: "2d3h4m5s", want: 51*time.Hour + 4*time.Minute + 5*time.Second},
		{in: "", err: "empty duration"},
		{in: "72", err: "has no unit"},
		{in: "3x", err: `unknown unit "x"`},
		{in: "-1h", err: "negative"},
		{in: "d", err: "expected a number"},
		{in: "1..5d", err: "not a number of days"},
		{in: "99999999999d", err: "too long"},
	}
	for _, c := range cases {
		got, err := ParseDuration(c.in)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseDuration(%q) = %v, %v; want an error containing %q", c.in, got, err, c.err)
			}
		case err != nil || got != c.want:
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestFormatDurationWritesWhatParseDurationReads(t *testing.T) {
	for _, c := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0"}, {72 * time.Hour, "3d"}, {36 * time.Hour, "1d12h"}, {90 * time.Minute, "1h30m"},
		{time.Hour, "1h"}, {30 * time.Second, "30s"}, {24*time.Hour + 30*time.Minute, "1d30m"},
	} {
		got := FormatDuration(c.in)
		if got != c.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", c.in, got, c.want)
		}
		if back, err := ParseDuration(got); err != nil || back != c.in {
			t.Errorf("ParseDuration(FormatDuration(%v)) = %v, %v", c.in, back, err)
		}
	}
}

func TestSuggestFindsTyposButNotOtherWords(t *testing.T) {
	known := []string{"applications", "charts", "constraint", "ignore", "minimumReleaseAge", "onMissingTimestamp", "releaseTime", "verify"}
	for _, c := range []struct{ in, want string }{
		{"chartz", "charts"}, {"chart", "charts"}, {"Constraint", "constraint"}, {"minimumReleaseAg", "minimumReleaseAge"},
		{"verfiy", "verify"}, {"application", "applications"}, {"releasetime", "releaseTime"},
		{"colour", ""}, {"x", ""}, {"signature", ""},
	} {
		if got := Suggest(c.in, known); got != c.want {
			t.Errorf("Suggest(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestChartPatternsMatchEverySpellingOfARepository(t *testing.T) {
	cases := []struct {
		pattern string
		match   []string
		miss    []string
	}{
		{"ghcr.io/acme/charts/*", []string{"ghcr.io/acme/charts/webapp"}, []string{"ghcr.io/acme/charts/team/webapp", "ghcr.io/acme/other/webapp"}},
		{"oci://GHCR.IO/acme/charts/webapp/", []string{"ghcr.io/acme/charts/webapp"}, []string{"ghcr.io/acme/charts/webapp2"}},
		{"ghcr.io/acme/**", []string{"ghcr.io/acme/charts/webapp", "ghcr.io/acme/x/y/z"}, []string{"ghcr.io/acmecorp/charts/webapp"}},
		{"*.azurecr.io/helm/*", []string{"acme.azurecr.io/helm/webapp"}, []string{"acme.azurecr.io/helm/team/webapp"}},
		{"localhost:5000/charts/web?pp", []string{"localhost:5000/charts/webapp"}, []string{"localhost:5001/charts/webapp"}},
		{"ghcr.io/acme/charts/[ab]*", []string{"ghcr.io/acme/charts/api", "ghcr.io/acme/charts/billing"}, []string{"ghcr.io/acme/charts/webapp"}},
	}
	for _, c := range cases {
		p, err := compileChartPattern(c.pattern)
		if err != nil {
			t.Errorf("compileChartPattern(%q): %v", c.pattern, err)
			continue
		}
		for _, chart := range c.match {
			if !p.matches(Target{Chart: chart}) {
				t.Errorf("%q does not match %s", c.pattern, chart)
			}
		}
		for _, chart := range c.miss {
			if p.matches(Target{Chart: chart}) {
				t.Errorf("%q matches %s", c.pattern, chart)
			}
		}
	}
}

func TestApplicationPatternsMatchNamesOrFiles(t *testing.T) {
	t1 := Target{Application: "webapp-production", ApplicationSet: "webapps", File: "apps/production/webapp.yaml"}
	for _, c := range []struct {
		pattern string
		kind    PatternKind
		match   bool
	}{
		{"*-production", NamePattern, true},
		{"webapps", NamePattern, true}, // the ApplicationSet's name
		{"webapp", NamePattern, false}, // names match whole
		{"apps/production/**", FilePattern, true},
		{"apps/*.yaml", FilePattern, false},
		{"webapp.yaml", FilePattern, true}, // a file name matches at any depth, as --include does
		{"*-staging", NamePattern, false},
	} {
		p, err := compileApplicationPattern(c.pattern)
		if err != nil {
			t.Fatalf("compileApplicationPattern(%q): %v", c.pattern, err)
		}
		if p.Kind != c.kind || p.matches(t1) != c.match {
			t.Errorf("%q: kind %v, matches %v; want kind %v, matches %v", c.pattern, p.Kind, p.matches(t1), c.kind, c.match)
		}
	}
}

func TestTheSchemaAndTheDecoderKnowTheSameRuleKeys(t *testing.T) {
	v, err := newValidator()
	if err != nil {
		t.Fatal(err)
	}
	got := v.propertiesAt("#/definitions/rule")
	want := append([]string{"applications", "charts"}, ruleSettings...)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("schema rule keys %v, decoder keys %v: change both together", got, want)
	}
	for field, wantKeys := range map[string][]string{
		"#/definitions/verify":         {"providers", "required", "signatureRepository"},
		"#/definitions/provider":       {"cosign", "helmProvenance", "notation"},
		"#/definitions/cosign":         {"keyless", "publicKeys", "trustedRoot"},
		"#/definitions/keyless":        {"issuer", "issuerRegExp", "subject", "subjectRegExp"},
		"#/definitions/notation":       {"trustPolicy", "trustStore"},
		"#/definitions/helmProvenance": {"keyring"},
	} {
		if got := v.propertiesAt(field); !slices.Equal(got, wantKeys) {
			t.Errorf("schema %s keys %v, want %v (the names are a contract)", field, got, wantKeys)
		}
	}
}
