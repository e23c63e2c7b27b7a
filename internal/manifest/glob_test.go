package manifest

import (
	"strings"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		match   []string
		noMatch []string
	}{
		{
			name:    "a pattern without a slash matches the file name at any depth",
			pattern: "*.yaml",
			match:   []string{"app.yaml", "apps/app.yaml", "a/b/c/app.yaml"},
			noMatch: []string{"app.yml", "app.yaml.txt", "apps.yaml/readme"},
		},
		{
			name:    "a pattern with a slash is anchored at the scanned directory",
			pattern: "apps/*.yaml",
			match:   []string{"apps/web.yaml"},
			noMatch: []string{"apps/prod/web.yaml", "other/apps/web.yaml", "web.yaml"},
		},
		{
			name:    "a leading ./ is the scanned directory",
			pattern: "./apps/*.yaml",
			match:   []string{"apps/web.yaml"},
			noMatch: []string{"./apps/web.yaml"},
		},
		{
			name:    "a single star does not cross directories",
			pattern: "apps/*",
			match:   []string{"apps/web.yaml", "apps/.hidden"},
			noMatch: []string{"apps/prod/web.yaml", "apps"},
		},
		{
			name:    "a double star between slashes matches zero or more directories",
			pattern: "apps/**/web.yaml",
			match:   []string{"apps/web.yaml", "apps/prod/web.yaml", "apps/prod/eu/web.yaml"},
			noMatch: []string{"apps/prod/api.yaml", "appsweb.yaml", "other/apps/web.yaml"},
		},
		{
			name:    "a trailing double star matches everything below",
			pattern: "apps/**",
			match:   []string{"apps/web.yaml", "apps/prod/eu/web.yaml"},
			noMatch: []string{"apps", "other/web.yaml"},
		},
		{
			name:    "a leading double star matches any directory prefix",
			pattern: "**/staging/**",
			match:   []string{"staging/web.yaml", "apps/staging/web.yaml", "a/b/staging/c/d.yaml"},
			noMatch: []string{"apps/staging-eu/web.yaml", "staging.yaml"},
		},
		{
			name:    "a question mark matches one character but not a slash",
			pattern: "app?.yaml",
			match:   []string{"app1.yaml", "dir/appX.yaml"},
			noMatch: []string{"app.yaml", "app12.yaml", "app/.yaml"},
		},
		{
			name:    "a character class matches one of its characters",
			pattern: "env-[abc].yaml",
			match:   []string{"env-a.yaml", "x/env-c.yaml"},
			noMatch: []string{"env-d.yaml", "env-ab.yaml"},
		},
		{
			name:    "a negated character class matches anything else",
			pattern: "env-[!a].yaml",
			match:   []string{"env-b.yaml"},
			noMatch: []string{"env-a.yaml"},
		},
		{
			name:    "regular expression characters in a pattern are literal",
			pattern: "values(prod)+.yaml",
			match:   []string{"values(prod)+.yaml"},
			noMatch: []string{"valuesprod.yaml", "values(prod)+xyaml"},
		},
		{
			name:    "braces match any one of their alternatives",
			pattern: "apps/{a,b}.yaml",
			match:   []string{"apps/a.yaml", "apps/b.yaml"},
			noMatch: []string{"apps/c.yaml", "apps/{a,b}.yaml", "x/apps/a.yaml"},
		},
		{
			name:    "braces without a slash still match the file name at any depth",
			pattern: "{webapp,api}.yaml",
			match:   []string{"webapp.yaml", "apps/prod/api.yaml"},
			noMatch: []string{"apps/redis.yaml"},
		},
		{
			name:    "braces may hold directories",
			pattern: "apps/{production,staging}/**",
			match:   []string{"apps/production/web.yaml", "apps/staging/eu/web.yaml"},
			noMatch: []string{"apps/dev/web.yaml", "apps/production"},
		},
		{
			name:    "a backslash makes a special character literal",
			pattern: `apps/\[draft\].yaml`,
			match:   []string{"apps/[draft].yaml"},
			noMatch: []string{"apps/d.yaml"},
		},
		{
			name:    "non-ASCII names match literally",
			pattern: "déploiement/*.yaml",
			match:   []string{"déploiement/app.yaml"},
			noMatch: []string{"deploiement/app.yaml"},
		},
		{
			name:    "surrounding spaces are trimmed",
			pattern: "  *.yml  ",
			match:   []string{"app.yml"},
			noMatch: []string{"app.yaml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := CompileGlob(tt.pattern)
			if err != nil {
				t.Fatalf("CompileGlob(%q): %v", tt.pattern, err)
			}
			if g.String() != tt.pattern {
				t.Errorf("String() = %q, want the pattern as given %q", g.String(), tt.pattern)
			}
			for _, p := range tt.match {
				if !g.Match(p) {
					t.Errorf("%q does not match %q, want a match", tt.pattern, p)
				}
			}
			for _, p := range tt.noMatch {
				if g.Match(p) {
					t.Errorf("%q matches %q, want none", tt.pattern, p)
				}
			}
		})
	}
}

func TestCompileGlobRejectsMalformedPatterns(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
	}{
		{name: "an empty pattern", pattern: ""},
		{name: "a pattern of spaces", pattern: "   "},
		{name: "an unclosed class", pattern: "env-[ab.yaml"},
		{name: "an empty class", pattern: "env-[].yaml"},
		{name: "an unclosed brace", pattern: "apps/{a,b.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if g, err := CompileGlob(tt.pattern); err == nil {
				t.Fatalf("CompileGlob(%q) = %v, want an error", tt.pattern, g)
			}
		})
	}
}

func TestCompileGlobsStopsAtTheFirstBadPattern(t *testing.T) {
	globs, err := CompileGlobs([]string{"*.yaml", "[", "*.yml"})
	if err == nil || globs != nil {
		t.Fatalf("CompileGlobs = %v, %v; want nil and an error", globs, err)
	}
	if !strings.Contains(err.Error(), `"["`) {
		t.Errorf("error %q does not show the bad pattern", err)
	}
	globs, err = CompileGlobs(DefaultInclude)
	if err != nil || len(globs) != len(DefaultInclude) {
		t.Fatalf("CompileGlobs(DefaultInclude) = %v, %v", globs, err)
	}
}
