package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
)

// tree is a config file as JSON-like values (what the schema validator takes), with the
// place of every value and every mapping key, by instance location.
type tree struct {
	value any
	// values and keys map a location (tokens joined by locSep) to the value's node and,
	// for a mapping entry, its key's node.
	values map[string]*yaml.Node
	keys   map[string]*yaml.Node
	// budget is how many more values convert may produce: aliases of aliases can make a
	// small file stand for billions of values.
	budget int
}

// locSep joins the tokens of an instance location; it cannot occur in a YAML key a person
// types.
const locSep = "\x00"

func locKey(loc []string) string { return strings.Join(loc, locSep) }

// posOf returns where the value at loc is written; for a location that does not exist
// (a missing key), where its closest existing parent is.
func (t *tree) posOf(loc []string) Pos {
	for i := len(loc); i >= 0; i-- {
		if n := t.values[locKey(loc[:i])]; n != nil {
			return Pos{Line: n.Line, Column: n.Column}
		}
	}
	return Pos{Line: 1, Column: 1}
}

// keyPosOf returns where the key of the mapping entry at loc is written.
func (t *tree) keyPosOf(loc []string) Pos {
	if n := t.keys[locKey(loc)]; n != nil {
		return Pos{Line: n.Line, Column: n.Column}
	}
	return t.posOf(loc)
}

// readTree parses data as one YAML document. YAML's own errors, duplicate keys and merge
// keys are reported with their line.
func readTree(file string, data []byte) (*tree, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		return &tree{value: map[string]any{}}, nil // an empty file: no rules
	}
	if err != nil {
		line, msg := manifest.YAMLErrorLine(data, err)
		return nil, Errors{{File: file, Pos: Pos{Line: line}, Message: "not valid YAML: " + msg}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Errors{{File: file, Pos: Pos{Line: extra.Line, Column: extra.Column}, Message: "a second YAML document: " + FileName + " holds one document; remove the '---' and what follows, or merge the rules"}}
	} else if !errors.Is(err, io.EOF) {
		line, msg := manifest.YAMLErrorLine(data, err)
		return nil, Errors{{File: file, Pos: Pos{Line: line}, Message: "not valid YAML: " + msg}}
	}
	t := &tree{values: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}, budget: maxValues}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return &tree{value: map[string]any{}, values: t.values, keys: t.keys}, nil // only comments
	}
	var errs Errors
	t.value = t.convert(file, root, nil, &errs, 0)
	if len(errs) > 0 {
		return nil, errs
	}
	return t, nil
}

// maxValues bounds the values a config file may stand for, aliases expanded.
const maxValues = 100_000

// maxDepth bounds the nesting convert follows: a config is a few levels deep, and a
// hostile file of aliases must not take the loader down.
const maxDepth = 32

func (t *tree) convert(file string, n *yaml.Node, loc []string, errs *Errors, depth int) any {
	at := Pos{Line: n.Line, Column: n.Column}
	if depth > maxDepth {
		*errs = append(*errs, &Error{File: file, Pos: at, Path: yamlPath(loc), Message: "nested too deeply (or through aliases that refer to each other)"})
		return nil
	}
	if t.budget--; t.budget < 0 {
		if t.budget == -1 {
			*errs = append(*errs, &Error{File: file, Pos: at, Path: yamlPath(loc), Message: fmt.Sprintf("stands for more than %d values (aliases of aliases?): a config file is a few rules", maxValues)})
		}
		return nil
	}
	t.values[locKey(loc)] = n
	switch n.Kind {
	case yaml.AliasNode:
		return t.convert(file, n.Alias, loc, errs, depth+1)
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		first := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				*errs = append(*errs, &Error{File: file, Pos: Pos{Line: k.Line, Column: k.Column}, Path: yamlPath(loc), Message: "a key must be a plain name, not a " + kindName(k)})
				continue
			}
			if k.Value == "<<" && k.ShortTag() == "!!merge" {
				*errs = append(*errs, &Error{File: file, Pos: Pos{Line: k.Line, Column: k.Column}, Path: yamlPath(loc), Message: "merge keys (<<) are not supported: write the keys out, or repeat the rule"})
				continue
			}
			if prev := first[k.Value]; prev != nil {
				*errs = append(*errs, &Error{File: file, Pos: Pos{Line: k.Line, Column: k.Column}, Path: yamlPath(loc), Message: "key " + strconv.Quote(k.Value) + " appears twice in one mapping (first at line " + strconv.Itoa(prev.Line) + "): keep one"})
				continue
			}
			first[k.Value] = k
			child := append(append([]string(nil), loc...), k.Value)
			t.keys[locKey(child)] = k
			out[k.Value] = t.convert(file, v, child, errs, depth+1)
		}
		return out
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			child := append(append([]string(nil), loc...), strconv.Itoa(i))
			out = append(out, t.convert(file, item, child, errs, depth+1))
		}
		return out
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil
		case "!!bool":
			var b bool
			if n.Decode(&b) == nil {
				return b
			}
		case "!!int":
			var i int64
			if n.Decode(&i) == nil {
				return i
			}
		case "!!float":
			var f float64
			if n.Decode(&f) == nil {
				return f
			}
		}
		return n.Value // strings, and timestamps or binaries, which no field takes
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "value"
}
