package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// contextLines is how many unchanged lines surround a change, as in git diff.
const contextLines = 3

// diffTimeout bounds the line diff of one resource: past it the diff is still correct,
// only less minimal.
const diffTimeout = 2 * time.Second

// op is one line of a line diff.
type op struct {
	kind byte // ' ', '-' or '+'
	text string
}

// lineDiff compares two texts line by line.
func lineDiff(before, after string) []op {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = diffTimeout
	a, b, lines := dmp.DiffLinesToChars(before, after)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(a, b, false), lines)
	var ops []op
	for _, d := range diffs {
		kind := byte(' ')
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			kind = '-'
		case diffmatchpatch.DiffInsert:
			kind = '+'
		}
		for _, l := range splitLines(d.Text) {
			ops = append(ops, op{kind, l})
		}
	}
	return ops
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// unified writes a unified diff of before and after under the file names from and to,
// and counts the lines added and removed. Equal texts write nothing.
func unified(b *strings.Builder, from, to, before, after string) (added, removed int) {
	ops := lineDiff(before, after)
	var changed []int
	for i, o := range ops {
		switch o.kind {
		case '+':
			added++
			changed = append(changed, i)
		case '-':
			removed++
			changed = append(changed, i)
		}
	}
	if len(changed) == 0 {
		return 0, 0
	}
	fmt.Fprintf(b, "--- %s\n+++ %s\n", from, to)
	// oldLine and newLine are the 1-based line numbers each op starts at.
	oldLine, newLine := make([]int, len(ops)+1), make([]int, len(ops)+1)
	oldLine[0], newLine[0] = 1, 1
	for i, o := range ops {
		oldLine[i+1], newLine[i+1] = oldLine[i], newLine[i]
		if o.kind != '+' {
			oldLine[i+1]++
		}
		if o.kind != '-' {
			newLine[i+1]++
		}
	}
	for start := 0; start < len(changed); {
		end := start
		for end+1 < len(changed) && changed[end+1]-changed[end] <= 2*contextLines {
			end++
		}
		first := max(changed[start]-contextLines, 0)
		last := min(changed[end]+contextLines, len(ops)-1)
		oldCount, newCount := oldLine[last+1]-oldLine[first], newLine[last+1]-newLine[first]
		fmt.Fprintf(b, "@@ -%s +%s @@\n", hunkRange(oldLine[first], oldCount), hunkRange(newLine[first], newCount))
		for i := first; i <= last; i++ {
			b.WriteByte(ops[i].kind)
			b.WriteString(ops[i].text)
			b.WriteByte('\n')
		}
		start = end + 1
	}
	return added, removed
}

// hunkRange formats "start,count" as diff does: an empty side starts one line earlier.
func hunkRange(start, count int) string {
	if count == 0 {
		return fmt.Sprintf("%d,0", start-1)
	}
	if count == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, count)
}
