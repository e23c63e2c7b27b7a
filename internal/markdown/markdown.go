// Package markdown writes GitHub-flavoured Markdown from text the tool did not write:
// chart descriptions and changelogs from a registry, resources rendered from a chart.
// Such text must read as text: no live links, no @mentions that notify people, no
// #references that cross-link issues, no HTML, and no way out of a table cell or a
// code block.
package markdown

import (
	"strings"
	"unicode/utf8"
)

// zwsp (U+200B, ZERO WIDTH SPACE) is invisible when rendered. Placed after '@' or '#' it
// stops GitHub from reading a mention or an issue reference, and inside "://" or "www."
// it stops GFM's autolinking, while the text still reads the same.
const zwsp = "\u200b"

// inline backslash-escapes every character that starts Markdown inline syntax (emphasis,
// code, links, images, HTML, entities, strikethrough, table cells) and folds line breaks,
// so text never starts a block.
var inline = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `(`, `\(`, `)`, `\)`,
	`<`, `\<`, `>`, `\>`, `|`, `\|`, `~`, `\~`, `&`, `\&`, `!`, `\!`,
	"@", "@"+zwsp, "#", "#"+zwsp,
	"://", ":"+zwsp+"//", "www.", "www"+zwsp+".",
	"\r\n", " ", "\n", " ", "\r", " ",
)

// Text makes s inert inside a paragraph, a list item or a table cell.
func Text(s string) string { return inline.Replace(s) }

// Truncate cuts s to at most limit bytes on a character boundary, adding "…" when it cut.
func Truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Code renders s as an inline code span: a fence longer than any run of backticks in s,
// line breaks folded, and '|' escaped, which GFM undoes inside code in table cells too.
// Mentions, links and HTML are not interpreted inside code.
func Code(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "|", `\|`).Replace(s)
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// Block renders body as a fenced code block with info string lang ("diff", "yaml"). The
// fence is longer than any run of backticks in body, so no line of it can close the
// block early; nothing inside a code block is interpreted.
func Block(lang, body string) string {
	fence := strings.Repeat("`", max(3, longestRun(body, '`')+1))
	body = strings.TrimSuffix(body, "\n")
	return fence + lang + "\n" + body + "\n" + fence + "\n"
}

// Details wraps content, already Markdown, in a collapsed <details> element whose
// summary is plain text (it is escaped here).
func Details(summary, content string) string {
	var b strings.Builder
	b.WriteString("<details><summary>")
	b.WriteString(HTML(summary))
	b.WriteString("</summary>\n\n")
	b.WriteString(content)
	if !strings.HasSuffix(content, "\n") {
		b.WriteString("\n")
	}
	b.WriteString("\n</details>\n")
	return b.String()
}

// html escapes text for an HTML element's content, where Markdown is not interpreted
// but mentions and autolinks still are.
var html = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;",
	"@", "@"+zwsp, "#", "#"+zwsp, "://", ":"+zwsp+"//", "www.", "www"+zwsp+".",
	"\r\n", " ", "\n", " ", "\r", " ",
)

// HTML makes s inert as the content of an HTML element such as <summary>.
func HTML(s string) string { return html.Replace(s) }

// Link renders a link whose label is untrusted text and whose destination the tool
// built itself (a registry page, a GitHub release it checked): only https URLs are
// linked, with the characters that would end the destination percent-encoded; anything
// else is shown as text.
func Link(label, url string) string {
	if !strings.HasPrefix(url, "https://") {
		return Text(label)
	}
	dest := strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "|", "%7C", "<", "%3C", ">", "%3E", "\n", "", "\r", "").Replace(url)
	return "[" + Text(label) + "](" + dest + ")"
}

func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
