package promote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// Query names the sources to explain: an Application (or ApplicationSet) by name, a file,
// or the targetRevision on one line of a file.
type Query struct {
	Application string
	File        string
	Line        int
}

// ParseQuery reads explain's argument: FILE:LINE, FILE (a path ending in .yaml or .yml, or
// one that exists under dir) or an Application name.
func ParseQuery(dir, arg string) (Query, error) {
	arg = strings.TrimSpace(arg)
	if arg == "" {
		return Query{}, errors.New("explain needs an Application name or FILE:LINE")
	}
	if i := strings.LastIndexByte(arg, ':'); i > 0 {
		if line, err := strconv.Atoi(arg[i+1:]); err == nil {
			if line < 1 {
				return Query{}, fmt.Errorf("%s: lines count from 1", arg)
			}
			return Query{File: queryFile(dir, arg[:i]), Line: line}, nil
		}
	}
	if strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") || strings.Contains(arg, "/") {
		return Query{File: queryFile(dir, arg)}, nil
	}
	return Query{Application: arg}, nil
}

// queryFile spells a file as plans do, relative to dir, whether it was given relative to
// dir or (as a shell completes it) to the working directory.
func queryFile(dir, file string) string {
	if _, err := os.Stat(file); err == nil {
		if rel := relativeTo(dir, file); rel != ".." && !strings.HasPrefix(rel, "../") {
			return rel
		}
	}
	return path.Clean(filepath.ToSlash(file))
}

// String writes the query as it was meant.
func (q Query) String() string {
	switch {
	case q.Application != "":
		return q.Application
	case q.Line > 0:
		return fmt.Sprintf("%s:%d", q.File, q.Line)
	}
	return q.File
}

// Explanation is why each matching source's policy is what it is, and what a plan does
// with it. Its JSON is what explain --json prints.
type Explanation struct {
	Query string `json:"query"`
	// Config is the config file used, "" when there is none.
	Config string `json:"config,omitempty"`
	// Precedence lists the settings of constraint and ignore, most binding first.
	Precedence []string    `json:"precedence"`
	Sources    []SourceWhy `json:"sources"`
	// Settings are the render: and pullRequest: settings promote and the Action use, each
	// from the config file or the default (a flag or input given explicitly wins over both).
	Settings []SettingOrigin `json:"settings"`
}

// SourceWhy explains one source.
type SourceWhy struct {
	File           string `json:"file"`
	Line           int    `json:"line"`
	Path           string `json:"path"`
	Application    string `json:"application"`
	ApplicationSet string `json:"applicationSet,omitempty"`
	Kind           string `json:"kind"`
	Chart          string `json:"chart"`
	Form           string `json:"form"`
	Revision       string `json:"revision"`
	// Rules say, for every config rule, whether it applies to the source and why.
	Rules []RuleWhy `json:"rules"`
	// Policy is every policy field, with the setting that decided it and those it beat.
	Policy []FieldWhy `json:"policy"`
	// Outcome is what the plan does with the source; nil when the registry was not asked.
	Outcome *Outcome `json:"outcome,omitempty"`
}

// RuleWhy says whether one config rule applies to a source.
type RuleWhy struct {
	Rule    int    `json:"rule"`
	Line    int    `json:"line"`
	Applies bool   `json:"applies"`
	Why     string `json:"why"`
}

// FieldWhy is one policy field of a source: its value, the setting it comes from, and the
// settings of lower precedence it won over.
type FieldWhy struct {
	Field string `json:"field"`
	Value string `json:"value"`
	From  string `json:"from"`
	// Over are the settings it won over, most binding first.
	Over []SettingWhy `json:"over,omitempty"`
}

// SettingWhy is one setting of a field.
type SettingWhy struct {
	Value string `json:"value"`
	From  string `json:"from"`
}

