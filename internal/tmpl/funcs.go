package tmpl

import (
	"fmt"
	"strings"

	"text/template/parse"
)

// call runs the function name with args, which are already evaluated (and and or do not
// short-circuit here: every argument is plain data, evaluating it has no effect).
func (s *state) call(n parse.Node, name string, args []any) (any, error) {
	want := func(count int) error {
		if len(args) != count {
			return s.errorf(n, "wrong number of args for %s: want %d got %d", name, count, len(args))
		}
		return nil
	}
	switch name {
	case "and", "or":
		if len(args) == 0 {
			return nil, s.errorf(n, "wrong number of args for %s: want at least 1 got 0", name)
		}
		for _, a := range args[:len(args)-1] {
			if truth(a) == (name == "or") {
				return a, nil
			}
		}
		return args[len(args)-1], nil
	case "not":
		if err := want(1); err != nil {
			return nil, err
		}
		return !truth(args[0]), nil
	case "eq", "ne":
		if len(args) < 2 {
			return nil, s.errorf(n, "wrong number of args for %s: want at least 2 got %d", name, len(args))
		}
		eq := false
		for _, b := range args[1:] {
			eq = eq || equal(args[0], b)
		}
		return eq == (name == "eq"), nil
	case "lt", "le", "gt", "ge":
		if err := want(2); err != nil {
			return nil, err
		}
		c, err := compare(args[0], args[1])
		if err != nil {
			return nil, s.errorf(n, "%s: %v", name, err)
		}
		return map[string]bool{"lt": c < 0, "le": c <= 0, "gt": c > 0, "ge": c >= 0}[name], nil
	case "len":
		if err := want(1); err != nil {
			return nil, err
		}
		switch v := args[0].(type) {
		case string:
			return len(v), nil
		case []any:
			return len(v), nil
		case []string:
			return len(v), nil
		case map[string]any:
			return len(v), nil
		}
		return nil, s.errorf(n, "len of %s", kind(args[0]))
	case "index":
		if len(args) < 1 {
			return nil, s.errorf(n, "wrong number of args for index: want at least 1 got 0")
		}
		v := args[0]
		for _, k := range args[1:] {
			var err error
			if v, err = index(v, k); err != nil {
				return nil, s.errorf(n, "index: %v", err)
			}
		}
		return v, nil
	case "slice":
		return s.slice(n, args)
	case "print":
		return fmt.Sprint(printables(args)...), nil
	case "println":
		return fmt.Sprintln(printables(args)...), nil
	case "printf":
		if len(args) == 0 {
			return nil, s.errorf(n, "wrong number of args for printf: want at least 1 got 0")
		}
		format, ok := args[0].(string)
		if !ok {
			return nil, s.errorf(n, "printf's format must be a string")
		}
		return fmt.Sprintf(format, args[1:]...), nil
	case "join":
		if err := want(2); err != nil {
			return nil, err
		}
		list, sep := args[0], args[1]
		if s2, ok := args[0].(string); ok { // {{ .Versions | join ", " }} puts the list last
			list, sep = args[1], s2
		}
		sepText, ok := sep.(string)
		if !ok {
			return nil, s.errorf(n, "join: the separator must be a string")
		}
		var parts []string
		switch l := list.(type) {
		case []any:
			for _, e := range l {
				parts = append(parts, printable(e))
			}
		case []string:
			parts = l
		default:
			return nil, s.errorf(n, "join: %s is not a list", kind(list))
		}
		return strings.Join(parts, sepText), nil
	case "lower", "upper", "trim":
		if err := want(1); err != nil {
			return nil, err
		}
		text := printable(args[0])
		switch name {
		case "lower":
			return strings.ToLower(text), nil
		case "upper":
			return strings.ToUpper(text), nil
		}
		return strings.TrimSpace(text), nil
	}
	return nil, s.errorf(n, "%q is not a defined function", name)
}

func printables(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if a == nil {
			out[i] = "<nil>"
		} else {
			out[i] = a
		}
	}
	return out
}

func equal(a, b any) bool {
	switch a := a.(type) {
	case string, int, bool, nil:
		return a == b
	}
	return false
}

func compare(a, b any) (int, error) {
	switch a := a.(type) {
	case int:
		if b, ok := b.(int); ok {
			return a - b, nil
		}
	case string:
		if b, ok := b.(string); ok {
			return strings.Compare(a, b), nil
		}
	}
	return 0, fmt.Errorf("incompatible types for comparison: %s and %s", kind(a), kind(b))
}

func index(v, k any) (any, error) {
	switch c := v.(type) {
	case []any:
		i, ok := k.(int)
		if !ok || i < 0 || i >= len(c) {
			return nil, fmt.Errorf("index %v out of range of a list of %d", k, len(c))
		}
		return c[i], nil
	case []string:
		i, ok := k.(int)
		if !ok || i < 0 || i >= len(c) {
			return nil, fmt.Errorf("index %v out of range of a list of %d", k, len(c))
		}
		return c[i], nil
	case map[string]any:
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("a map's key must be a string, not %s", kind(k))
		}
		return c[key], nil // a missing key is no value, as in text/template
	}
	return nil, fmt.Errorf("can't index %s", kind(v))
}

func (s *state) slice(n parse.Node, args []any) (any, error) {
	if len(args) < 1 || len(args) > 3 {
		return nil, s.errorf(n, "wrong number of args for slice: want 1 to 3 got %d", len(args))
	}
	bounds := make([]int, 0, 2)
	for _, a := range args[1:] {
		i, ok := a.(int)
		if !ok {
			return nil, s.errorf(n, "slice: bounds must be integers")
		}
		bounds = append(bounds, i)
	}
	cut := func(length int) (int, int, error) {
		lo, hi := 0, length
		if len(bounds) > 0 {
			lo = bounds[0]
		}
		if len(bounds) > 1 {
			hi = bounds[1]
		}
		if lo < 0 || hi > length || lo > hi {
			return 0, 0, s.errorf(n, "slice: bounds %d:%d out of range of %d", lo, hi, length)
		}
		return lo, hi, nil
	}
	switch v := args[0].(type) {
	case string:
		lo, hi, err := cut(len(v))
		if err != nil {
			return nil, err
		}
		return v[lo:hi], nil
	case []any:
		lo, hi, err := cut(len(v))
		if err != nil {
			return nil, err
		}
		return v[lo:hi], nil
	}
	return nil, s.errorf(n, "can't slice %s", kind(args[0]))
}
