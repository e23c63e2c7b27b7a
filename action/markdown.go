package action

import (
	"fmt"
	"strings"
)

// maxRows caps every table and list of the step summary: GitHub refuses a summary over
// 1 MiB, and nobody reads row 501.
const maxRows = 500

// inlineEscaper backslash-escapes what would start emphasis, code, links, HTML, strike-
// through or a table cell boundary in inline Markdown. Block syntax (#, -, 1.) needs no
// escaping because text never starts a line here.
var inlineEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `>`, `\>`, `|`, `\|`, `~`, `\~`, `&`, `\&`,
	"\r\n", " ", "\n", " ", "\r", " ",
)

// text escapes s for use in inline Markdown, table cells included.
func text(s string) string { return inlineEscaper.Replace(s) }

// code renders s as a code span for a table cell, where GFM undoes the escaping of '|'
// even inside code spans.
func code(s string) string { return inlineCode(strings.ReplaceAll(s, "|", `\|`)) }

// inlineCode renders s as a code span outside tables, with a fence longer than any run of
// backticks inside.
func inlineCode(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	if s == "" {
		return ""
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// link renders a Markdown link to a URL the tool did not write (GitHub's), keeping the
// characters that would end the destination or a table cell out of it.
func link(label, url string) string {
	dest := strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "|", "%7C", "<", "%3C", ">", "%3E").Replace(url)
	return "[" + text(label) + "](" + dest + ")"
}

// table writes a GFM table of at most maxRows rows, then a line counting the rest.
type table struct {
	b      *strings.Builder
	header []string
	rows   int
	extra  int
}

func newTable(b *strings.Builder, header ...string) *table {
	return &table{b: b, header: header}
}

// row adds a row of cells already escaped with text, code or link.
func (t *table) row(cells ...string) {
	if t.rows == maxRows {
		t.extra++
		return
	}
	if t.rows == 0 {
		t.b.WriteString("| " + strings.Join(t.header, " | ") + " |\n")
		t.b.WriteString("|" + strings.Repeat(" --- |", len(t.header)) + "\n")
	}
	t.rows++
	for i, c := range cells {
		if c == "" {
			cells[i] = "—"
		}
	}
	t.b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

// end closes the table with a blank line, and says how many rows were left out.
func (t *table) end() {
	if t.rows == 0 {
		return
	}
	t.b.WriteString("\n")
	if t.extra > 0 {
		fmt.Fprintf(t.b, "…and %d more.\n\n", t.extra)
	}
}

// bullets writes a list of at most maxRows items, then a line counting the rest.
func bullets(b *strings.Builder, items []string) {
	for i, item := range items {
		if i == maxRows {
			fmt.Fprintf(b, "- …and %d more.\n", len(items)-maxRows)
			break
		}
		b.WriteString("- " + item + "\n")
	}
	if len(items) > 0 {
		b.WriteString("\n")
	}
}

// plural returns "1 change" or "2 changes".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
