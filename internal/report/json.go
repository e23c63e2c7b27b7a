package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/promote"
)

// JSON writes the plan as one JSON object:
// {"changes":[…],"skipped":[…],"errors":[…],"warnings":[…]}, indented by two spaces,
// byte for byte as encoding/json writes it. It encodes one entry of a list at a time: a
// fleet's plan is megabytes of JSON, which encoding it whole would hold in memory twice
// over (compact, then indented) at the run's peak, beside every edited file.
func JSON(w io.Writer, plan *promote.Plan) error {
	out := bufio.NewWriterSize(w, 64<<10)
	fields := jsonFields(reflect.ValueOf(plan).Elem())
	out.WriteString("{\n")
	for i, f := range fields {
		out.WriteString("  " + f.key + ": ")
		if err := jsonValue(out, f.value); err != nil {
			return err
		}
		if i < len(fields)-1 {
			out.WriteByte(',')
		}
		out.WriteByte('\n')
	}
	out.WriteString("}\n")
	return out.Flush()
}

type jsonField struct {
	key   string // the quoted name
	value reflect.Value
}

// jsonFields are the fields of struct v that encoding/json writes, in its order, under
// its names: a field the plan gains is written without a change here.
func jsonFields(v reflect.Value) []jsonField {
	var out []jsonField
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.Contains(","+opts+",", ",omitempty,") && isEmptyValue(v.Field(i)) {
			continue
		}
		key, _ := json.Marshal(name)
		out = append(out, jsonField{key: string(key), value: v.Field(i)})
	}
	return out
}

// isEmptyValue is what omitempty leaves out, by encoding/json's rule.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// jsonValue writes v one level deep: a list item by item, anything else whole.
func jsonValue(out *bufio.Writer, v reflect.Value) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	encode := func(v reflect.Value, prefix string) error {
		buf.Reset()
		enc.SetIndent(prefix, "  ")
		if err := enc.Encode(v.Interface()); err != nil {
			return err
		}
		out.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		return nil
	}
	if v.Kind() != reflect.Slice || v.Len() == 0 {
		return encode(v, "  ")
	}
	out.WriteString("[\n")
	for i := range v.Len() {
		out.WriteString("    ")
		if err := encode(v.Index(i).Addr(), "    "); err != nil {
			return err
		}
		if i < v.Len()-1 {
			out.WriteByte(',')
		}
		out.WriteByte('\n')
	}
	out.WriteString("  ]")
	return nil
}
