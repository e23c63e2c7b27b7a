package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// decoder turns a schema-valid tree into rules, checking what the schema cannot: globs,
// durations, constraints, regular expressions, and that referenced files exist.
type decoder struct {
	file string
	// dir is the config file's directory, against which relative paths are resolved.
	dir  string
	t    *tree
	errs Errors
	// partial is set when the schema has found problems: checks of the whole file
	// (a rule that sets nothing, settings without effect) are then left out.
	partial bool
}

// The keys of a rule that set something, as opposed to choosing what the rule applies to.
var ruleSettings = []string{"constraint", "minimumReleaseAge", "onMissingTimestamp", "releaseTime", "ignore", "separateMajor", "pin", "replaceVendoredArchives", "verify"}

func (d *decoder) fail(loc []string, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Pos: d.t.posOf(loc), Path: yamlPath(loc), Message: fmt.Sprintf(format, args...)})
}

func (d *decoder) pos(loc []string) Pos { return d.t.posOf(loc) }

// keyPos is where a setting is written: its key, the line a person looks for.
func (d *decoder) keyPos(loc []string) Pos { return d.t.keyPosOf(loc) }

func child(loc []string, tokens ...string) []string {
	return append(append([]string(nil), loc...), tokens...)
}

// patterns compiles the globs listed under key of the mapping m at loc, each failure an
// error at its own item; the ones that compile are returned, with where each is written.
func (d *decoder) patterns(m map[string]any, loc []string, key string, compile func(string) (Pattern, error)) []Pattern {
	var out []Pattern
	for j, text := range strings_(m[key]) {
		at := child(loc, key, strconv.Itoa(j))
		pat, err := compile(text)
		if err != nil {
			d.fail(at, "%v", err)
			continue
		}
		pat.Pos = d.pos(at)
		out = append(out, pat)
	}
	return out
}

func (d *decoder) decode() *Config {
	root, _ := d.t.value.(map[string]any)
	items, _ := root["rules"].([]any)
	cfg := &Config{Rules: make([]Rule, 0, len(items))}
	for i, item := range items {
		m, _ := item.(map[string]any)
		cfg.Rules = append(cfg.Rules, d.rule(i, m))
	}
	stages, _ := root["stages"].([]any)
	for i, item := range stages {
		m, _ := item.(map[string]any)
		cfg.Stages = append(cfg.Stages, d.stage(i, m, cfg.Stages))
	}
	cfg.MaxOpenPullRequests = d.limit(root, "maxOpenPullRequests")
	cfg.MaxNewPullRequestsPerRun = d.limit(root, "maxNewPullRequestsPerRun")
	cfg.Render = d.render(root)
	cfg.PullRequest = d.pullRequest(root)
	if !d.partial {
		d.crossCheck(cfg.Rules)
	}
	return cfg
}

// limit reads a top-level limit; the schema has checked that it is a whole number, 0 or more.
func (d *decoder) limit(root map[string]any, key string) *Setting[int] {
	n, ok := root[key].(int64)
	if !ok || n < 0 {
		return nil
	}
	if n > 1<<31-1 {
		d.fail([]string{key}, "%d is more than any repository holds: write 0 for no limit", n)
		return nil
	}
	return &Setting[int]{Value: int(n), Pos: d.keyPos([]string{key})}
}

