// Package tmpl executes templates written in Go's text/template syntax over plain data:
// maps with string keys, slices, strings, integers and booleans.
//
// It exists for the size of the binary. text/template looks methods up by name at run
// time (reflect's MethodByName), which makes the linker keep every exported method of
// every type the program can reach; for chart-promoter that is some 12 MB more to pull
// on every Action run. This package parses with text/template/parse, so the syntax and
// its errors are Go's, and evaluates the parse tree itself, without reflection.
//
// Supported: {{ .Field.Sub }}, variables ($, $x := …, range $i, $v := …), if/else if/else,
// range (with else, break and continue), with, comments, pipelines (a | b), and the
// functions and, or, not, eq, ne, lt, le, gt, ge, len, index, slice, print, printf,
// println, plus join, lower, upper and trim. A missing field is an error, as with
// Option("missingkey=error"). {{ template }} and {{ define }} are refused when parsing.
package tmpl

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/template/parse"
)

// Template is a parsed template.
type Template struct {
	name, text string
	tree       *parse.Tree
	root       *parse.ListNode
}

// funcs are the names Parse accepts as functions; the values are only there for the
// parser, which checks that a name is defined.
var funcs = map[string]any{
	"and": true, "or": true, "not": true, "eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true,
	"len": true, "index": true, "slice": true, "print": true, "printf": true, "println": true,
	"join": true, "lower": true, "upper": true, "trim": true,
}

// Parse parses text, named name in errors.
func Parse(name, text string) (*Template, error) {
	trees, err := parse.Parse(name, text, "", "", funcs)
	if err != nil {
		return nil, err
	}
	if len(trees) != 1 || trees[name] == nil {
		return nil, fmt.Errorf("template: %s: {{define}} is not supported: write one template", name)
	}
	t := &Template{name: name, text: text, tree: trees[name], root: trees[name].Root}
	if err := t.check(t.root); err != nil {
		return nil, err
	}
	return t, nil
}

// Name returns the template's name.
func (t *Template) Name() string { return t.name }

// check refuses, at parse time, the nodes Execute does not evaluate.
func (t *Template) check(n parse.Node) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := t.check(c); err != nil {
				return err
			}
		}
	case *parse.TemplateNode:
		return fmt.Errorf("template: %s:%d: {{template}} is not supported", t.name, t.line(n))
	case *parse.IfNode:
		return errors.Join(t.check(n.List), t.check(n.ElseList))
	case *parse.RangeNode:
		return errors.Join(t.check(n.List), t.check(n.ElseList))
	case *parse.WithNode:
		return errors.Join(t.check(n.List), t.check(n.ElseList))
	}
	return nil
}

// line is the 1-based line of n in the template's text.
func (t *Template) line(n parse.Node) int {
	pos := min(max(int(n.Position()), 0), len(t.text))
	return strings.Count(t.text[:pos], "\n") + 1
}

// Execute writes the template applied to data.
func (t *Template) Execute(w io.Writer, data any) error {
	s := &state{t: t, w: w, vars: []variable{{"$", data}}}
	err := s.walk(data, t.root)
	if errors.Is(err, errBreak) || errors.Is(err, errContinue) {
		return nil
	}
	return err
}

type variable struct {
	name  string
	value any
}

type state struct {
	t    *Template
	w    io.Writer
	vars []variable
}

var (
	errBreak    = errors.New("break")
	errContinue = errors.New("continue")
)

// errorf words an execution error as text/template does: where (name:line:column) and at
// which part of the template.
func (s *state) errorf(n parse.Node, format string, args ...any) error {
	if n == nil {
		return fmt.Errorf("template: %s: executing: %s", s.t.name, fmt.Sprintf(format, args...))
	}
	location, context := s.t.tree.ErrorContext(n)
	return fmt.Errorf("template: %s: executing at <%s>: %s", location, context, fmt.Sprintf(format, args...))
}

func (s *state) walk(dot any, n parse.Node) error {
	switch n := n.(type) {
	case nil:
		return nil
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := s.walk(dot, c); err != nil {
				return err
			}
		}
	case *parse.TextNode:
		_, err := s.w.Write(n.Text)
		return err
	case *parse.CommentNode:
	case *parse.ActionNode:
		v, err := s.pipeline(dot, n.Pipe)
		if err != nil || len(n.Pipe.Decl) > 0 {
			return err
		}
		_, err = io.WriteString(s.w, printable(v))
		return err
	case *parse.IfNode:
		return s.branch(dot, n.Pipe, n.List, n.ElseList, false)
	case *parse.WithNode:
		return s.branch(dot, n.Pipe, n.List, n.ElseList, true)
	case *parse.RangeNode:
		return s.rangeOver(dot, n)
	case *parse.BreakNode:
		return errBreak
	case *parse.ContinueNode:
		return errContinue
	default:
		return s.errorf(n, "unsupported %T", n)
	}
	return nil
}

// branch runs if and with: list when the pipeline is true (with: and dot becomes its
// value), elseList otherwise.
func (s *state) branch(dot any, pipe *parse.PipeNode, list, elseList *parse.ListNode, with bool) error {
	mark := len(s.vars)
	defer func() { s.vars = s.vars[:mark] }()
	v, err := s.pipeline(dot, pipe)
	if err != nil {
		return err
	}
	if truth(v) {
		if with {
			dot = v
		}
		return s.walk(dot, list)
	}
	return s.walk(dot, elseList)
}

