package tmpl

import (
	"strings"
	"testing"
	"text/template"
)

// data is what the tests execute templates over: plain data, as Execute takes it.
func data() map[string]any {
	return map[string]any{
		"Chart":    "webapp",
		"Versions": []any{"1.2.5", "1.3.0"},
		"Empty":    []any{},
		"Count":    2,
		"Draft":    false,
		"Metadata": map[string]any{"AppVersion": "5.0.1", "Annotations": map[string]any{"b": "2", "a": "1"}},
		"Changes": []any{
			map[string]any{"Application": "web-prod", "From": "1.2.3", "To": "1.2.5"},
			map[string]any{"Application": "web-stage", "From": "1.2.4", "To": "1.3.0"},
		},
	}
}

// TestTemplatesReadAsTextTemplateReadsThem runs each template through this package and
// through text/template over the same data: the output must be the same.
func TestTemplatesReadAsTextTemplateReadsThem(t *testing.T) {
	for _, text := range []string{
		"Promote {{ .Chart }} to {{ index .Versions 0 }}",
		"{{ .Metadata.AppVersion }} {{ $.Chart }}",
		"{{ range .Changes }}- {{ .Application }}: {{ .From }} → {{ .To }}\n{{ end }}",
		"{{ range $i, $c := .Changes }}{{ $i }}={{ $c.Application }} {{ end }}",
		"{{ range .Empty }}x{{ else }}none{{ end }}",
		"{{ if .Draft }}draft{{ else if eq .Count 2 }}two{{ else }}other{{ end }}",
		"{{ with .Metadata }}{{ .AppVersion }}{{ end }}{{ with .Empty }}never{{ else }}empty{{ end }}",
		"{{ len .Versions }} {{ len .Chart }} {{ not .Draft }} {{ and .Chart .Count }} {{ or .Draft .Chart }}",
		"{{ printf \"%s@%d\" .Chart .Count }} {{ print .Chart 1 }} {{ .Versions }}",
		"{{ $v := index .Versions 1 }}{{ $v }}{{ $v = .Chart }} {{ $v }}",
		"{{ range .Versions }}{{ if eq . \"1.3.0\" }}{{ break }}{{ end }}{{ . }} {{ end }}",
		"{{ range .Versions }}{{ if eq . \"1.2.5\" }}{{ continue }}{{ end }}{{ . }}{{ end }}",
		"{{ range $k, $v := .Metadata.Annotations }}{{ $k }}={{ $v }};{{ end }}",
		"{{ slice .Chart 0 3 }} {{ index .Metadata.Annotations \"a\" }} {{ lt 1 2 }} {{ ge .Count 3 }}",
		"{{- .Chart -}}  \n  {{- /* a comment */ -}} !",
		"{{ .Chart | printf \"%q\" }}",
	} {
		t.Run(text, func(t *testing.T) {
			want := new(strings.Builder)
			if err := template.Must(template.New("x").Option("missingkey=error").Parse(text)).Execute(want, data()); err != nil {
				t.Fatalf("text/template: %v", err)
			}
			tmpl, err := Parse("x", text)
			if err != nil {
				t.Fatal(err)
			}
			got := new(strings.Builder)
			if err := tmpl.Execute(got, data()); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("got %q, text/template writes %q", got, want)
			}
		})
	}
}

func TestTheExtraFunctions(t *testing.T) {
	for text, want := range map[string]string{
		`{{ join .Versions ", " }}`:   "1.2.5, 1.3.0",
		`{{ .Versions | join ", " }}`: "1.2.5, 1.3.0",
		`{{ upper .Chart }}`:          "WEBAPP",
		`{{ lower "ABC" }}`:           "abc",
		`{{ trim "  x  " }}`:          "x",
	} {
		tmpl, err := Parse("x", text)
		if err != nil {
			t.Fatal(err)
		}
		got := new(strings.Builder)
		if err := tmpl.Execute(got, data()); err != nil || got.String() != want {
			t.Errorf("%s = %q, %v; want %q", text, got, err, want)
		}
	}
}

func TestMistakesAreErrorsThatSayWhere(t *testing.T) {
	for _, tt := range []struct{ text, parseErr, execErr string }{
		{text: "{{ .Chart", parseErr: "unclosed action"},
		{text: "{{ nope .Chart }}", parseErr: `function "nope" not defined`},
		{text: "{{ define \"y\" }}y{{ end }}{{ template \"y\" }}", parseErr: "not supported"},
		{text: "{{ template \"y\" }}", parseErr: "not supported"},
		{text: "{{ .Version }}", execErr: "can't evaluate field Version"},
		{text: "{{ .Chart.Name }}", execErr: "can't evaluate field Name in a string"},
		{text: "{{ index .Versions 5 }}", execErr: "out of range"},
		{text: "{{ $x }}", parseErr: "undefined variable"},
		{text: "{{ range .Chart }}{{ end }}", execErr: "range can't iterate"},
	} {
		tmpl, err := Parse("x", tt.text)
		if tt.parseErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.parseErr) {
				t.Errorf("Parse(%q) = %v; want an error with %q", tt.text, err, tt.parseErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.text, err)
		}
		if err := tmpl.Execute(new(strings.Builder), data()); err == nil || !strings.Contains(err.Error(), tt.execErr) || !strings.Contains(err.Error(), "template: x:1:") {
			t.Errorf("Execute(%q) = %v; want an error with %q", tt.text, err, tt.execErr)
		}
	}
}
