package markdown

import (
	"regexp"
	"strings"
	"testing"
)

// live finds what GitHub would turn into a link, a mention, a reference or HTML: an
// unescaped bracket or angle bracket, '@' or '#' directly followed by a word character,
// a scheme's "://", or "www.".
var live = regexp.MustCompile(`(^|[^\\])[\[\]<>]|[@#][A-Za-z0-9]|://|www\.`)

func TestTextLeavesNothingLive(t *testing.T) {
	tests := []struct{ name, in string }{
		{"a Markdown link", "see [the docs](https://evil.example/phish)"},
		{"an image", "![x](https://evil.example/pixel.png)"},
		{"raw HTML", `<img src="https://evil.example/x.png"><script>alert(1)</script>`},
		{"a mention", "thanks @octocat and @acme/security"},
		{"an issue reference", "fixes #12 and acme/webapp#3"},
		{"a bare URL", "download from https://evil.example/get"},
		{"a www autolink", "visit www.evil.example today"},
		{"an email autolink", "mail admin@evil.example"},
		{"a reference-style link", "[docs][1]\n\n[1]: https://evil.example"},
		{"an autolink in angle brackets", "<https://evil.example>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Text(tt.in)
			if m := live.FindString(got); m != "" {
				t.Errorf("Text(%q) = %q: %q is still live", tt.in, got, m)
			}
			if strings.ContainsAny(got, "\r\n") {
				t.Errorf("Text(%q) = %q: a line break could start a block", tt.in, got)
			}
			if visible := strings.NewReplacer(zwsp, "", `\`, "").Replace(got); visible != strings.NewReplacer("\r\n", " ", "\n", " ", `\`, "").Replace(tt.in) {
				t.Errorf("Text(%q) reads %q, want the same text", tt.in, visible)
			}
		})
	}
}

func TestCodeCannotBeClosedFromInside(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text", "1.2.3", "`1.2.3`"},
		{"a backtick inside", "a`b", "``a`b``"},
		{"a backtick at the edge", "`x", "`` `x ``"},
		{"a pipe, in a table cell", "a|b", "`a\\|b`"},
		{"a line break", "a\nb", "`a b`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Code(tt.in); got != tt.want {
				t.Errorf("Code(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestBlockFenceOutlastsEveryLine(t *testing.T) {
	body := "+ ```\n+ ````\n- </details>\n"
	got := Block("diff", body)
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	open, close := lines[0], lines[len(lines)-1]
	if open != "`````diff" || close != "`````" {
		t.Fatalf("Block fences are %q and %q, want five backticks (one more than the longest run inside)", open, close)
	}
	for _, l := range lines[1 : len(lines)-1] {
		if strings.HasPrefix(strings.TrimSpace(l), close) {
			t.Errorf("line %q would close the block", l)
		}
	}
}

func TestDetailsEscapesItsSummary(t *testing.T) {
	got := Details(`<b>x</b> & @team`, "body")
	if !strings.HasPrefix(got, "<details><summary>&lt;b&gt;x&lt;/b&gt; &amp; @"+zwsp+"team</summary>\n\n") {
		t.Errorf("Details summary not escaped: %q", got)
	}
	if !strings.HasSuffix(got, "body\n\n</details>\n") {
		t.Errorf("Details does not close after its content: %q", got)
	}
}

func TestLinkOnlyLinksHTTPS(t *testing.T) {
	tests := []struct{ name, label, url, want string }{
		{"an https release page", "v1.3.0", "https://github.com/acme/webapp/releases/tag/v1.3.0", "[v1.3.0](https://github.com/acme/webapp/releases/tag/v1.3.0)"},
		{"a destination that would end early", "x", "https://h/a)b c", "[x](https://h/a%29b%20c)"},
		{"javascript", "x", "javascript:alert(1)", "x"},
		{"plain http", "x", "http://h/", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Link(tt.label, tt.url); got != tt.want {
				t.Errorf("Link(%q, %q) = %q, want %q", tt.label, tt.url, got, tt.want)
			}
		})
	}
}

func TestTruncateKeepsCharactersWhole(t *testing.T) {
	if got := Truncate("héllo", 2); got != "h…" {
		t.Errorf("Truncate cut inside a character: %q", got)
	}
	if got := Truncate("short", 10); got != "short" {
		t.Errorf("Truncate changed a short string: %q", got)
	}
}
