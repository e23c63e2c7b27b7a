package manifest

import (
	"cmp"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// scanner collects the sources of one file's documents.
type scanner struct {
	file     string
	data     []byte
	index    *lineIndex // built on first use: most files hold no source to locate
	sources  []Source
	skipped  []Skip
	problems []Problem
	// paths are the Git sources' paths, to name the Applications that deploy a directory.
	paths []PathSource
	// left is what aliases, merge keys and list-generator elements may still add to the
	// file's reading, in expandedSize units; memo remembers the sizes of anchored nodes.
	left int
	memo map[*yaml.Node]int
}

// aliasAllowance is what aliases, merge keys and list-generator elements may add to the
// reading of a file of n bytes, in expandedSize units; a file written out in full adds
// nothing. Without a bound, a document of a few kilobytes can stand for billions of nodes
// ("billion laughs"), and an ApplicationSet of a hundred kilobytes for a million sources.
func aliasAllowance(n int) int { return 1<<24 + 4*n }

func newScanner(file string, data []byte) *scanner {
	return &scanner{file: file, data: data, left: aliasAllowance(len(data)), memo: map[*yaml.Node]int{}}
}

// spend takes cost from what the file may still add, or reports at n what costs too much
// and what to do about it.
func (s *scanner) spend(n *yaml.Node, cost int, what, advice string) bool {
	if cost <= s.left {
		s.left -= cost
		return true
	}
	s.problem(n, what+" to more than chart-promoter reads in one file: "+advice+", or exclude the file with --exclude")
	return false
}

// document reads one YAML document, unless its aliases and merge keys expand too far.
// Only Argo CD resources and Lists are read beyond apiVersion and kind, so only they are
// measured.
func (s *scanner) document(n *yaml.Node, path string) {
	apiVersion, kind := scalarValue(lookup(n, "apiVersion")), scalarValue(lookup(n, "kind"))
	if !strings.HasPrefix(apiVersion, "argoproj.io/") && !strings.HasSuffix(kind, "List") {
		return
	}
	what := "the YAML aliases and merge keys of this " + kind + " expand"
	if kind == "" {
		what = "the YAML aliases and merge keys of this document expand"
	}
	// Kubernetes' own YAML reader refuses a billion laughs too ("excessive aliasing").
	if !s.spend(n, aliasedSize(n, aliasAllowance(len(s.data)), s.memo), what, "write the values out") {
		return
	}
	s.resource(n, path, 0)
}

// maxListDepth bounds how deep "kind: List" items may nest before the rest is ignored.
const maxListDepth = 4

// owner is what a source inherits from the resource that holds it.
type owner struct {
	kind, name, namespace, destination string
	setName                            string
	policy                             policy
	// anchored is set when the resource or its spec carries a YAML anchor: other places
	// may alias it, so an edit inside would change them too.
	anchored bool
	// params are the list-generator element an ApplicationSet source is rendered with,
	// nil for an Application or a template that uses no parameters.
	params *element
}

// resource reads one Kubernetes object; kind List is opened to its items.
func (s *scanner) resource(n *yaml.Node, path string, depth int) {
	if n.Kind != yaml.MappingNode {
		return
	}
	apiVersion, kind := scalarValue(lookup(n, "apiVersion")), scalarValue(lookup(n, "kind"))
	switch {
	case strings.HasSuffix(kind, "List") && depth < maxListDepth:
		if items := lookup(n, "items"); items != nil && items.Kind == yaml.SequenceNode {
			for i, item := range items.Content {
				s.resource(item, path+"items["+strconv.Itoa(i)+"].", depth+1)
			}
		}
	case !strings.HasPrefix(apiVersion, "argoproj.io/"):
	case kind == KindApplication:
		s.application(n, path)
	case kind == KindApplicationSet:
		s.applicationSet(n, path)
	}
}

func (s *scanner) application(n *yaml.Node, path string) {
	meta := lookup(n, "metadata")
	o := owner{kind: KindApplication, name: scalarValue(lookup(meta, "name")), namespace: scalarValue(lookup(meta, "namespace"))}
	p, at, problem := annotationPolicy(meta, "Application "+o.name)
	if problem != "" {
		s.problem(cmp.Or(at, meta), problem)
		return
	}
	o.policy = p
	spec := lookup(n, "spec")
	o.anchored = anchored(n, spec)
	o.destination = destination(lookup(spec, "destination"))
	s.sourcesOf(spec, path+"spec", o)
}

func (s *scanner) applicationSet(n *yaml.Node, path string) {
	meta := lookup(n, "metadata")
	setName := scalarValue(lookup(meta, "name"))
	o := owner{kind: KindApplicationSet, name: setName, setName: setName, namespace: scalarValue(lookup(meta, "namespace"))}
	own, at, problem := annotationPolicy(meta, "ApplicationSet "+setName)
	if problem != "" {
		s.problem(cmp.Or(at, meta), problem)
		return
	}
	spec := lookup(n, "spec")
	tmpl := lookup(spec, "template")
	tmeta := lookup(tmpl, "metadata")
	fromTemplate, at, problem := annotationPolicy(tmeta, "the template of ApplicationSet "+setName)
	if problem != "" {
		s.problem(cmp.Or(at, tmeta), problem)
		return
	}
	o.policy = own.override(fromTemplate)
	tspec := lookup(tmpl, "spec")
	o.anchored = anchored(n, spec, tmpl, tspec)
	o.destination = destination(lookup(tspec, "destination"))

	if !usesParams(tspec) {
		s.sourcesOf(tspec, path+"spec.template.spec", o)
		return
	}
	generators := lookup(spec, "generators")
	elements := listElements(generators, path+"spec.generators", 0)
	if len(elements) == 0 {
		// Parameters come from generators whose data is not in this file (git, clusters,
		// SCM providers): the source is reported as templated and left alone.
		s.sourcesOf(tspec, path+"spec.template.spec", o)
		return
	}
	// The template is read once per element: a hundred kilobytes of elements and
	// template sources would otherwise make a million sources.
	limit := aliasAllowance(len(s.data))
	perElement := expandedSize(lookup(tspec, "source"), limit, s.memo) + expandedSize(lookup(tspec, "sources"), limit, s.memo)
	cost := limit + 1 // what the product would be if it overflowed
	if perElement == 0 || len(elements) <= cost/perElement {
		cost = len(elements) * perElement
	}
	if !s.spend(generators, cost, "ApplicationSet "+setName+": its "+strconv.Itoa(len(elements))+" list-generator elements times its template's sources come", "split the ApplicationSet") {
		return
	}
	for i := range elements {
		e := &elements[i]
		eo := o
		eo.params = e
		if name, ok := render(scalarValue(lookup(tmeta, "name")), e); ok && name != "" {
			eo.name = name
		} else {
			eo.name = setName + "[" + strconv.Itoa(e.index) + "]"
		}
		eo.destination = renderOr(o.destination, e)
		s.sourcesOf(tspec, path+"spec.template.spec", eo)
	}
}

// sourcesOf reads spec.source and every spec.sources[i].
func (s *scanner) sourcesOf(spec *yaml.Node, path string, o owner) {
	if src := lookup(spec, "source"); src != nil {
		s.source(src, path+".source", o)
	}
	if list := lookup(spec, "sources"); list != nil && list.Kind == yaml.SequenceNode {
		// An anchored list may be aliased elsewhere: an edit inside would change that too.
		o.anchored = o.anchored || anchored(list)
		for i, src := range list.Content {
			s.source(src, path+".sources["+strconv.Itoa(i)+"]", o)
		}
	}
}

// source reads one Argo CD ApplicationSource and records it when it is an OCI chart.
func (s *scanner) source(src *yaml.Node, path string, o owner) {
	if src.Kind != yaml.MappingNode && src.Kind != yaml.AliasNode {
		return
	}
	repoNode, chartNode := lookup(src, "repoURL"), lookup(src, "chart")
	repoURL, chart := scalarValue(repoNode), scalarValue(chartNode)
	skip := Skip{File: s.file, Line: line(src), Application: o.name}
	if o.params != nil {
		var okRepo, okChart bool
		repoURL, okRepo = render(repoURL, o.params)
		chart, okChart = render(chart, o.params)
		if !okRepo || !okChart {
			if mayBeChartSource(repoURL, chart) {
				skip.Reason = "repoURL or chart is templated from parameters chart-promoter cannot read"
				s.skipped = append(s.skipped, skip)
			}
			return
		}
	} else if isTemplate(repoURL) || isTemplate(chart) {
		if mayBeChartSource(repoURL, chart) {
			skip.Reason = "repoURL or chart is templated: the chart cannot be known before rendering"
			s.skipped = append(s.skipped, skip)
		}
		return
	}
	named := chartReference(repoURL, chart)
	if !named.isChart {
		// A Git repository, an https Helm repository or a ref-only source: not ours. A Git
		// source's path is noted, to name the Applications that deploy a kustomization.
		if p := scalarValue(lookup(src, "path")); p != "" && chart == "" && !isTemplate(p) {
			s.paths = append(s.paths, PathSource{File: s.file, Line: line(src), Application: o.name, RepoURL: repoURL, Path: p})
		}
		return
	}
	ref, form := named.ref, named.form
	skip.Chart = ref
	if named.problem != "" {
		s.chartProblem(repoNode, ref, named.problem)
		return
	}

	keyNode, revNode := lookupPair(src, "targetRevision")
	revPath := path + ".targetRevision"
	if revNode == nil {
		skip.Reason = "no targetRevision: Argo CD follows the newest version itself"
		s.skipped = append(s.skipped, skip)
		return
	}
	pol := o.policy
	comments := []string{keyNode.HeadComment, keyNode.LineComment, revNode.LineComment}
	sharedParam := ""
	if o.params == nil && isTemplate(revNode.Value) {
		// Helm values or generators whose data is not in this file fill it in: the bytes
		// here are a template, not a version, and editing them would break the rendering.
		skip.Line = revNode.Line
		skip.Reason = "targetRevision " + quote(revNode.Value) + " is templated from values or generator parameters chart-promoter cannot read"
		s.skipped = append(s.skipped, skip)
		return
	}
	if o.params != nil && isTemplate(revNode.Value) {
		name, ok := soleParam(revNode.Value)
		var node, key *yaml.Node
		var nodePath string
		if ok {
			key, node, nodePath = o.params.get(name)
		}
		if node == nil {
			skip.Line = revNode.Line
			skip.Reason = "targetRevision " + quote(revNode.Value) + " is templated from parameters chart-promoter cannot edit (only a whole list-generator value can be)"
			s.skipped = append(s.skipped, skip)
			return
		}
		revNode, revPath = node, nodePath
		comments = append(comments, key.HeadComment, key.LineComment, node.LineComment)
		if usesParam(scalarValue(repoNode), name) || usesParam(scalarValue(chartNode), name) {
			// The edit would change which chart the Application pulls, not only its version.
			sharedParam = name
		}
	}
	fromComment, problem := commentPolicy(comments...)
	if problem != "" {
		s.problem(revNode, problem)
		return
	}
	pol = pol.override(fromComment)

	out := Source{
		File:             s.file,
		Kind:             o.kind,
		Application:      o.name,
		ApplicationSet:   o.setName,
		Namespace:        o.namespace,
		Destination:      o.destination,
		Chart:            ref,
		RepoURL:          repoURL,
		ChartName:        chart,
		Form:             form,
		Revision:         revNode.Value,
		Constraint:       pol.constraint,
		ConstraintOrigin: pol.constraintOrigin,
		Ignore:           pol.ignore,
		IgnoreOrigin:     pol.ignoreOrigin,
		SourcePath:       path,
	}
	if o.params != nil {
		out.ElementPath = o.params.path
	}
	switch {
	case pol.version == "":
	case form == NativeOCI && strings.HasPrefix(revNode.Value, "sha256:"):
		// A digest pin the tool wrote: the comment says which version the digest is of.
		out.DigestVersion = pol.version
	case form == NativeOCI:
		out.Warnings = append(out.Warnings, "the comment \"# chart-promoter: version="+pol.version+"\" is ignored: targetRevision is not a digest (chart-promoter writes the comment after the digest pins it makes)")
	default:
		out.Warnings = append(out.Warnings, "the comment \"# chart-promoter: version="+pol.version+"\" is ignored: only a native oci:// source can be pinned by digest (Argo CD hands a Helm-OCI source's targetRevision to Helm as --version)")
	}
	if named.note != "" {
		out.Warnings = append(out.Warnings, named.note)
	}
	if s.index == nil {
		s.index = newLineIndex(s.data)
	}
	out.Location = s.index.locate(revNode, revPath)
	if out.Location.Problem == "" && revPath == path+".targetRevision" && sharedValue(src, o) {
		out.Location.Problem = "targetRevision is shared with other places through a YAML anchor, alias or merge key (<<): edit it by hand"
	}
	if out.Location.Problem == "" && revPath == path+".targetRevision" && countKeys(src, "targetRevision") > 1 {
		// The parser keeps both; Kubernetes tooling either rejects the file or keeps the
		// last one, so an edit of the first could change nothing that is deployed.
		out.Location.Problem = "targetRevision appears more than once in this source: remove the duplicate"
	}
	if out.Location.Problem == "" && sharedParam != "" {
		out.Location.Problem = "the list-generator value " + quote(sharedParam) + " is also used in repoURL or chart: an edit would change the chart, not only its version; edit it by hand"
	}
	if revNode.Kind == yaml.ScalarNode && out.Location.Problem == "" && revNode.ShortTag() != "!!str" {
		out.Location.Problem = "targetRevision " + revNode.Value + " is a YAML " + strings.TrimPrefix(revNode.ShortTag(), "!!") + ", not a string, which Argo CD rejects: quote it"
	}
	s.sources = append(s.sources, out)
}

// sharedValue reports whether the targetRevision of src may be reached from elsewhere in
// the document, so that editing it would change more than this source.
func sharedValue(src *yaml.Node, o owner) bool {
	if o.anchored || src.Kind == yaml.AliasNode || src.Anchor != "" {
		return true
	}
	k, _ := ownPair(src, "targetRevision")
	return k == nil
}

// countKeys counts the keys named key written in mapping n itself.
func countKeys(n *yaml.Node, key string) int {
	count := 0
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if kn := n.Content[i]; kn.Kind == yaml.ScalarNode && kn.Value == key {
				count++
			}
		}
	}
	return count
}

