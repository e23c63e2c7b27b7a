package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Error is one problem in a config file, placed precisely.
type Error struct {
	// File is the config file as found or given.
	File string
	// Pos is where the problem is; Line 0 when the file as a whole is at fault.
	Pos Pos
	// Path is the YAML path of the offending value ("rules[0].verify.providers[1]"), "" for
	// the document.
	Path string
	// Message says what is wrong and what was expected.
	Message string
}

// Error formats the problem as compilers do: "file:line:column: path: message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Pos.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Pos.Line))
		if e.Pos.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Pos.Column))
		}
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Errors are every problem found in a config file, in file order. Load returns them as
// one error; errors.As gives the list, for callers that place each one (annotations).
type Errors []*Error

// Error lists the problems, one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es Errors) sort() {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Pos.Line != es[j].Pos.Line {
			return es[i].Pos.Line < es[j].Pos.Line
		}
		return es[i].Pos.Column < es[j].Pos.Column
	})
}

// yamlPath spells an instance location the way the manifest paths in plans are spelled:
// rules[0].verify.providers[1].
func yamlPath(loc []string) string {
	var b strings.Builder
	for _, tok := range loc {
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// Suggest returns the known name closest to name, if it is close enough to be a typo, or "".
func Suggest(name string, known []string) string {
	best, bestDist := "", -1
	for _, k := range known {
		d := distance(strings.ToLower(name), strings.ToLower(k))
		if bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	// A third of the name's length, at least 1 and at most 3 edits: close enough that
	// "chartz" finds "charts" and "requried" "required", not so close that "ignore" finds
	// "verify".
	limit := min(max(len(name)/3, 1), 3)
	if best != "" && bestDist <= limit {
		return best
	}
	return ""
}

// didYouMean is suggest's answer as the end of a message, or "".
func didYouMean(name string, known []string) string {
	if s := Suggest(name, known); s != "" {
		return fmt.Sprintf(": did you mean %q?", s)
	}
	return ""
}

// distance is the optimal string alignment distance: the edits (insertions, deletions,
// substitutions, swaps of neighbours) that turn a into b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	switch len(q) {
	case 0:
		return ""
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
