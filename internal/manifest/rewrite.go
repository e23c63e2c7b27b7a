package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Edit replaces one scalar value found by discovery.
type Edit struct {
	// Location is where the value is, as Discover reported it.
	Location Location
	// Old is the value expected there now; New is the value to write.
	Old, New string
	// Comment, when set, is the comment the value's line is to end with, without "# "
	// ("chart-promoter: version=1.4.2"). It replaces the line's comment when that is one
	// the tool wrote (it starts with OwnedCommentPrefix), or follows the value after a
	// space when the line has none; a comment of someone else's is never replaced.
	Comment string
	// DropComment removes the tool's own comment from the value's line (a digest pin
	// turned back into a tag); a comment of someone else's is never removed.
	DropComment bool
}

// OwnedCommentPrefix starts the trailing comments the tool writes and may rewrite.
const OwnedCommentPrefix = "# " + CommentMarker + " version="

// RefusedError says why a rewrite was not made. The file is then left untouched.
type RefusedError struct {
	Line   int
	Reason string
}

func (e *RefusedError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: refused to edit: %s", e.Line, e.Reason)
	}
	return "refused to edit: " + e.Reason
}

func refuse(line int, format string, args ...any) error {
	return &RefusedError{Line: line, Reason: fmt.Sprintf(format, args...)}
}

// safeValueRE is what a new value may contain: every character a version or tag can hold,
// none that YAML quoting would have to escape.
var safeValueRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._+-]*$`)

// digestRE and timestampRE are the two values with a ':' the tool writes: a manifest
// digest (a digest pin, Chart.lock's digest) and Chart.lock's generated time.
var (
	digestRE    = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	timestampRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`)
)

// safeValue reports whether v may be written as a value.
func safeValue(v string) bool {
	return safeValueRE.MatchString(v) || digestRE.MatchString(v) || timestampRE.MatchString(v)
}

// Rewrite applies edits to data and returns the new bytes. Only the bytes of each edited
// scalar change; quoting style, comments, line endings and every other byte stay as they
// were. The result is parsed again and compared with the original document tree: if
// anything but the edited values differs, or a value is not what the edit expected, the
// rewrite is refused with a *RefusedError and data is not changed.
func Rewrite(data []byte, edits []Edit) ([]byte, error) {
	result, unique, err := splice(data, edits)
	if err != nil || len(unique) == 0 {
		return result, err
	}
	if err := verify(data, result, unique); err != nil {
		return nil, err
	}
	return result, nil
}

// Splice is Rewrite without the final parse: it checks that each edit's bytes still spell
// the old value and replaces them. It is for previews (a plan of thousands of files),
// where the proof by parsing is left to the write that Rewrite guards.
func Splice(data []byte, edits []Edit) ([]byte, error) {
	result, _, err := splice(data, edits)
	return result, err
}

func splice(data []byte, edits []Edit) ([]byte, []Edit, error) {
	if len(edits) == 0 {
		return data, nil, nil
	}
	sorted := append([]Edit(nil), edits...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Location.Offset < sorted[j].Location.Offset })
	unique := sorted[:0]
	for i, e := range sorted {
		loc := e.Location
		if loc.Problem != "" {
			return nil, nil, refuse(loc.Line, "%s", loc.Problem)
		}
		if !safeValue(e.New) {
			return nil, nil, refuse(loc.Line, "new value %q holds characters a version cannot", e.New)
		}
		if strings.ContainsAny(e.Comment, "\r\n") {
			return nil, nil, refuse(loc.Line, "the new comment %q spans lines", e.Comment)
		}
		if i > 0 {
			prev := unique[len(unique)-1]
			if prev.Location.Offset == loc.Offset {
				if prev.New != e.New || prev.Old != e.Old || prev.Comment != e.Comment || prev.DropComment != e.DropComment {
					return nil, nil, refuse(loc.Line, "two edits of one value disagree (%q and %q)", prev.New, e.New)
				}
				continue
			}
			if prev.Location.Offset+prev.Location.Length > loc.Offset {
				return nil, nil, refuse(loc.Line, "edits overlap")
			}
		}
		unique = append(unique, e)
	}

	var out bytes.Buffer
	out.Grow(len(data) + 16*len(unique))
	last := 0
	for _, e := range unique {
		loc := e.Location
		if loc.Offset < last || loc.Offset+loc.Length > len(data) {
			return nil, nil, refuse(loc.Line, "the value's position lies outside the file")
		}
		length, quote, problem := scanScalar(data, loc.Offset, e.Old, styleOf(loc.Quote))
		if problem != "" || length != loc.Length || quote != loc.Quote {
			return nil, nil, refuse(loc.Line, "the file no longer holds %q at line %d, column %d", e.Old, loc.Line, loc.Column)
		}
		out.Write(data[last:loc.Offset])
		out.WriteString(token(e.New, loc.Quote))
		last = loc.Offset + loc.Length
		switch {
		case e.Comment != "":
			at, end, err := trailingComment(data, last, loc.Line)
			if err != nil {
				return nil, nil, err
			}
			out.Write(data[last:at])
			if at == end {
				out.WriteString(" ")
			}
			out.WriteString("# " + e.Comment)
			last = end
		case e.DropComment:
			at, end, err := trailingComment(data, last, loc.Line)
			if err != nil {
				return nil, nil, err
			}
			if at != end {
				last = end // the blanks before the comment go with it
			}
		}
	}
	out.Write(data[last:])
	return out.Bytes(), unique, nil
}