func anchored(nodes ...*yaml.Node) bool {
	for _, n := range nodes {
		if n != nil && (n.Anchor != "" || n.Kind == yaml.AliasNode) {
			return true
		}
	}
	return false
}

func (s *scanner) problem(n *yaml.Node, msg string) {
	s.chartProblem(n, "", msg)
}

// chartProblem records a problem of the source of chart (normalised, or "" when unknown).
// An ApplicationSet's template is read once per list-generator element: the same problem
// at the same line is recorded once.
func (s *scanner) chartProblem(n *yaml.Node, chart, msg string) {
	p := Problem{File: s.file, Line: line(n), Chart: chart, Message: msg}
	for _, seen := range s.problems {
		if seen == p {
			return
		}
	}
	s.problems = append(s.problems, p)
}

// chartRef is what a source's repoURL and chart say about the OCI chart it pulls.
type chartRef struct {
	// ref is the normalised chart repository (or what the author meant, with a problem).
	ref  string
	form Form
	// isChart is false for sources that are not OCI charts at all.
	isChart bool
	// problem says why Argo CD cannot pull the chart as written, and how to write it.
	problem string
	// note is something a reviewer should know about a source that is promoted.
	note string
}

// chartReference works out which OCI chart repository a source names, the way Argo CD
// does (README, "What counts as a chart source", cites the lines of Argo CD it follows).
func chartReference(repoURL, chart string) chartRef {
	r := strings.TrimSpace(repoURL)
	chart = strings.Trim(strings.TrimSpace(chart), "/")
	var out chartRef
	switch {
	case hasScheme(r, "oci"):
		// Argo CD 3.1+ takes an oci:// repoURL as the artifact itself and never reads chart.
		rest := strings.TrimRight(r[len("oci://"):], "/")
		switch {
		case chart == "":
			out.ref, out.form = rest, NativeOCI
		case strings.HasSuffix(rest, "/"+chart):
			// The chart name written twice ("oci://ghcr.io/org/helm/app" with chart "app"):
			// the repoURL names the chart, so Argo CD pulls the right artifact.
			out.ref, out.form = rest, NativeOCI
			out.note = "chart " + quote(chart) + " is redundant: Argo CD 3.1+ pulls the oci:// repoURL itself and ignores chart, so this is a native OCI source and is written as the raw tag; remove chart and set path: . to say so"
		default:
			meant, err := NormalizeChart(rest + "/" + chart)
			if err != nil {
				meant = ""
			}
			return chartRef{ref: meant, form: NativeOCI, isChart: true, problem: unsyncableOCIChart(rest, chart)}
		}
	case strings.Contains(r, "://"), chart == "", r == "":
		return chartRef{} // git, https Helm repositories, ref-only sources
	case strings.Contains(r, "@") || strings.HasSuffix(r, ".git"):
		return chartRef{} // scp-style Git URLs
	default:
		out.ref, out.form = strings.TrimRight(r, "/")+"/"+chart, HelmOCI
	}
	out.isChart = true
	norm, err := NormalizeChart(out.ref)
	if err != nil {
		out.problem = err.Error()
		return out
	}
	out.ref = norm
	return out
}

