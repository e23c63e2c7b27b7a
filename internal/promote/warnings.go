package promote

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/setting"
	"github.com/chart-promoter/chart-promoter/internal/suggest"
)

// Warning is a setting or a source of credentials that did nothing, or put something at
// risk: the run goes on, but the user most likely meant something else. The JSON names
// of File, Line, Chart and Message are a contract, as the top-level "warnings" of
// `plan --json`.
type Warning struct {
	File  string `json:"file,omitempty"`
	Line  int    `json:"line,omitempty"`
	Chart string `json:"chart,omitempty"`
	// Setting is the neutral name of the setting the warning is about ("include",
	// "chart"), which each adapter spells its own way; "" when it is about none.
	Setting string `json:"setting,omitempty"`
	Message string `json:"message"`
}

// String formats the warning with the settings spelt as command-line flags.
func (w Warning) String() string { return w.Describe(setting.Flag) }

// Describe formats the warning for a person, with its setting spelt by spell:
// "--include: pattern …", "file:line: message".
func (w Warning) Describe(spell setting.Speller) string {
	msg := w.Message
	if w.Setting != "" {
		msg = spell(w.Setting, "") + ": " + msg
	}
	switch {
	case w.File != "" && w.Line > 0:
		return w.File + ":" + strconv.Itoa(w.Line) + ": " + msg
	case w.File != "":
		return w.File + ": " + msg
	}
	return msg
}

// warner is what a Registry implements when it has warnings of its own (registry.Client:
// plain HTTP, a credential helper that is not installed).
type warner interface {
	Warnings() []string
}

// globWarnings says which include and exclude patterns did nothing.
func globWarnings(found *manifest.Result) []Warning {
	var out []Warning
	for _, p := range found.UnmatchedInclude {
		out = append(out, Warning{Setting: "include", Message: fmt.Sprintf("pattern %q matches no file, so nothing is read through it (a pattern without a slash matches the file name at any depth)", p)})
	}
	for _, p := range found.UnmatchedExclude {
		out = append(out, Warning{Setting: "exclude", Message: fmt.Sprintf("pattern %q leaves out no file", p)})
	}
	return out
}

// unusedCharts warns about each chart the run was limited to that no source uses: most
// likely a typo, which would otherwise promote nothing without a word. The suggestion
// comes from the charts the manifests do use; when discovery only parsed the files that
// mention the charts asked for, everything is discovered again to find them, which costs
// a parse of the tree only in this case of a mistake.
func unusedCharts(ctx context.Context, opts discoverOptions, only []string, found *manifest.Result) []Warning {
	used := chartsOf(found)
	var unused []string
	for _, c := range only {
		if !slices.Contains(used, c) {
			unused = append(unused, c)
		}
	}
	if len(unused) == 0 {
		return nil
	}
	known := used
	if len(opts.options.Mentioning) > 0 {
		all := opts.options
		all.Mentioning = nil
		if everything, err := manifest.Discover(ctx, opts.dir, all); err == nil {
			known = chartsOf(everything)
		}
	}
	var out []Warning
	for _, c := range unused {
		msg := "no source uses " + c
		if guess, ok := closestChart(c, known); ok {
			msg += "; did you mean " + guess + "?"
		} else {
			msg += fmt.Sprintf(": check the chart reference (the manifests use %d other OCI chart(s)), and the include and exclude patterns", len(known))
		}
		out = append(out, Warning{Chart: c, Setting: "chart", Message: msg})
	}
	return out
}

// discoverOptions are the arguments the plan gave manifest.Discover.
type discoverOptions struct {
	dir     string
	options manifest.Options
}

// closestChart suggests the chart repository meant: one a typo or two away, with the
// allowance measured on the chart's name, or else the only one with the same name (on
// another host or path).
func closestChart(chart string, known []string) (string, bool) {
	name := path.Base(chart)
	if guess, ok := suggest.Closest(chart, known); ok && suggest.Distance(chart, guess) <= max(2, len(name)/3) {
		return guess, true
	}
	var sameName []string
	for _, k := range known {
		if path.Base(k) == name {
			sameName = append(sameName, k)
		}
	}
	if len(sameName) == 1 {
		return sameName[0], true
	}
	return "", false
}

// chartsOf lists the charts a discovery found, sources and skipped alike, sorted.
func chartsOf(found *manifest.Result) []string {
	seen := map[string]bool{}
	for _, s := range found.Sources {
		seen[s.Chart] = true
	}
	for _, s := range found.Skipped {
		if s.Chart != "" {
			seen[s.Chart] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