// Outcome is what planning decided for a source.
type Outcome struct {
	// Result is "change", "up to date", "skipped" or "error".
	Result string `json:"result"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Digest string `json:"digest,omitempty"`
	// Reason says why a source is skipped, up to date or failed.
	Reason string `json:"reason,omitempty"`
}

// Explain finds the sources q names and explains their policy. With plan set it also plans
// their charts (asking the registry) and reports what the plan does with each source.
func Explain(ctx context.Context, opts Options, q Query, plan bool) (*Explanation, error) {
	include, err := manifest.CompileGlobs(opts.Include)
	if err != nil {
		return nil, fmt.Errorf("--include: %w", err)
	}
	exclude, err := manifest.CompileGlobs(opts.Exclude)
	if err != nil {
		return nil, fmt.Errorf("--exclude: %w", err)
	}
	if _, err := version.ParseConstraint(opts.DefaultConstraint); err != nil {
		return nil, fmt.Errorf("--constraint: %w", err)
	}
	found, err := manifest.Discover(ctx, opts.Dir, manifest.Options{Include: include, Exclude: exclude})
	if err != nil {
		return nil, err
	}
	sources, err := selectSources(found, q)
	if err != nil {
		return nil, err
	}
	e := &Explanation{Query: q.String(), Precedence: Precedence(), Sources: []SourceWhy{}, Settings: DefaultSettingOrigins(opts.Config)}
	if opts.Config != nil {
		e.Config = opts.Config.File
	}
	charts := map[string]bool{}
	for _, src := range sources {
		e.Sources = append(e.Sources, explainSource(src, opts))
		charts[src.Chart] = true
	}
	if !plan {
		return e, nil
	}
	planOpts := opts
	planOpts.Charts = sortedKeys(charts)
	p, err := Make(ctx, planOpts)
	if err != nil {
		return nil, err
	}
	for i := range e.Sources {
		e.Sources[i].Outcome = outcome(p, e.Sources[i])
	}
	return e, nil
}

// Precedence words the order in which settings decide constraint and ignore.
func Precedence() []string {
	return []string{
		"a chart-promoter comment on the targetRevision line or the line above it",
		"the annotation chart-promoter.io/constraint or chart-promoter.io/ignore (an ApplicationSet's template's, then its own)",
		"the config file's rules (the last matching rule that sets the field wins)",
		"--constraint (the Action input constraint)",
		"the default: any version (*), not ignored",
	}
}

// SettingsPrecedence words the order in which the render: and pullRequest: settings are
// decided.
func SettingsPrecedence() string {
	return "a flag (--render, --kube-version, --milestone, …) or Action input given explicitly, then the config file, then the default"
}

// selectSources returns the sources q names, or an error that says what there is instead.
func selectSources(found *manifest.Result, q Query) ([]manifest.Source, error) {
	var out []manifest.Source
	var lines []string
	names := map[string]bool{}
	for _, src := range found.Sources {
		names[src.Application] = true
		if src.ApplicationSet != "" {
			names[src.ApplicationSet] = true
		}
		switch {
		case q.Application != "":
			if src.Application == q.Application || src.ApplicationSet == q.Application {
				out = append(out, src)
			}
		case src.File == q.File:
			lines = append(lines, strconv.Itoa(src.Location.Line))
			if q.Line == 0 || src.Location.Line == q.Line {
				out = append(out, src)
			}
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	for _, s := range found.Skipped {
		if (q.Application != "" && s.Application == q.Application) || (q.File != "" && s.File == q.File && (q.Line == 0 || s.Line == q.Line)) {
			return nil, fmt.Errorf("%s: %s", q, s.Reason)
		}
	}
	switch {
	case q.Application != "":
		known := sortedKeys(names)
		hint := ""
		if s := config.Suggest(q.Application, known); s != "" {
			hint = fmt.Sprintf(": did you mean %q?", s)
		} else if len(known) > 0 && len(known) <= 12 {
			hint = " (there are " + strings.Join(known, ", ") + ")"
		}
		return nil, fmt.Errorf("no OCI chart source of an Application or ApplicationSet named %q%s", q.Application, hint)
	case len(lines) > 0:
		return nil, fmt.Errorf("%s has no targetRevision on line %d; its chart sources are on line(s) %s", q.File, q.Line, strings.Join(lines, ", "))
	}
	return nil, fmt.Errorf("no OCI chart source in %s (relative to the scanned directory)", q.File)
}

// explainSource lays out every policy field of src with the settings that competed for it.
func explainSource(src manifest.Source, opts Options) SourceWhy {
	rules := opts.Config.For(configTarget(src))
	w := SourceWhy{
		File: src.File, Line: src.Location.Line, Path: src.Location.Path,
		Application: src.Application, ApplicationSet: src.ApplicationSet, Kind: src.Kind,
		Chart: src.Chart, Form: src.Form.String(), Revision: src.Revision, Rules: []RuleWhy{},
	}
	for _, m := range rules.Rules {
		w.Rules = append(w.Rules, RuleWhy{Rule: m.Origin.Rule, Line: m.Origin.Pos.Line, Applies: m.Applies, Why: m.Why()})
	}

	// constraint and ignore: the manifest, the rules, the flag, the default.
	var layers []SettingWhy
	if src.Constraint != "" {
		layers = append(layers, SettingWhy{Value: src.Constraint, From: src.ConstraintOrigin})
	}
	layers = append(layers, ruleLayers(rules, "constraint")...)
	if opts.DefaultConstraint != "" {
		layers = append(layers, SettingWhy{Value: opts.DefaultConstraint, From: "--constraint"})
	}
	text, origin := constraintFor(src, opts.DefaultConstraint, rules)
	w.Policy = append(w.Policy, decided("constraint", text, origin, layers))

	layers = nil
	if src.IgnoreOrigin != "" {
		layers = append(layers, SettingWhy{Value: strconv.FormatBool(src.Ignore), From: src.IgnoreOrigin})
	}
	layers = append(layers, ruleLayers(rules, "ignore")...)
	ignored, origin := ignoreFor(src, rules)
	if origin == "" {
		origin = "default: not ignored"
	}
	w.Policy = append(w.Policy, decided("ignore", strconv.FormatBool(ignored), origin, layers))

	// The rest only the config file sets. Fields that cannot matter (how to date a version
	// when no age is asked for; how to verify when nothing is; vendored archives of what
	// is not a Helm chart's dependency) are left out.
	aged := rules.MinimumReleaseAge.Value > 0
	for _, field := range config.Fields[2:] {
		layers := ruleLayers(rules, field)
		switch {
		case len(layers) > 0:
			w.Policy = append(w.Policy, FieldWhy{Field: field, Value: layers[0].Value, From: layers[0].From, Over: layers[1:]})
		case field == "onMissingTimestamp" || field == "releaseTime":
			if aged {
				w.Policy = append(w.Policy, FieldWhy{Field: field, Value: defaultValue(field, rules), From: defaultOrigin(field, rules)})
			}
		case field == "replaceVendoredArchives":
			if src.Dependency != nil { // only a Helm chart vendors archives
				w.Policy = append(w.Policy, FieldWhy{Field: field, Value: defaultValue(field, rules), From: defaultOrigin(field, rules)})
			}
		case strings.HasPrefix(field, "verify."):
			if rules.Verify.Enabled() {
				w.Policy = append(w.Policy, FieldWhy{Field: field, Value: defaultValue(field, rules), From: defaultOrigin(field, rules)})
			}
		default:
			w.Policy = append(w.Policy, FieldWhy{Field: field, Value: defaultValue(field, rules), From: defaultOrigin(field, rules)})
		}
	}
	if !rules.Verify.Enabled() {
		w.Policy = append(w.Policy, FieldWhy{Field: "verify", Value: "off", From: "no matching rule sets verify.providers: versions are not verified"})
	}
	return w
}

// decided builds a field whose winner is (value, origin), listing the other layers.
func decided(field, value, origin string, layers []SettingWhy) FieldWhy {
	f := FieldWhy{Field: field, Value: value, From: origin}
	for _, l := range layers {
		if l.From != origin {
			f.Over = append(f.Over, l)
		}
	}
	return f
}

func ruleLayers(rules config.Resolved, field string) []SettingWhy {
	var out []SettingWhy
	for _, l := range rules.Layers(field) {
		out = append(out, SettingWhy{Value: l.Value, From: l.Origin.String()})
	}
	return out
}

func defaultValue(field string, rules config.Resolved) string {
	switch field {
	case "verify.signatureRepository":
		return "(the chart's)"
	case "minimumReleaseAge":
		return "0"
	case "onMissingTimestamp":
		return string(rules.OnMissingTimestamp.Value)
	case "releaseTime":
		return config.FormatTimeSources(rules.ReleaseTime.Value)
	case "verify.required":
		return strconv.FormatBool(rules.Verify.Required.Value)
	case "separateMajor":
		return "false"
	case "pin":
		return "as written"
	case "replaceVendoredArchives":
		return "false"
	}
	return ""
}

func defaultOrigin(field string, rules config.Resolved) string {
	switch field {
	case "minimumReleaseAge":
		return "default: no minimum age"
	case "onMissingTimestamp":
		return "default when an age is set"
	case "releaseTime":
		return "default: the transparency log first, then the manifest's created annotation"
	case "verify.required":
		return "default when providers are set: fail closed"
	case "verify.signatureRepository":
		return "default: the chart's own repository"
	case "separateMajor":
		return "default: a major update shares the pull request of its group"
	case "pin":
		return "default: a tag stays a tag, and a digest the tool pinned stays a digest"
	case "replaceVendoredArchives":
		return "default: a vendored charts/NAME-VERSION.tgz is reported stale, not replaced"
	}
	return "default"
}

// outcome finds what plan did with the source w describes.
func outcome(p *Plan, w SourceWhy) *Outcome {
	for _, c := range p.Changes {
		if c.File == w.File && c.Line == w.Line && c.Chart == w.Chart {
			return &Outcome{Result: "change", From: c.From, To: c.To, Digest: c.Digest}
		}
	}
	for _, s := range p.Skipped {
		if s.File == w.File && s.Line == w.Line {
			result := "skipped"
			if s.UpToDate {
				result = "up to date"
			}
			return &Outcome{Result: result, Reason: s.Reason}
		}
	}
	for _, e := range p.Errors {
		if (e.File == w.File && e.Line == w.Line) || (e.File == "" && e.Chart == w.Chart) {
			return &Outcome{Result: "error", Reason: e.Message}
		}
	}
	return &Outcome{Result: "error", Reason: "the plan says nothing about this source"}
}