// unsyncableOCIChart explains, in one line, why repoURL oci://rest with chart never syncs,
// and gives both spellings Argo CD does sync.
func unsyncableOCIChart(rest, chart string) string {
	return "repoURL " + quote("oci://"+rest) + " with chart " + quote(chart) + " never syncs: Argo CD 3.1+ ignores chart for an oci:// repoURL and pulls " + rest + " itself, and Argo CD 2.x and 3.0 reject oci:// for Helm charts; " +
		"write repoURL: oci://" + rest + "/" + chart + " with path: . (native OCI), or repoURL: " + rest + " with chart: " + chart + " (Helm-OCI)"
}

func hasScheme(s, scheme string) bool {
	return len(s) > len(scheme)+3 && strings.EqualFold(s[:len(scheme)+3], scheme+"://")
}

// mayBeChartSource reports whether a source whose repoURL or chart is still a template
// may render to an OCI chart source, and so deserves a mention: it names a chart and its
// repoURL is not spelled with another scheme (Helm-OCI), or its repoURL starts with oci://
// (native OCI). A source without chart and without oci:// is Git whatever the template
// renders to: a ref: values source, or manifests at a path. It is never mentioned.
func mayBeChartSource(repoURL, chart string) bool {
	repoURL = strings.TrimSpace(repoURL)
	if strings.TrimSpace(chart) == "" {
		return hasScheme(repoURL, "oci")
	}
	return hasScheme(repoURL, "oci") || !strings.Contains(repoURL, "://")
}

