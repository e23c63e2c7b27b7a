package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/chart-promoter/chart-promoter/schema"
)

// validator checks a tree against the checked-in JSON Schema and turns the validator's
// findings into messages a person can act on, placed on the line they concern.
type validator struct {
	compiled *jsonschema.Schema
	// raw is the schema as plain JSON, read for what messages need: the keys a mapping
	// allows (for "did you mean"), the alternatives of a oneOf.
	raw map[string]any
}

func newValidator() (*validator, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.ConfigJSON))
	if err != nil {
		return nil, fmt.Errorf("the built-in config schema does not parse: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schema.ConfigURL, doc); err != nil {
		return nil, fmt.Errorf("the built-in config schema: %w", err)
	}
	compiled, err := c.Compile(schema.ConfigURL)
	if err != nil {
		return nil, fmt.Errorf("the built-in config schema does not compile: %w", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(schema.ConfigJSON, &raw); err != nil {
		return nil, err
	}
	return &validator{compiled: compiled, raw: raw}, nil
}

// validate returns every schema violation of t, or nil.
func (v *validator) validate(file string, t *tree) Errors {
	err := v.compiled.Validate(t.value)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return Errors{{File: file, Message: err.Error()}}
	}
	var out Errors
	v.collect(file, t, ve, &out)
	out.sort()
	return dedupe(out)
}

// collect walks the validator's tree of errors down to the findings that say what is wrong.
func (v *validator) collect(file string, t *tree, e *jsonschema.ValidationError, out *Errors) {
	loc := e.InstanceLocation
	at := func(msg string) {
		*out = append(*out, &Error{File: file, Pos: t.posOf(loc), Path: yamlPath(loc), Message: msg})
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Schema, *kind.Reference, *kind.Group, *kind.AllOf:
		for _, c := range e.Causes {
			v.collect(file, t, c, out)
		}
	case *kind.AdditionalProperties:
		known := v.propertiesAt(e.SchemaURL)
		for _, name := range k.Properties {
			key := append(append([]string(nil), loc...), name)
			msg := fmt.Sprintf("unknown key %q", name)
			if hint := didYouMean(name, known); hint != "" {
				msg += hint
			} else {
				msg += " (known keys: " + strings.Join(known, ", ") + ")"
			}
			*out = append(*out, &Error{File: file, Pos: t.keyPosOf(key), Path: yamlPath(loc), Message: msg})
		}
	case *kind.Required:
		at("missing key " + quoteList(k.Missing))
	case *kind.OneOf:
		alternatives := v.oneOfRequired(e.SchemaURL)
		if len(k.Subschemas) > 1 {
			at("give only one of " + quoteList(alternatives))
			return
		}
		at("needs one of " + quoteList(alternatives))
	case *kind.MinProperties:
		at("needs one of " + quoteList(v.propertiesAt(e.SchemaURL)))
	case *kind.MaxProperties:
		keys := presentKeys(t.value, loc)
		at(fmt.Sprintf("holds %d providers in one list item: write %s as separate items, each starting with \"- \"", k.Got, strings.Join(quoteAll(keys), " and ")))
	case *kind.Type:
		at(fmt.Sprintf("expected %s, not %s%s", typeNames(k.Want), article(k.Got), typeHint(loc, k.Want, k.Got)))
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		got := fmt.Sprint(k.Got)
		at(fmt.Sprintf("expected %s, not %q%s", quoteList(want), got, didYouMean(got, want)))
	case *kind.Pattern:
		switch {
		case last(loc) == "minimumReleaseAge" || last(loc) == "soak" || (len(loc) == 2 && loc[0] == "render" && loc[1] == "timeout"):
			at(fmt.Sprintf("expected a duration such as 72h, 90m, 3d or 1d12h, not %q", k.Got))
		case last(loc) == "name" && len(loc) == 3 && loc[0] == "stages":
			at(fmt.Sprintf("a stage name is letters, digits, '.', '_' and '-', starting and ending with a letter or digit (staging, prod-eu), not %q", k.Got))
		case len(loc) == 3 && loc[0] == "pullRequest" && (loc[1] == "reviewers" || loc[1] == "assignees"):
			at(fmt.Sprintf("expected a GitHub login, such as octocat or @octocat, not %q", k.Got))
		case len(loc) == 3 && loc[0] == "pullRequest" && loc[1] == "teamReviewers":
			at(fmt.Sprintf("expected a team's slug, such as platform or acme/platform, not %q", k.Got))
		case len(loc) == 3 && loc[0] == "render" && loc[1] == "apiVersions":
			at(fmt.Sprintf("expected one API version, such as monitoring.coreos.com/v1 (one per list item), not %q", k.Got))
		case last(loc) == "tokenEnv":
			at(fmt.Sprintf("expected the name of an environment variable, such as ARGOCD_TOKEN (without $), not %q", k.Got))
		default:
			at(fmt.Sprintf("%q does not match %s", k.Got, k.Want))
		}
	case *kind.Minimum:
		if k.Want.Sign() == 0 {
			at(fmt.Sprintf("must be %s or more (0: no limit), not %s", k.Want.RatString(), k.Got.RatString()))
			return
		}
		at(fmt.Sprintf("must be %s or more, not %s", k.Want.RatString(), k.Got.RatString()))
	case *kind.MinItems:
		at("must not be an empty list: give at least one item, or leave the key out")
	case *kind.MinLength:
		at("must not be empty")
	case *kind.UniqueItems:
		at(fmt.Sprintf("items %d and %d are the same: list each once", k.Duplicates[0], k.Duplicates[1]))
	default:
		at(e.ErrorKind.LocalizedString(message.NewPrinter(language.English)))
	}
}

// fragment returns the part of the raw schema a validator schema URL points at.
func (v *validator) fragment(schemaURL string) map[string]any {
	_, ptr, _ := strings.Cut(schemaURL, "#")
	node := any(v.raw)
	for _, tok := range strings.Split(strings.Trim(ptr, "/"), "/") {
		if tok == "" {
			continue
		}
		switch n := node.(type) {
		case map[string]any:
			node = n[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				return nil
			}
			node = n[i]
		default:
			return nil
		}
	}
	m, _ := node.(map[string]any)
	return m
}

// propertiesAt lists, in the schema's order of appearance (sorted), the keys the object
// schema at schemaURL allows.
func (v *validator) propertiesAt(schemaURL string) []string {
	props, _ := v.fragment(schemaURL)["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for name := range props {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// oneOfRequired lists the keys a oneOf of "required" alternatives chooses between.
func (v *validator) oneOfRequired(schemaURL string) []string {
	alts, _ := v.fragment(schemaURL)["oneOf"].([]any)
	var names []string
	for _, a := range alts {
		m, _ := a.(map[string]any)
		req, _ := m["required"].([]any)
		for _, r := range req {
			names = append(names, fmt.Sprint(r))
		}
	}
	return names
}

// presentKeys lists the keys of the mapping at loc in value.
func quoteAll(names []string) []string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return q
}

func presentKeys(value any, loc []string) []string {
	node := value
	for _, tok := range loc {
		switch n := node.(type) {
		case map[string]any:
			node = n[tok]
		case []any:
			i, _ := strconv.Atoi(tok)
			if i < 0 || i >= len(n) {
				return []string{""}
			}
			node = n[i]
		}
	}
	m, _ := node.(map[string]any)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return []string{""}
	}
	return keys
}

// typeNames words JSON Schema types as YAML users know them.
func typeNames(types []string) string {
	words := make([]string, len(types))
	for i, t := range types {
		words[i] = article(t)
	}
	return strings.Join(words, " or ")
}

func article(jsonType string) string {
	switch jsonType {
	case "object":
		return "a mapping (key: value)"
	case "array":
		return "a list"
	case "string":
		return "a string"
	case "boolean":
		return "true or false"
	case "null":
		return "nothing (an empty value)"
	case "integer", "number":
		return "a number"
	}
	return jsonType
}

// listHints show, per key, what a list there looks like.
var listHints = map[string]string{
	"rules":        `: write each rule as a list item starting with "- ", e.g. "- charts: [ghcr.io/acme/charts/*]"`,
	"charts":       `, e.g. charts: ["ghcr.io/acme/charts/*"]`,
	"applications": `, e.g. applications: ["*-production"]`,
	"releaseTime":  `, e.g. releaseTime: [tlog, created]`,
	"providers":    `: write each provider as a list item starting with "- ", e.g. "- cosign: {publicKeys: [keys/cosign.pub]}"`,
	"publicKeys":   `, e.g. publicKeys: [keys/cosign.pub]`,
}

// typeHint shows the shape expected where people most often get it wrong.
func typeHint(loc []string, want []string, got string) string {
	scalar := got == "number" || got == "integer" || got == "boolean"
	switch {
	case slices.Contains(want, "array") && listHints[last(loc)] != "":
		return listHints[last(loc)]
	case slices.Contains(want, "array"):
		return `: write [a, b], or one "- item" per line`
	case slices.Contains(want, "string") && scalar && last(loc) == "minimumReleaseAge":
		return ": write it with a unit, e.g. minimumReleaseAge: 72h"
	case slices.Contains(want, "string") && scalar && last(loc) == "kubeVersion":
		return `: quote it, e.g. kubeVersion: "1.30" (unquoted, 1.30 is the number 1.3)`
	case slices.Contains(want, "integer") && got == "string" && last(loc) == "milestone":
		return ": write the milestone's number, as in its URL (…/milestone/3): milestone: 3"
	case slices.Contains(want, "string") && scalar && last(loc) == "timeout":
		return ": write it with a unit, e.g. timeout: 30s"
	case slices.Contains(want, "string") && scalar && last(loc) == "constraint":
		return `: quote it, e.g. constraint: "~1.2"`
	case slices.Contains(want, "string") && scalar:
		return ": quote it"
	}
	return ""
}

func last(loc []string) string {
	if len(loc) == 0 {
		return ""
	}
	return loc[len(loc)-1]
}

// dedupe drops repeated findings (one value failing the same way through two paths).
func dedupe(es Errors) Errors {
	seen := map[string]bool{}
	out := es[:0]
	for _, e := range es {
		if k := e.Error(); !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}