// trailingComment finds the comment after a value that ends at off: at is where the
// comment starts (after the blanks), end where the line ends. With no comment, at and end
// are both off: a new comment is written right after the value. It refuses a line whose
// comment the tool did not write, or where more YAML follows the value (a flow
// collection), after which a comment would swallow the rest of the line.
func trailingComment(data []byte, off, line int) (at, end int, err error) {
	end = off
	for end < len(data) && data[end] != '\n' && data[end] != '\r' {
		end++
	}
	rest := data[off:end]
	text := bytes.TrimLeft(rest, " \t")
	switch {
	case len(bytes.TrimSpace(rest)) == 0:
		return off, off, nil
	case text[0] != '#':
		return 0, 0, refuse(line, "more YAML follows the value on its line (a flow collection): the version comment cannot be written there; put the value on a line of its own")
	case !bytes.HasPrefix(text, []byte(OwnedCommentPrefix)):
		return 0, 0, refuse(line, "the line ends with a comment of its own (%s): move it to the line above, so that chart-promoter can write the version after the digest", bytes.TrimSpace(text))
	}
	return end - len(text), end, nil
}

func styleOf(quote byte) yaml.Style {
	switch quote {
	case '"':
		return yaml.DoubleQuotedStyle
	case '\'':
		return yaml.SingleQuotedStyle
	}
	return 0
}

// token spells value in the quoting style of the value it replaces. A plain value that
// YAML would read as something other than a string ("1.10" is a float) gets double
// quotes, because Argo CD needs a string there.
func token(value string, quote byte) string {
	if quote != 0 {
		return string(quote) + value + string(quote)
	}
	if !resolvesToString(value) {
		return `"` + value + `"`
	}
	return value
}

func resolvesToString(value string) bool {
	if isDottedNumbers(value) {
		return true // the shape of nearly every version written: no need to ask the parser
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("v: "+value), &n); err != nil || len(n.Content) == 0 {
		return false
	}
	m := n.Content[0]
	return len(m.Content) == 2 && m.Content[1].Kind == yaml.ScalarNode && m.Content[1].ShortTag() == "!!str" && m.Content[1].Value == value
}

// isDottedNumbers reports whether value is three or more runs of ASCII digits joined by
// single dots ("1.2.3", "2024.01.15.1"). YAML reads such a plain scalar as the string it
// is: with two dots or more it is no integer, float or timestamp in YAML 1.1 or 1.2.
func isDottedNumbers(value string) bool {
	dots, run := 0, 0
	for i := 0; i < len(value); i++ {
		switch c := value[i]; {
		case '0' <= c && c <= '9':
			run++
		case c == '.' && run > 0:
			dots, run = dots+1, 0
		default:
			return false
		}
	}
	return dots >= 2 && run > 0
}

// verify parses before and after and checks that the document trees differ in exactly
// the edited scalars, each from its Old to its New value.
func verify(before, after []byte, edits []Edit) error {
	oldDocs, err := parseAll(before)
	if err != nil {
		return refuse(0, "the original file does not parse: %v", err)
	}
	newDocs, err := parseAll(after)
	if err != nil {
		return refuse(0, "the edited file would not parse: %v", err)
	}
	if len(oldDocs) != len(newDocs) {
		return refuse(0, "the edit changed the number of YAML documents")
	}
	want := make(map[[2]int]Edit, len(edits))
	for _, e := range edits {
		want[[2]int{e.Location.Line, e.Location.Column}] = e
	}
	c := comparer{want: want, seen: map[[2]int]bool{}}
	for i := range oldDocs {
		if err := c.compare(oldDocs[i], newDocs[i], 0); err != nil {
			return err
		}
	}
	for pos, e := range want {
		if !c.seen[pos] {
			return refuse(e.Location.Line, "the edited bytes are not the value the parser sees at line %d, column %d", pos[0], pos[1])
		}
	}
	return nil
}

func parseAll(data []byte) ([]*yaml.Node, error) {
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, &doc)
	}
}

// maxCompareDepth guards the recursive comparison. The parser allows 10,000 flow levels
// inside 10,000 block levels, and every document it reads must be verifiable.
const maxCompareDepth = 2*10000 + 10

type comparer struct {
	want map[[2]int]Edit
	seen map[[2]int]bool
}

func (c *comparer) compare(a, b *yaml.Node, depth int) error {
	if depth > maxCompareDepth {
		return refuse(a.Line, "the document nests too deeply to verify")
	}
	pos := [2]int{a.Line, a.Column}
	if e, ok := c.want[pos]; ok && a.Kind == yaml.ScalarNode {
		if a.Value != e.Old || b.Kind != yaml.ScalarNode || b.Value != e.New || b.ShortTag() != "!!str" {
			return refuse(a.Line, "after the edit the value at line %d reads %q, not %q", a.Line, b.Value, e.New)
		}
		lineComment := a.LineComment
		switch {
		case e.Comment != "":
			lineComment = "# " + e.Comment
		case e.DropComment:
			lineComment = ""
		}
		if a.Anchor != b.Anchor || a.HeadComment != b.HeadComment || b.LineComment != lineComment || a.FootComment != b.FootComment {
			return refuse(a.Line, "the edit changed more than the value at line %d", a.Line)
		}
		c.seen[pos] = true
		return nil
	}
	if a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Value != b.Value || a.Anchor != b.Anchor ||
		a.HeadComment != b.HeadComment || a.LineComment != b.LineComment || a.FootComment != b.FootComment ||
		len(a.Content) != len(b.Content) {
		return refuse(a.Line, "the edit would change the document near line %d, not only the version", a.Line)
	}
	if a.Kind == yaml.AliasNode {
		return nil // the anchor it names is compared where it stands
	}
	for i := range a.Content {
		if err := c.compare(a.Content[i], b.Content[i], depth+1); err != nil {
			return err
		}
	}
	return nil
}
