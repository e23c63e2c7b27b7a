package promote

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/tmpl"
)

// Templates are texts in Go's text/template syntax (https://pkg.go.dev/text/template) that
// replace the default commit message, pull request title and pull request body, executed
// by package tmpl over a TemplateData; "" keeps the default. Whatever a template writes, the tool still
// appends what later runs read: the fingerprint trailer (and Signed-off-by) to the commit
// message, the hidden marker to the body.
type Templates struct {
	CommitMessage, Title, Body string
}

// TemplateData is what the templates see; its field names are documented in the README
// and are a contract.
type TemplateData struct {
	// Group names the group: the chart ("webapp"), the Application, or "all charts".
	Group string
	// Branch is the promotion branch.
	Branch string
	// Chart is the chart's name when every change is of one chart, else "".
	Chart string
	// Charts are the names of the charts, sorted.
	Charts []string
	// Versions are the new versions: of Chart when there is one ("1.2.5"), else each as
	// "name version" ("webapp 1.2.5").
	Versions []string
	// Applications are the Applications changed, in the order of Changes, once each.
	Applications []string
	// Digest and Metadata describe the new version when the group moves to one version
	// of one chart; else "" and the zero value.
	Digest   string
	Metadata registry.Metadata
	// Changes are the group's changes.
	Changes []TemplateChange
	// Default is the text the tool would write without the template, to wrap or extend
	// ("{{ .Default }}\n\nTracked in JIRA-123").
	Default string
}

// TemplateChange is one change as the templates see it.
type TemplateChange struct {
	// File is the file's path from the repository root; Line the line of the value.
	File string
	Line int
	// Application, Kind, Namespace and Destination describe the Application.
	Application, Kind, Namespace, Destination string
	// Chart is the chart repository (host/path/name) and ChartName its last segment.
	Chart, ChartName string
	// From and To are the versions as written in the manifest; Digest the new one's.
	From, To, Digest string
	// Constraint is the policy that allowed To.
	Constraint string
	// Metadata is the new version's Chart.yaml.
	Metadata registry.Metadata
}

// value is d as package tmpl reads it: maps keyed by the documented field names.
func (d TemplateData) value() map[string]any {
	changes := make([]any, 0, len(d.Changes))
	for _, c := range d.Changes {
		changes = append(changes, map[string]any{
			"File": c.File, "Line": c.Line, "Application": c.Application, "Kind": c.Kind, "Namespace": c.Namespace,
			"Destination": c.Destination, "Chart": c.Chart, "ChartName": c.ChartName, "From": c.From, "To": c.To,
			"Digest": c.Digest, "Constraint": c.Constraint, "Metadata": metadataValue(c.Metadata),
		})
	}
	return map[string]any{
		"Group": d.Group, "Branch": d.Branch, "Chart": d.Chart, "Charts": list(d.Charts), "Versions": list(d.Versions),
		"Applications": list(d.Applications), "Digest": d.Digest, "Metadata": metadataValue(d.Metadata),
		"Changes": changes, "Default": d.Default,
	}
}

func metadataValue(md registry.Metadata) map[string]any {
	annotations := map[string]any{}
	for k, v := range md.Annotations {
		annotations[k] = v
	}
	return map[string]any{
		"Name": md.Name, "Version": md.Version, "AppVersion": md.AppVersion, "Description": md.Description,
		"Home": md.Home, "Sources": list(md.Sources), "Deprecated": md.Deprecated, "Annotations": annotations,
	}
}

func list(items []string) []any {
	out := make([]any, len(items))
	for i, s := range items {
		out[i] = s
	}
	return out
}

// texts are the parsed templates; a nil template means the default text.
type texts struct {
	commitTmpl, titleTmpl, bodyTmpl *tmpl.Template
}

// parse parses the templates and executes each on a sample group, so that a field the
// data does not have ({{ .Version }}) is a usage error before anything is planned, not a
// failure of every group after.
func (t Templates) parse() (texts, error) {
	var out texts
	var errs []error
	for _, one := range []struct {
		input string
		text  string
		into  **tmpl.Template
	}{
		{"commit-message-template", t.CommitMessage, &out.commitTmpl},
		{"title-template", t.Title, &out.titleTmpl},
		{"body-template", t.Body, &out.bodyTmpl},
	} {
		if strings.TrimSpace(one.text) == "" {
			continue
		}
		t, err := checkTemplate(one.input, one.text)
		if err != nil {
			errs = append(errs, &InputError{Input: one.input, Err: err, Want: "a Go template over the fields the README lists, e.g. {{ .Chart }} {{ index .Versions 0 }}"})
			continue
		}
		*one.into = t
	}
	return out, errors.Join(errs...)
}

