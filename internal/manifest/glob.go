package manifest

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Glob is a compiled path pattern for --include and --exclude.
//
// Patterns match slash-separated paths relative to the scanned directory: '*' matches
// within one path segment, '**' matches any number of segments, '?' one character,
// '[…]' a class. A pattern without a slash matches the file name at any depth, the way
// .gitignore patterns do ("*.yaml", "kustomization.yml").
type Glob struct {
	text string
	re   *regexp.Regexp
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
	var b strings.Builder
	// (?s): a file or directory name may hold a newline, which "." must match too.
	b.WriteString("(?s)^")
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch c {
		case '*':
			if i+1 < len(p) && p[i+1] == '*' {
				i++
				if i+1 < len(p) && p[i+1] == '/' {
					i++
					b.WriteString("(?:.*/)?") // "**/" matches zero or more whole segments
				} else {
					b.WriteString(".*")
				}
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '[':
			end := strings.IndexByte(p[i+1:], ']')
			if end < 0 {
				return nil, fmt.Errorf("glob %q: unclosed '['", pattern)
			}
			class := p[i+1 : i+1+end]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += end + 1
		default:
			r, size := utf8.DecodeRuneInString(p[i:])
			b.WriteString(regexp.QuoteMeta(string(r)))
			i += size - 1
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("glob %q: %v", pattern, err)
	}
	return &Glob{text: pattern, re: re}, nil
}

// Match reports whether the relative slash path matches.
func (g *Glob) Match(relPath string) bool { return g.re.MatchString(relPath) }

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
