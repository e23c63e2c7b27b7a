package manifest

import (
	"bytes"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// utf8BOM is stripped by the YAML reader before positions are counted.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// lineIndex turns the parser's (line, column) positions into byte offsets.
//
// go.yaml.in/yaml/v3 counts columns in characters, not bytes, skips a leading BOM before
// counting, and breaks lines at CR, LF, CRLF, NEL, LS and PS. The index mirrors exactly
// that; any disagreement is caught later because the bytes found must spell the value.
type lineIndex struct {
	data   []byte
	starts []int // byte offset where each line begins; starts[0] is line 1
	// last is the position offset found last. Values are located in file order, so the
	// next one usually lies further on the same line: counting on from there keeps a file
	// written on one long line linear, where counting from the line's start was quadratic.
	lastLine, lastColumn, lastOffset int
}

func newLineIndex(data []byte) *lineIndex {
	start := 0
	if bytes.HasPrefix(data, utf8BOM) {
		start = len(utf8BOM)
	}
	starts := []int{start}
	for i := start; i < len(data); {
		switch {
		case data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n':
			i += 2
		case data[i] == '\r' || data[i] == '\n':
			i++
		case data[i] == 0xC2 && i+1 < len(data) && data[i+1] == 0x85:
			i += 2
		case data[i] == 0xE2 && i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xA8 || data[i+2] == 0xA9):
			i += 3
		default:
			i++
			continue
		}
		starts = append(starts, i)
	}
	return &lineIndex{data: data, starts: starts}
}

// offset returns the byte offset of a 1-based line and character column.
func (ix *lineIndex) offset(line, column int) (int, bool) {
	if line < 1 || line > len(ix.starts) || column < 1 {
		return 0, false
	}
	off, c := ix.starts[line-1], 1
	if line == ix.lastLine && column >= ix.lastColumn {
		off, c = ix.lastOffset, ix.lastColumn
	}
	for ; c < column; c++ {
		if off >= len(ix.data) {
			return 0, false
		}
		_, size := utf8.DecodeRune(ix.data[off:])
		off += size
	}
	ix.lastLine, ix.lastColumn, ix.lastOffset = line, column, off
	return off, true
}

// locate finds the bytes of scalar node n and says whether they can be edited.
func (ix *lineIndex) locate(n *yaml.Node, path string) Location {
	loc := Location{Line: n.Line, Column: n.Column, Path: path}
	switch {
	case n.Kind == yaml.AliasNode:
		loc.Problem = "the value is an alias (*" + n.Value + "): edit the anchor it points to by hand"
		return loc
	case n.Kind != yaml.ScalarNode:
		loc.Problem = "the value is not a scalar"
		return loc
	case n.Anchor != "":
		loc.Problem = "the value carries an anchor (&" + n.Anchor + ") that other places may alias: edit it by hand"
		return loc
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		loc.Problem = "the value is a block scalar"
		return loc
	case n.Style&yaml.TaggedStyle != 0:
		loc.Problem = "the value carries an explicit tag (" + n.Tag + ")"
		return loc
	}
	off, ok := ix.offset(n.Line, n.Column)
	if !ok {
		loc.Problem = "the value's position could not be found in the file"
		return loc
	}
	length, quote, problem := scanScalar(ix.data, off, n.Value, n.Style)
	loc.Offset, loc.Length, loc.Quote, loc.Problem = off, length, quote, problem
	return loc
}

// scanScalar measures the single-line flow scalar starting at off and checks that its
// bytes spell value. It returns the token length (quotes included) and its quote.
func scanScalar(data []byte, off int, value string, style yaml.Style) (length int, quote byte, problem string) {
	if off >= len(data) {
		return 0, 0, "the value lies past the end of the file"
	}
	switch {
	case style&yaml.DoubleQuotedStyle != 0:
		if data[off] != '"' {
			return 0, 0, "the value's opening quote is not where the parser saw it"
		}
		for i := off + 1; i < len(data); i++ {
			switch data[i] {
			case '\\':
				return 0, 0, "the value uses an escape sequence"
			case '\r', '\n':
				return 0, 0, "the value spans lines"
			case '"':
				if string(data[off+1:i]) != value {
					return 0, 0, "the bytes in the file do not spell the parsed value"
				}
				return i + 1 - off, '"', ""
			}
		}
		return 0, 0, "the value's closing quote is missing"
	case style&yaml.SingleQuotedStyle != 0:
		if data[off] != '\'' {
			return 0, 0, "the value's opening quote is not where the parser saw it"
		}
		for i := off + 1; i < len(data); i++ {
			switch data[i] {
			case '\r', '\n':
				return 0, 0, "the value spans lines"
			case '\'':
				if i+1 < len(data) && data[i+1] == '\'' {
					return 0, 0, "the value contains an escaped quote"
				}
				if string(data[off+1:i]) != value {
					return 0, 0, "the bytes in the file do not spell the parsed value"
				}
				return i + 1 - off, '\'', ""
			}
		}
		return 0, 0, "the value's closing quote is missing"
	default:
		end := off + len(value)
		if value == "" || end > len(data) || string(data[off:end]) != value {
			return 0, 0, "the bytes in the file do not spell the parsed value"
		}
		if end < len(data) {
			switch c, _ := utf8.DecodeRune(data[end:]); c {
			case ' ', '\t', '\r', '\n', ',', ']', '}', '\u0085', '\u2028', '\u2029':
				// NEL, LS and PS end a line for the parser as for newLineIndex.
			default:
				return 0, 0, "the value does not end where the parser saw it end"
			}
		}
		return len(value), 0, ""
	}
}