// destination renders spec.destination as "cluster/namespace".
func destination(d *yaml.Node) string {
	cluster := scalarValue(lookup(d, "name"))
	if cluster == "" {
		cluster = scalarValue(lookup(d, "server"))
	}
	ns := scalarValue(lookup(d, "namespace"))
	switch {
	case cluster == "" && ns == "":
		return ""
	case ns == "":
		return cluster
	}
	return cluster + "/" + ns
}

// element is one list-generator element: the parameters of one generated Application.
type element struct {
	node  *yaml.Node
	path  string
	index int
}

// get looks up a parameter path ("version", "values.chartVersion") in the element.
func (e *element) get(name string) (key, value *yaml.Node, path string) {
	n, p := e.node, e.path
	parts := strings.Split(name, ".")
	for i, part := range parts {
		k, v := lookupPair(n, part)
		if v == nil {
			// fasttemplate flattens nested keys, but a key may itself hold dots.
			k, v = lookupPair(n, strings.Join(parts[i:], "."))
			if v == nil {
				return nil, nil, ""
			}
			return k, v, p + "." + strings.Join(parts[i:], ".")
		}
		key, n, p = k, v, p+"."+part
	}
	return key, n, p
}

// maxGeneratorDepth bounds how deep matrix and merge generators are opened; Argo CD
// itself nests them at most two levels.
const maxGeneratorDepth = 4

