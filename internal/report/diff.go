package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/promote"
)

// contextLines is how many unchanged lines surround each change, as in `git diff`.
const contextLines = 3

// UnifiedDiff writes a unified diff of one file. The rewrite never adds or removes a
// line, so old and new lines correspond one to one and the diff is exact without a
// general diff algorithm.
func UnifiedDiff(w io.Writer, name string, before, after []byte, color bool) error {
	oldLines, newLines := splitLines(before), splitLines(after)
	if len(oldLines) != len(newLines) {
		return fmt.Errorf("%s: the edit changed the number of lines", name)
	}
	var changed []int
	for i := range oldLines {
		if oldLines[i] != newLines[i] {
			changed = append(changed, i)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	p := painter{color}
	fmt.Fprintln(w, p.bold("--- a/"+name))
	fmt.Fprintln(w, p.bold("+++ b/"+name))
	for start := 0; start < len(changed); {
		// Extend the hunk while the next change lies within reach of its context.
		end := start
		for end+1 < len(changed) && changed[end+1]-changed[end] <= 2*contextLines {
			end++
		}
		from := max(changed[start]-contextLines, 0)
		to := min(changed[end]+contextLines, len(oldLines)-1)
		n := to - from + 1
		fmt.Fprintln(w, p.cyan(fmt.Sprintf("@@ -%d,%d +%d,%d @@", from+1, n, from+1, n)))
		for i := from; i <= to; i++ {
			if oldLines[i] == newLines[i] {
				fmt.Fprintln(w, " "+oldLines[i])
				continue
			}
			fmt.Fprintln(w, p.red("-"+oldLines[i]))
			fmt.Fprintln(w, p.green("+"+newLines[i]))
		}
		start = end + 1
	}
	return nil
}

// BinaryDiff writes a vendored archive the plan adds or removes as git diff writes a
// binary file: "Binary files /dev/null and b/NAME differ".
func BinaryDiff(w io.Writer, a promote.ArchiveFile, color bool) {
	p := painter{color}
	from, to := "/dev/null", "b/"+a.File
	if a.Removed() {
		from, to = "a/"+a.File, "/dev/null"
	}
	fmt.Fprintln(w, p.bold("--- "+from))
	fmt.Fprintln(w, p.bold("+++ "+to))
	fmt.Fprintf(w, "Binary files %s and %s differ\n", from, to)
}

// splitLines splits on LF and drops a CR before it, so CRLF files diff like LF files.
func splitLines(b []byte) []string {
	b = bytes.TrimSuffix(b, []byte("\n"))
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// painter adds ANSI colours when the output is a terminal.
type painter struct{ on bool }

func (p painter) paint(code, s string) string {
	if !p.on {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p painter) bold(s string) string  { return p.paint("1", s) }
func (p painter) red(s string) string   { return p.paint("31", s) }
func (p painter) green(s string) string { return p.paint("32", s) }
func (p painter) cyan(s string) string  { return p.paint("36", s) }
func (p painter) dim(s string) string   { return p.paint("2", s) }
func (p painter) yellow(s string) string {
	return p.paint("33", s)
}
