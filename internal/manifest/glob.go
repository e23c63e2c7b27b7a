package manifest

import (
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Glob is a compiled path pattern for --include and --exclude.
//
// Patterns match slash-separated paths relative to the scanned directory, with
// doublestar's syntax: '*' matches within one path segment, '**' matches any number of
// segments, '?' one character, '[…]' a class ('[!…]' or '[^…]' negated), '{a,b}' either
// alternative ("apps/{prod,staging}/*.yaml"), and '\' escapes the next character. A
// pattern without a slash matches the file name at any depth, the way .gitignore
// patterns do ("*.yaml", "kustomization.yml", "{app,values}.yaml").
type Glob struct {
	text    string // as given, for messages
	pattern string // as matched: trimmed, anchored or made to match at any depth
}

// CompileGlob compiles a pattern, with an error that shows the pattern when it is malformed.
func CompileGlob(pattern string) (*Glob, error) {
	p := strings.TrimPrefix(strings.TrimSpace(pattern), "./")
	if p == "" {
		return nil, fmt.Errorf("empty glob pattern")
	}
	if !strings.Contains(p, "/") {
		p = "**/" + p
	}
	if strings.HasSuffix(p, "/**") {
		// Everything below the directory, not the directory itself (which doublestar's
		// "dir/**" matches too): a file named "apps" is not under "apps/**".
		p += "/*"
	}
	if !doublestar.ValidatePattern(p) || strings.Contains(p, "[]") {
		return nil, fmt.Errorf("glob %q is malformed: check that every '[' and '{' is closed (write '\\[' for a literal one)", pattern)
	}
	return &Glob{text: pattern, pattern: p}, nil
}

// Match reports whether the relative slash path matches.
func (g *Glob) Match(relPath string) bool { return doublestar.MatchUnvalidated(g.pattern, relPath) }

// String returns the pattern as given.
func (g *Glob) String() string { return g.text }

// CompileGlobs compiles every pattern, stopping at the first bad one.
// An empty list compiles to nil, which Options reads as "the default".
func CompileGlobs(patterns []string) ([]*Glob, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	out := make([]*Glob, 0, len(patterns))
	for _, p := range patterns {
		g, err := CompileGlob(p)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

func matchAny(globs []*Glob, relPath string) bool {
	for _, g := range globs {
		if g.Match(relPath) {
			return true
		}
	}
	return false
}
