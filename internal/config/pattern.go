package config

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
)

// PatternKind says what a rule's pattern is matched against.
type PatternKind int

const (
	// ChartPattern matches the normalised chart repository, host[:port]/path/name.
	ChartPattern PatternKind = iota
	// NamePattern matches an Application's name, or its ApplicationSet's.
	NamePattern
	// FilePattern matches the manifest's path relative to the scanned directory.
	FilePattern
)

// Pattern is one glob of a rule's charts or applications.
type Pattern struct {
	// Text is the pattern as written in the file.
	Text string
	// Pos is where it is written.
	Pos Pos
	// Kind says what it is matched against.
	Kind PatternKind

	// normalized is a chart pattern as it is matched (no oci://, host lower-cased).
	normalized string
	glob       *manifest.Glob
}

// globMeta finds the glob syntax in a chart pattern, so that the rest can be checked as a
// repository name.
var globMeta = regexp.MustCompile(`\*\*|\*|\?|\[[^\]]*\]`)

// compileChartPattern reads a charts item: a repository name or a glob of one, in any
// spelling NormalizeChart takes ("oci://GHCR.io/acme/charts/*" is "ghcr.io/acme/charts/*").
// '*' matches within one path segment and '**' across segments, as in --include.
func compileChartPattern(text string) (Pattern, error) {
	p := strings.TrimSpace(text)
	if len(p) >= len("oci://") && strings.EqualFold(p[:len("oci://")], "oci://") {
		p = p[len("oci://"):]
	}
	p = strings.TrimRight(p, "/")
	if host, rest, ok := strings.Cut(p, "/"); ok {
		p = strings.ToLower(host) + "/" + rest
	}
	if !strings.ContainsAny(p, "*?[") {
		norm, err := manifest.NormalizeChart(p)
		if err != nil {
			return Pattern{}, err
		}
		p = norm
	} else {
		if _, err := manifest.CompileGlob(p); err != nil {
			return Pattern{}, err
		}
		// With every wildcard read as a name, what is left must be a repository name: a glob
		// that no chart can match ("ghcr.io/Acme/*", "webapp*") is a mistake to report, not a
		// rule that silently does nothing.
		if _, err := manifest.NormalizeChart(globMeta.ReplaceAllString(p, "x")); err != nil {
			return Pattern{}, fmt.Errorf("chart glob %q cannot match a chart repository: write host[:port]/path/name with wildcards, e.g. ghcr.io/acme/charts/* or ghcr.io/acme/** (leave charts out to match every chart)", text)
		}
	}
	g, err := manifest.CompileGlob(p)
	if err != nil {
		return Pattern{}, err
	}
	return Pattern{Text: text, Kind: ChartPattern, normalized: p, glob: g}, nil
}

// compileApplicationPattern reads an applications item: a glob of a manifest's path when it
// contains '/' or ends in .yaml or .yml, else a glob of an Application's name.
func compileApplicationPattern(text string) (Pattern, error) {
	p := strings.TrimSpace(text)
	if strings.Contains(p, "/") || strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml") {
		g, err := manifest.CompileGlob(p)
		if err != nil {
			return Pattern{}, err
		}
		return Pattern{Text: text, Kind: FilePattern, glob: g}, nil
	}
	if _, err := path.Match(p, ""); err != nil {
		return Pattern{}, fmt.Errorf("application glob %q is malformed (an unclosed '[' or a trailing '\\')", text)
	}
	return Pattern{Text: text, Kind: NamePattern, normalized: p}, nil
}

// matches reports whether the pattern selects t.
func (p Pattern) matches(t Target) bool {
	switch p.Kind {
	case ChartPattern:
		return p.glob.Match(t.Chart)
	case FilePattern:
		return t.File != "" && p.glob.Match(t.File)
	}
	for _, name := range []string{t.Application, t.ApplicationSet} {
		if name == "" {
			continue
		}
		if ok, _ := path.Match(p.normalized, name); ok {
			return true
		}
	}
	return false
}

// String returns the pattern as written.
func (p Pattern) String() string { return p.Text }
