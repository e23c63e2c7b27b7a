package config

import (
	"fmt"
	"strings"
	"time"
)

// Target is what rules are matched against: one chart source.
type Target struct {
	// Chart is the normalised chart repository, host[:port]/path/name.
	Chart string
	// Application is the Application's name; ApplicationSet the generating set's, if any.
	Application, ApplicationSet string
	// File is the manifest's slash path relative to the scanned directory.
	File string
}

// Origin is the rule, and the place in it, that set a field.
type Origin struct {
	// File is the config file, as Config.Name spells it.
	File string
	// Rule is the rule's index in rules:.
	Rule int
	// Pos is where the field is written.
	Pos Pos
}

// String names the origin as messages and reasons show it: "rules[1] (chart-promoter.yaml:12)".
func (o Origin) String() string {
	return fmt.Sprintf("rules[%d] (%s:%d)", o.Rule, o.File, o.Pos.Line)
}

// Field is the merged value of one policy field and the rule that set it.
type Field[T any] struct {
	// Value is the last matching rule's value, or the default when From is nil.
	Value T
	// From is the rule that set Value; nil when no matching rule sets the field.
	From *Origin
}

// Set reports whether a rule set the field.
func (f Field[T]) Set() bool { return f.From != nil }

// Resolved is the policy the config gives one source: every field merged over the rules
// that match it, later rules winning, with the rule that decided each field.
type Resolved struct {
	// Rules are every rule of the file, in order, with whether it applies and why.
	Rules []RuleMatch

	// Constraint is the semver constraint; "" when no rule sets one.
	Constraint Field[string]
	// MinimumReleaseAge is how old a version must be; 0 when no rule sets one.
	MinimumReleaseAge Field[time.Duration]
	// OnMissingTimestamp is what to do without a release time; Hold by default.
	OnMissingTimestamp Field[MissingTimestamp]
	// ReleaseTime lists the time sources, most trusted first; DefaultReleaseTime by default.
	ReleaseTime Field[[]TimeSource]
	// Ignore leaves the source alone; false by default.
	Ignore Field[bool]
	// SeparateMajor gives an update to a new major version its own pull request; false
	// by default.
	SeparateMajor Field[bool]
	// Pin is how a native OCI source records its version; "" (keep the form the manifest
	// has) when no rule sets it.
	Pin Field[Pin]
	// ReplaceVendoredArchives replaces a Helm chart's vendored archive of a dependency
	// that moves with the new version's archive; false (report it stale) by default.
	ReplaceVendoredArchives Field[bool]
	// Verify is the merged verify: block.
	Verify ResolvedVerify
}

// ResolvedVerify is the merged verify: block of a source.
type ResolvedVerify struct {
	// Required fails closed; true by default (when there are providers).
	Required Field[bool]
	// SignatureRepository is where signatures are kept; "" means the chart's own repository.
	SignatureRepository Field[string]
	// Providers are the ways a version may be signed; none means no verification.
	Providers Field[[]Provider]
}

// Enabled reports whether the source's versions are to be verified at all.
func (v ResolvedVerify) Enabled() bool { return len(v.Providers.Value) > 0 }

// RuleMatch says whether one rule applies to a source, and which of its patterns chose it.
type RuleMatch struct {
	// Origin is the rule (Pos is where the rule starts).
	Origin Origin
	// Applies reports whether the rule matches the source.
	Applies bool
	// Chart and Application are the patterns that matched, "" when the rule has no
	// charts (or applications) and so matches every one.
	Chart, Application string

	rule   *Rule
	target Target
}

// Why says in words why the rule applies or does not.
func (m RuleMatch) Why() string {
	r := m.rule
	var parts []string
	switch {
	case len(r.Charts) == 0:
		parts = append(parts, "every chart")
	case m.Chart != "":
		parts = append(parts, fmt.Sprintf("charts %q matches %s", m.Chart, m.target.Chart))
	default:
		return fmt.Sprintf("charts %s do not match %s", patternList(r.Charts), m.target.Chart)
	}
	switch {
	case len(r.Applications) == 0:
	case m.Application != "":
		parts = append(parts, fmt.Sprintf("applications %q matches %s", m.Application, m.target.describe()))
	default:
		return fmt.Sprintf("applications %s do not match %s", patternList(r.Applications), m.target.describe())
	}
	return strings.Join(parts, ", ")
}

func (t Target) describe() string {
	names := t.Application
	if t.ApplicationSet != "" && t.ApplicationSet != t.Application {
		names += " (ApplicationSet " + t.ApplicationSet + ")"
	}
	if names == "" {
		return t.File
	}
	return names + " in " + t.File
}