// checkTemplate parses text and executes it on a sample group, which has every field.
func checkTemplate(name, text string) (*tmpl.Template, error) {
	t, err := tmpl.Parse(name, text)
	if err == nil {
		err = t.Execute(&strings.Builder{}, sampleData().value())
	}
	return t, err
}

// sampleData is a group of one change with every field set, for checking templates.
func sampleData() TemplateData {
	md := registry.Metadata{Name: "webapp", Version: "1.2.5", AppVersion: "5.0.1", Description: "A web app", Annotations: map[string]string{}}
	c := TemplateChange{File: "apps/webapp.yaml", Line: 9, Application: "webapp", Kind: "Application", Namespace: "argocd", Destination: "in-cluster/web",
		Chart: "ghcr.io/acme/charts/webapp", ChartName: "webapp", From: "1.2.3", To: "1.2.5", Digest: "sha256:" + strings.Repeat("0", 64), Constraint: "~1.2", Metadata: md}
	return TemplateData{Group: "webapp", Branch: "chart-promoter/chart/ghcr.io-acme-charts-webapp", Chart: "webapp", Charts: []string{"webapp"},
		Versions: []string{"1.2.5"}, Applications: []string{"webapp"}, Digest: c.Digest, Metadata: md, Changes: []TemplateChange{c}, Default: "Promote webapp to 1.2.5"}
}

// data is what the templates see of group g.
func (g *group) data(def string) TemplateData {
	charts, versions := g.targets()
	d := TemplateData{Group: g.name, Branch: g.branch, Charts: charts, Default: def}
	if len(charts) == 1 {
		d.Chart, d.Versions = charts[0], versions[charts[0]]
	} else {
		for _, c := range charts {
			for _, v := range versions[c] {
				d.Versions = append(d.Versions, c+" "+v)
			}
		}
	}
	if one := g.versions(); len(one) == 1 {
		d.Digest, d.Metadata = one[0].Digest, one[0].Metadata
	}
	for _, c := range g.changes {
		if !slices.Contains(d.Applications, c.Application) {
			d.Applications = append(d.Applications, c.Application)
		}
		d.Changes = append(d.Changes, TemplateChange{
			File: g.path(c.File), Line: c.Line, Application: c.Application, Kind: c.Kind, Namespace: c.Namespace, Destination: c.Destination,
			Chart: c.Chart, ChartName: chartName(c.Chart), From: c.From, To: c.To, Digest: c.Digest, Constraint: c.Constraint, Metadata: c.Metadata,
		})
	}
	return d
}

// render executes tmpl for g; def is the default text, used when tmpl is nil or writes
// nothing but space.
func (g *group) render(t *tmpl.Template, def string) (string, error) {
	if t == nil {
		return def, nil
	}
	var b strings.Builder
	if err := t.Execute(&b, g.data(def).value()); err != nil {
		return "", fmt.Errorf("%s: %w", t.Name(), err)
	}
	if strings.TrimSpace(b.String()) == "" {
		return def, nil
	}
	return b.String(), nil
}

// title is the group's pull request title, from the title template or the default; a
// title is one line.
func (t texts) title(g *group) (string, error) {
	out, err := g.render(t.titleTmpl, g.title())
	return truncate(strings.Join(strings.Fields(out), " "), 256), err
}

// body is the group's pull request body, from the body template or the default, with
// the hidden marker later runs read.
func (t texts) body(g *group) (string, error) {
	if t.bodyTmpl == nil {
		return g.body(), nil
	}
	def := g.body()
	def = def[:strings.LastIndex(def, markerPrefix)] // the template's Default, without the marker
	out, err := g.render(t.bodyTmpl, strings.TrimRight(def, "\n"))
	if err != nil {
		return "", err
	}
	m := newMarker(g).encode()
	if len(out)+len(m)+2 > maxBodyBytes {
		out = truncate(out, maxBodyBytes-len(m)-64) + "\n\n… (truncated)\n"
	}
	return strings.TrimRight(out, "\n") + "\n\n" + m + "\n", nil
}

// commitMessage is the group's commit message, from the template or the default, with
// the trailers that mark the commit as the tool's.
func (t texts) commitMessage(g *group, signOff *Identity) (string, error) {
	def := g.commitMessage(signOff)
	if t.commitTmpl == nil {
		return def, nil
	}
	// The default without its trailers, for {{ .Default }}.
	plain := def[:strings.Index(def, "\n"+FingerprintTrailer+":")]
	out, err := g.render(t.commitTmpl, strings.TrimRight(plain, "\n"))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(out, "\n"))
	fmt.Fprintf(&b, "\n\n%s: %s\n", FingerprintTrailer, g.fingerprint())
	if signOff != nil {
		fmt.Fprintf(&b, "Signed-off-by: %s <%s>\n", signOff.Name, signOff.Email)
	}
	return b.String(), nil
}