// listElements finds list-generator elements, also inside matrix and merge generators.
// Generators are read as written, not through aliases and merge keys: an alias lets a
// matrix generator contain itself, and following it recursed until the stack ran out.
func listElements(generators *yaml.Node, path string, depth int) []element {
	var out []element
	if generators == nil || generators.Kind != yaml.SequenceNode || depth > maxGeneratorDepth {
		return nil
	}
	for i, g := range generators.Content {
		gp := path + "[" + strconv.Itoa(i) + "]"
		if _, list := ownPair(g, "list"); list != nil {
			if _, els := ownPair(list, "elements"); els != nil && els.Kind == yaml.SequenceNode {
				for j, e := range els.Content {
					if e.Kind == yaml.MappingNode {
						out = append(out, element{node: e, path: gp + ".list.elements[" + strconv.Itoa(j) + "]", index: len(out)})
					}
				}
			}
		}
		for _, combinator := range []string{"matrix", "merge"} {
			if _, c := ownPair(g, combinator); c != nil {
				_, nested := ownPair(c, "generators")
				out = append(out, listElements(nested, gp+"."+combinator+".generators", depth+1)...)
			}
		}
	}
	for i := range out {
		out[i].index = i
	}
	return out
}

// paramRE matches one ApplicationSet parameter: fasttemplate "{{name}}" or Go template
// "{{ .name.sub }}". Anything richer (pipelines, functions) is not rendered.
var paramRE = regexp.MustCompile(`\{\{\s*\.?([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)\s*\}\}`)