func (d *decoder) rule(i int, m map[string]any) Rule {
	loc := []string{"rules", strconv.Itoa(i)}
	r := Rule{Index: i, Pos: d.pos(loc)}
	sets := false
	for _, k := range ruleSettings {
		if _, ok := m[k]; ok {
			sets = true
		}
	}
	if !sets && !d.partial {
		d.fail(loc, "the rule sets nothing: add one of %s, or remove it", quoteList(ruleSettings))
	}
	r.Charts = d.patterns(m, loc, "charts", compileChartPattern)
	r.Applications = d.patterns(m, loc, "applications", compileApplicationPattern)
	if s, ok := m["constraint"].(string); ok {
		at := child(loc, "constraint")
		if _, err := version.ParseConstraint(s); err != nil {
			d.fail(at, "%v", err)
		} else {
			r.Constraint = &Setting[string]{Value: strings.TrimSpace(s), Pos: d.keyPos(at)}
		}
	}
	if s, ok := m["minimumReleaseAge"].(string); ok {
		at := child(loc, "minimumReleaseAge")
		if age, err := ParseDuration(s); err != nil {
			d.fail(at, "%v", err)
		} else {
			r.MinimumReleaseAge = &Setting[time.Duration]{Value: age, Pos: d.keyPos(at)}
		}
	}
	if s, ok := m["onMissingTimestamp"].(string); ok {
		r.OnMissingTimestamp = &Setting[MissingTimestamp]{Value: MissingTimestamp(s), Pos: d.keyPos(child(loc, "onMissingTimestamp"))}
	}
	if list, ok := m["releaseTime"].([]any); ok {
		sources := make([]TimeSource, 0, len(list))
		for _, s := range strings_(list) {
			sources = append(sources, TimeSource(s))
		}
		r.ReleaseTime = &Setting[[]TimeSource]{Value: sources, Pos: d.keyPos(child(loc, "releaseTime"))}
	}
	if b, ok := m["ignore"].(bool); ok {
		r.Ignore = &Setting[bool]{Value: b, Pos: d.keyPos(child(loc, "ignore"))}
	}
	if b, ok := m["separateMajor"].(bool); ok {
		r.SeparateMajor = &Setting[bool]{Value: b, Pos: d.keyPos(child(loc, "separateMajor"))}
	}
	if b, ok := m["replaceVendoredArchives"].(bool); ok {
		r.ReplaceVendoredArchives = &Setting[bool]{Value: b, Pos: d.keyPos(child(loc, "replaceVendoredArchives"))}
	}
	if s, ok := m["pin"].(string); ok {
		r.Pin = &Setting[Pin]{Value: Pin(s), Pos: d.keyPos(child(loc, "pin"))}
	}
	if v, ok := m["verify"].(map[string]any); ok {
		r.Verify = d.verify(child(loc, "verify"), v)
	}
	return r
}

func (d *decoder) verify(loc []string, m map[string]any) *Verify {
	v := &Verify{}
	if b, ok := m["required"].(bool); ok {
		v.Required = &Setting[bool]{Value: b, Pos: d.keyPos(child(loc, "required"))}
	}
	if s, ok := m["signatureRepository"].(string); ok {
		at := child(loc, "signatureRepository")
		repo, err := manifest.NormalizeChart(s)
		if err != nil {
			d.fail(at, "signature repository: %v", err)
		} else {
			v.SignatureRepository = &Setting[string]{Value: repo, Pos: d.keyPos(at)}
		}
	}
	if list, ok := m["providers"].([]any); ok {
		at := child(loc, "providers")
		providers := make([]Provider, 0, len(list))
		for i, item := range list {
			p, _ := item.(map[string]any)
			providers = append(providers, d.provider(child(at, strconv.Itoa(i)), p))
		}
		v.Providers = &Setting[[]Provider]{Value: providers, Pos: d.keyPos(at)}
	}
	return v
}