func patternList(ps []Pattern) string {
	q := make([]string, len(ps))
	for i, p := range ps {
		q[i] = fmt.Sprintf("%q", p.Text)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// For merges the rules that match t. On a nil Config it returns the defaults, which leave
// planning exactly as it is without a config file.
func (c *Config) For(t Target) Resolved {
	res := Resolved{
		OnMissingTimestamp: Field[MissingTimestamp]{Value: Hold},
		ReleaseTime:        Field[[]TimeSource]{Value: DefaultReleaseTime()},
		Verify:             ResolvedVerify{Required: Field[bool]{Value: true}},
	}
	if c == nil {
		return res
	}
	res.Rules = make([]RuleMatch, 0, len(c.Rules))
	for i := range c.Rules {
		r := &c.Rules[i]
		m := RuleMatch{Origin: Origin{File: c.Name, Rule: r.Index, Pos: r.Pos}, rule: r, target: t}
		m.Chart, m.Applies = firstMatch(r.Charts, t)
		if m.Applies {
			m.Application, m.Applies = firstMatch(r.Applications, t)
		}
		res.Rules = append(res.Rules, m)
		if !m.Applies {
			continue
		}
		from := func(p Pos) *Origin { return &Origin{File: c.Name, Rule: r.Index, Pos: p} }
		merge(&res.Constraint, r.Constraint, from)
		merge(&res.MinimumReleaseAge, r.MinimumReleaseAge, from)
		merge(&res.OnMissingTimestamp, r.OnMissingTimestamp, from)
		merge(&res.ReleaseTime, r.ReleaseTime, from)
		merge(&res.Ignore, r.Ignore, from)
		merge(&res.SeparateMajor, r.SeparateMajor, from)
		merge(&res.Pin, r.Pin, from)
		merge(&res.ReplaceVendoredArchives, r.ReplaceVendoredArchives, from)
		if v := r.Verify; v != nil {
			merge(&res.Verify.Required, v.Required, from)
			merge(&res.Verify.SignatureRepository, v.SignatureRepository, from)
			merge(&res.Verify.Providers, v.Providers, from)
		}
	}
	return res
}

// firstMatch returns the first pattern that selects t; an empty list selects everything.
func firstMatch(patterns []Pattern, t Target) (string, bool) {
	if len(patterns) == 0 {
		return "", true
	}
	for _, p := range patterns {
		if p.matches(t) {
			return p.Text, true
		}
	}
	return "", false
}

func merge[T any](f *Field[T], s *Setting[T], from func(Pos) *Origin) {
	if s != nil {
		f.Value, f.From = s.Value, from(s.Pos)
	}
}

// Fields are the policy fields a rule can set, by their names in the file (verify's
// dotted), in the order explain shows them.
var Fields = []string{
	"constraint", "ignore", "minimumReleaseAge", "onMissingTimestamp", "releaseTime",
	"separateMajor", "verify.required", "verify.signatureRepository", "verify.providers", "pin",
	"replaceVendoredArchives",
}

// Layer is one matching rule's setting of a field.
type Layer struct {
	// Origin is the rule and the place of the field in it.
	Origin Origin
	// Value is the setting as text ("~1.2", "3d", "tlog, created").
	Value string
}

// Layers returns the settings of field (one of Fields) by every rule that applies, the
// winning one (the last in the file) first: what explain shows to say why a value won
// and what it won over.
func (r Resolved) Layers(field string) []Layer {
	var out []Layer
	for i := len(r.Rules) - 1; i >= 0; i-- {
		m := r.Rules[i]
		if !m.Applies {
			continue
		}
		if value, pos, ok := m.rule.setting(field); ok {
			out = append(out, Layer{Origin: Origin{File: m.Origin.File, Rule: m.Origin.Rule, Pos: pos}, Value: value})
		}
	}
	return out
}

// setting returns the rule's value of field as text, and where it is written.
func (r *Rule) setting(field string) (string, Pos, bool) {
	v := r.Verify
	if v == nil {
		v = &Verify{}
	}
	switch field {
	case "constraint":
		return text(r.Constraint, func(s string) string { return s })
	case "ignore":
		return text(r.Ignore, func(b bool) string { return fmt.Sprint(b) })
	case "minimumReleaseAge":
		return text(r.MinimumReleaseAge, FormatDuration)
	case "separateMajor":
		return text(r.SeparateMajor, func(b bool) string { return fmt.Sprint(b) })
	case "onMissingTimestamp":
		return text(r.OnMissingTimestamp, func(m MissingTimestamp) string { return string(m) })
	case "releaseTime":
		return text(r.ReleaseTime, FormatTimeSources)
	case "pin":
		return text(r.Pin, func(p Pin) string { return string(p) })
	case "replaceVendoredArchives":
		return text(r.ReplaceVendoredArchives, func(b bool) string { return fmt.Sprint(b) })
	case "verify.required":
		return text(v.Required, func(b bool) string { return fmt.Sprint(b) })
	case "verify.signatureRepository":
		return text(v.SignatureRepository, func(s string) string { return s })
	case "verify.providers":
		return text(v.Providers, FormatProviders)
	}
	return "", Pos{}, false
}

func text[T any](s *Setting[T], format func(T) string) (string, Pos, bool) {
	if s == nil {
		return "", Pos{}, false
	}
	return format(s.Value), s.Pos, true
}

// FormatTimeSources writes a releaseTime list as the file does: "tlog, created".
func FormatTimeSources(sources []TimeSource) string {
	words := make([]string, len(sources))
	for i, s := range sources {
		words[i] = string(s)
	}
	return strings.Join(words, ", ")
}

// FormatProviders describes verify.providers in one line.
func FormatProviders(providers []Provider) string {
	words := make([]string, len(providers))
	for i, p := range providers {
		words[i] = p.String()
	}
	return strings.Join(words, "; ")
}