func isTemplate(s string) bool { return strings.Contains(s, "{{") }

// soleParam returns the parameter name when text is exactly one parameter.
func soleParam(text string) (string, bool) {
	t := strings.TrimSpace(text)
	m := paramRE.FindStringSubmatchIndex(t)
	if m == nil || m[0] != 0 || m[1] != len(t) {
		return "", false
	}
	return t[m[2]:m[3]], true
}

// usesParam reports whether text refers to the parameter name.
func usesParam(text, name string) bool {
	for _, m := range paramRE.FindAllStringSubmatch(text, -1) {
		if m[1] == name {
			return true
		}
	}
	return false
}

// render substitutes element parameters into text; ok is false if any is left unresolved.
func render(text string, e *element) (string, bool) {
	if !isTemplate(text) {
		return text, true
	}
	if e == nil {
		return text, false
	}
	ok := true
	out := paramRE.ReplaceAllStringFunc(text, func(m string) string {
		name := paramRE.FindStringSubmatch(m)[1]
		_, v, _ := e.get(name)
		if v == nil || v.Kind != yaml.ScalarNode {
			ok = false
			return m
		}
		return v.Value
	})
	return out, ok && !isTemplate(out)
}

func renderOr(text string, e *element) string {
	if out, ok := render(text, e); ok {
		return out
	}
	return text
}

// usesParams reports whether any chart field of the template's sources is templated.
func usesParams(tspec *yaml.Node) bool {
	check := func(src *yaml.Node) bool {
		for _, k := range []string{"repoURL", "chart", "targetRevision"} {
			if isTemplate(scalarValue(lookup(src, k))) {
				return true
			}
		}
		return false
	}
	if src := lookup(tspec, "source"); src != nil && check(src) {
		return true
	}
	if list := lookup(tspec, "sources"); list != nil && list.Kind == yaml.SequenceNode {
		for _, src := range list.Content {
			if check(src) {
				return true
			}
		}
	}
	return false
}