func (d *decoder) provider(loc []string, m map[string]any) Provider {
	p := Provider{Pos: d.pos(loc)}
	if c, ok := m["cosign"].(map[string]any); ok {
		at := child(loc, "cosign")
		cosign := &Cosign{}
		for i, key := range strings_(c["publicKeys"]) {
			cosign.PublicKeys = append(cosign.PublicKeys, d.path(child(at, "publicKeys", strconv.Itoa(i)), key, false))
		}
		if k, ok := c["keyless"].(map[string]any); ok {
			kl := child(at, "keyless")
			cosign.Keyless = &Keyless{
				Issuer:        str(k["issuer"]),
				IssuerRegExp:  d.regexp(child(kl, "issuerRegExp"), k["issuerRegExp"]),
				Subject:       str(k["subject"]),
				SubjectRegExp: d.regexp(child(kl, "subjectRegExp"), k["subjectRegExp"]),
			}
		}
		if root, ok := c["trustedRoot"].(string); ok {
			cosign.TrustedRoot = d.path(child(at, "trustedRoot"), root, false)
		}
		p.Cosign = cosign
	}
	if n, ok := m["notation"].(map[string]any); ok {
		at := child(loc, "notation")
		p.Notation = &Notation{
			TrustPolicy: d.path(child(at, "trustPolicy"), str(n["trustPolicy"]), false),
			TrustStore:  d.path(child(at, "trustStore"), str(n["trustStore"]), true),
		}
	}
	if h, ok := m["helmProvenance"].(map[string]any); ok {
		p.HelmProvenance = &HelmProvenance{Keyring: d.path(child(loc, "helmProvenance", "keyring"), str(h["keyring"]), false)}
	}
	return p
}

// path resolves a file the config refers to against the config's directory and checks
// that it is there, so that a typo fails the load rather than every verification.
func (d *decoder) path(loc []string, p string, wantDir bool) string {
	abs := filepath.FromSlash(p)
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(d.dir, abs)
	}
	abs, err := filepath.Abs(abs)
	if err != nil {
		d.fail(loc, "%q: %v", p, err)
		return p
	}
	info, err := os.Stat(abs)
	switch {
	case err != nil && os.IsNotExist(err):
		d.fail(loc, "%q does not exist (looked for %s; paths are relative to the config file)", p, abs)
	case err != nil:
		d.fail(loc, "%q cannot be read: %v", p, err)
	case wantDir && !info.IsDir():
		d.fail(loc, "%q is a file; a directory is expected here", p)
	case !wantDir && info.IsDir():
		d.fail(loc, "%q is a directory; a file is expected here", p)
	}
	return abs
}

// regexp checks a regular expression of a certificate identity. It must be anchored at
// its start: unanchored, "github\.com/acme" would also match an identity at
// evil.example/github.com/acme, and a signature check must not be that generous.
func (d *decoder) regexp(loc []string, v any) string {
	s, ok := v.(string)
	if !ok {
		return ""
	}
	if _, err := regexp.Compile(s); err != nil {
		d.fail(loc, "not a valid regular expression (Go RE2 syntax): %v", err)
		return s
	}
	if !strings.HasPrefix(s, "^") {
		d.fail(loc, "%s must start with ^: unanchored, it matches any identity that merely contains it", s)
	}
	return s
}

// crossCheck reports settings that can have no effect given the whole file.
func (d *decoder) crossCheck(rules []Rule) {
	age, providers := false, false
	for _, r := range rules {
		if r.MinimumReleaseAge != nil && r.MinimumReleaseAge.Value > 0 {
			age = true
		}
		if r.Verify != nil && r.Verify.Providers != nil {
			providers = true
		}
	}
	for _, r := range rules {
		loc := []string{"rules", strconv.Itoa(r.Index)}
		if !age && r.OnMissingTimestamp != nil {
			d.fail(child(loc, "onMissingTimestamp"), "has no effect: no rule sets a minimumReleaseAge")
		}
		if !age && r.ReleaseTime != nil {
			d.fail(child(loc, "releaseTime"), "has no effect: no rule sets a minimumReleaseAge")
		}
		if !providers && r.Verify != nil && (r.Verify.Required != nil || r.Verify.SignatureRepository != nil) {
			d.fail(child(loc, "verify"), "has no effect: no rule sets verify.providers, the ways a version may be signed")
		}
	}
}

// strings_ returns the strings of a list value (the schema has checked the items' type).
func strings_(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, item := range list {
		out = append(out, str(item))
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