func (s *state) rangeOver(dot any, n *parse.RangeNode) error {
	mark := len(s.vars)
	defer func() { s.vars = s.vars[:mark] }()
	v, err := s.pipeline(dot, n.Pipe)
	if err != nil {
		return err
	}
	type pair struct {
		key  any
		elem any
	}
	var items []pair
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			items = append(items, pair{i, e})
		}
	case []string:
		for i, e := range v {
			items = append(items, pair{i, e})
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			items = append(items, pair{k, v[k]})
		}
	case int:
		for i := range v {
			items = append(items, pair{i, i})
		}
	case nil:
	default:
		return s.errorf(n, "range can't iterate over %v", v)
	}
	if len(items) == 0 {
		return s.walk(dot, n.ElseList)
	}
	for _, it := range items {
		switch len(n.Pipe.Decl) {
		case 1:
			s.setVar(n.Pipe.Decl[0].Ident[0], it.elem)
		case 2:
			s.setVar(n.Pipe.Decl[0].Ident[0], it.key)
			s.setVar(n.Pipe.Decl[1].Ident[0], it.elem)
		}
		err := s.walk(it.elem, n.List)
		switch {
		case errors.Is(err, errBreak):
			return nil
		case errors.Is(err, errContinue):
		case err != nil:
			return err
		}
	}
	return nil
}

// setVar declares name, or sets it when the pipeline is a range's (which declares it once
// and sets it for every element).
func (s *state) setVar(name string, value any) {
	for i := len(s.vars) - 1; i >= 0; i-- {
		if s.vars[i].name == name {
			s.vars[i].value = value
			return
		}
	}
	s.vars = append(s.vars, variable{name, value})
}

func (s *state) lookupVar(n parse.Node, name string) (any, error) {
	for i := len(s.vars) - 1; i >= 0; i-- {
		if s.vars[i].name == name {
			return s.vars[i].value, nil
		}
	}
	return nil, s.errorf(n, "undefined variable: %s", name)
}

func (s *state) pipeline(dot any, pipe *parse.PipeNode) (any, error) {
	if pipe == nil {
		return nil, nil
	}
	var v any
	for i, cmd := range pipe.Cmds {
		var final []any
		if i > 0 {
			final = []any{v}
		}
		var err error
		if v, err = s.command(dot, cmd, final); err != nil {
			return nil, err
		}
	}
	for _, d := range pipe.Decl {
		if pipe.IsAssign {
			s.setVar(d.Ident[0], v)
		} else {
			s.vars = append(s.vars, variable{d.Ident[0], v})
		}
	}
	return v, nil
}

// command evaluates one command of a pipeline; final is the previous command's value,
// passed as the last argument.
func (s *state) command(dot any, cmd *parse.CommandNode, final []any) (any, error) {
	first := cmd.Args[0]
	if id, ok := first.(*parse.IdentifierNode); ok {
		args := make([]any, 0, len(cmd.Args))
		for _, a := range cmd.Args[1:] {
			v, err := s.arg(dot, a)
			if err != nil {
				return nil, err
			}
			args = append(args, v)
		}
		return s.call(cmd, id.Ident, append(args, final...))
	}
	if len(cmd.Args) > 1 || len(final) > 0 {
		return nil, s.errorf(cmd, "can't give arguments to a non-function %s", first)
	}
	return s.arg(dot, first)
}

func (s *state) arg(dot any, n parse.Node) (any, error) {
	switch n := n.(type) {
	case *parse.DotNode:
		return dot, nil
	case *parse.FieldNode:
		return s.fields(n, dot, n.Ident)
	case *parse.VariableNode:
		v, err := s.lookupVar(n, n.Ident[0])
		if err != nil {
			return nil, err
		}
		return s.fields(n, v, n.Ident[1:])
	case *parse.ChainNode:
		v, err := s.arg(dot, n.Node)
		if err != nil {
			return nil, err
		}
		return s.fields(n, v, n.Field)
	case *parse.PipeNode:
		mark := len(s.vars)
		defer func() { s.vars = s.vars[:mark] }()
		return s.pipeline(dot, n)
	case *parse.StringNode:
		return n.Text, nil
	case *parse.NumberNode:
		if !n.IsInt {
			return nil, s.errorf(n, "only integers are supported, not %s", n.Text)
		}
		return int(n.Int64), nil
	case *parse.BoolNode:
		return n.True, nil
	case *parse.NilNode:
		return nil, nil
	case *parse.IdentifierNode:
		return s.call(n, n.Ident, nil)
	}
	return nil, s.errorf(n, "unsupported %T", n)
}

// fields follows .A.B through maps; a key that is not there is an error.
func (s *state) fields(n parse.Node, v any, names []string) (any, error) {
	for _, name := range names {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, s.errorf(n, "can't evaluate field %s in %s", name, kind(v))
		}
		if v, ok = m[name]; !ok {
			return nil, s.errorf(n, "can't evaluate field %s: there is no such field (see the documented fields)", name)
		}
	}
	return v, nil
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "nil"
	case string:
		return "a string"
	case int:
		return "a number"
	case bool:
		return "a boolean"
	case []any, []string:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

// truth is text/template's: false, 0, nil and empty strings, lists and maps are false.
func truth(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case int:
		return v != 0
	case string:
		return v != ""
	case []any:
		return len(v) > 0
	case []string:
		return len(v) > 0
	case map[string]any:
		return len(v) > 0
	}
	return true
}

// printable is how a value prints, as fmt (and so text/template) prints it.
func printable(v any) string {
	if v == nil {
		return "<no value>"
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}
