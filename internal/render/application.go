package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Application is what rendering needs of one Argo CD Application: its name (the default
// Helm release name), its destination namespace, the Helm settings of the chart source
// being promoted, and the sources of the same Application that carry a ref.
type Application struct {
	// Name is metadata.name (for an ApplicationSet, the generated Application's name).
	Name string
	// Project is spec.project, for $ARGOCD_APP_PROJECT_NAME.
	Project string
	// Namespace is spec.destination.namespace, Helm's namespace unless helm.namespace is set.
	Namespace string
	// RepoURL and Chart are the chart source's fields, for $ARGOCD_APP_SOURCE_REPO_URL.
	RepoURL, Chart, Path string
	// Helm is the chart source's helm block.
	Helm Helm
	// Refs are the other sources with a ref, by "$name", where $name/... value files point.
	Refs map[string]RefSource
}

// RefSource is a source that only lends its files to others ("ref: values").
type RefSource struct {
	RepoURL, TargetRevision string
}

// Helm is an Argo CD ApplicationSourceHelm: the settings Argo CD's repo server turns into
// `helm template` flags.
type Helm struct {
	ReleaseName             string          `yaml:"releaseName"`
	Namespace               string          `yaml:"namespace"`
	ValueFiles              []string        `yaml:"valueFiles"`
	IgnoreMissingValueFiles bool            `yaml:"ignoreMissingValueFiles"`
	Values                  string          `yaml:"values"`
	ValuesObject            yaml.Node       `yaml:"valuesObject"`
	Parameters              []Parameter     `yaml:"parameters"`
	FileParameters          []FileParameter `yaml:"fileParameters"`
	SkipCrds                bool            `yaml:"skipCrds"`
	SkipSchemaValidation    bool            `yaml:"skipSchemaValidation"`
	SkipTests               bool            `yaml:"skipTests"`
	KubeVersion             string          `yaml:"kubeVersion"`
	APIVersions             []string        `yaml:"apiVersions"`
}

// Parameter is one helm.parameters entry: --set, or --set-string with forceString.
type Parameter struct {
	Name        string `yaml:"name"`
	Value       string `yaml:"value"`
	ForceString bool   `yaml:"forceString"`
}

// FileParameter is one helm.fileParameters entry: --set-file name=path.
type FileParameter struct {
	Name string `yaml:"name"`
	Path string `yaml:"path"`
}

// Where places a chart source in a manifest file, as discovery found it.
type Where struct {
	// Line is the line of the targetRevision value discovery found (for a list-generator
	// version, the line of that element's value); it picks the YAML document.
	Line int
	// SourcePath is the YAML path of the source mapping ("spec.sources[1]",
	// "spec.template.spec.source").
	SourcePath string
	// ElementPath is the YAML path of the list-generator element the Application is
	// generated from ("spec.generators[0].list.elements[2]"), "" for an Application.
	ElementPath string
	// Name is the Application's name as discovery worked it out.
	Name string
}

// ErrTemplated marks Helm settings an ApplicationSet fills in from generator parameters
// that are not in the file (git, cluster or SCM generators).
var ErrTemplated = errors.New("the Helm settings are templated from generator parameters chart-promoter cannot read")

// ReadApplication reads the Application (or generated Application) at w in a manifest
// file, with its Helm settings rendered from list-generator parameters where it has them.
func ReadApplication(file []byte, w Where) (*Application, error) {
	doc, err := documentAt(file, w.Line)
	if err != nil {
		return nil, err
	}
	src := walk(doc, w.SourcePath)
	if src == nil || src.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("no source at %s in the document at line %d", w.SourcePath, w.Line)
	}
	var params *yaml.Node
	if w.ElementPath != "" {
		if params = walk(doc, w.ElementPath); params == nil {
			return nil, fmt.Errorf("no list-generator element at %s", w.ElementPath)
		}
	}
	// spec is the Application spec the source belongs to: the document's own, or its
	// ApplicationSet template's.
	specPath, _, _ := strings.Cut(w.SourcePath, ".source")
	spec := walk(doc, specPath)

	sub := substituter{params: params}
	app := &Application{Name: w.Name, Refs: map[string]RefSource{}}
	app.Project = sub.scalar(walk(spec, "project"))
	app.Namespace = sub.scalar(walk(spec, "destination.namespace"))
	app.RepoURL, app.Chart, app.Path = sub.scalar(walk(src, "repoURL")), sub.scalar(walk(src, "chart")), sub.scalar(walk(src, "path"))
	if h := walk(src, "helm"); h != nil {
		h, err = sub.node(h)
		if err != nil {
			return nil, err
		}
		if err := h.Decode(&app.Helm); err != nil {
			return nil, fmt.Errorf("%s.helm: %v", w.SourcePath, err)
		}
	}
	if list := walk(spec, "sources"); list != nil && list.Kind == yaml.SequenceNode {
		for _, s := range list.Content {
			ref := sub.scalar(walk(s, "ref"))
			if ref == "" {
				continue
			}
			app.Refs["$"+ref] = RefSource{RepoURL: sub.scalar(walk(s, "repoURL")), TargetRevision: sub.scalar(walk(s, "targetRevision"))}
		}
	}
	if sub.missing != "" {
		return nil, fmt.Errorf("%w (%s)", ErrTemplated, sub.missing)
	}
	return app, nil
}

// documentAt returns the document of file that holds line.
func documentAt(file []byte, line int) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(file))
	var found *yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse: %v", err)
		}
		if doc.Line > line && found != nil {
			break
		}
		d := doc
		found = &d
	}
	if found == nil || len(found.Content) == 0 {
		return nil, fmt.Errorf("no YAML document at line %d", line)
	}
	return found.Content[0], nil
}

// walk follows a path such as "spec.sources[1]" or "items[0].spec.source" from n,
// through aliases; it returns nil where the path leads nowhere.
func walk(n *yaml.Node, path string) *yaml.Node {
	if path == "" {
		return n
	}
	for _, seg := range strings.Split(path, ".") {
		name, rest, indexed := strings.Cut(seg, "[")
		if name != "" {
			n = field(n, name)
		}
		for indexed && n != nil {
			idx, after, _ := strings.Cut(rest, "]")
			i, err := strconv.Atoi(idx)
			n = deref(n)
			if err != nil || n == nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
			rest = strings.TrimPrefix(after, "[")
			indexed = strings.HasPrefix(after, "[")
		}
		if n == nil {
			return nil
		}
	}
	return deref(n)
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	return n
}

// field returns the value of key in mapping n; merge keys are read the way YAML 1.1
// defines them (own keys first), as Kubernetes' YAML reader does.
func field(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var merged []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Value == key && k.Tag != "!!merge" {
			return n.Content[i+1]
		}
		if k.Tag == "!!merge" {
			merged = append(merged, n.Content[i+1])
		}
	}
	for _, m := range merged {
		m = deref(m)
		targets := []*yaml.Node{m}
		if m != nil && m.Kind == yaml.SequenceNode {
			targets = m.Content
		}
		for _, t := range targets {
			if t != m || t.Kind == yaml.MappingNode {
				if v := field(t, key); v != nil {
					return v
				}
			}
		}
	}
	return nil
}

// paramRE matches one ApplicationSet parameter: fasttemplate "{{name}}" or Go template
// "{{ .name.sub }}". Anything richer (pipelines, functions) is left as it stands, and
// counts as a parameter that cannot be read.
var paramRE = regexp.MustCompile(`\{\{\s*\.?([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)\s*\}\}`)

// substituter fills list-generator parameters into template text and remembers the
// first template it could not fill.
type substituter struct {
	params  *yaml.Node
	missing string
}

func (s *substituter) text(t string) string {
	if !strings.Contains(t, "{{") {
		return t
	}
	out := paramRE.ReplaceAllStringFunc(t, func(m string) string {
		name := paramRE.FindStringSubmatch(m)[1]
		if v := s.param(name); v != nil {
			return v.Value
		}
		return m
	})
	if strings.Contains(out, "{{") && s.missing == "" {
		s.missing = strconv.Quote(t)
	}
	return out
}

// param looks a parameter up in the element: nested keys by dots, or a key holding dots.
func (s *substituter) param(name string) *yaml.Node {
	if s.params == nil {
		return nil
	}
	n := s.params
	parts := strings.Split(name, ".")
	for i, p := range parts {
		v := field(n, p)
		if v == nil {
			v = field(n, strings.Join(parts[i:], "."))
			if v == nil || v.Kind != yaml.ScalarNode {
				return nil
			}
			return v
		}
		n = v
	}
	if n.Kind != yaml.ScalarNode {
		return nil
	}
	return n
}

func (s *substituter) scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return s.text(n.Value)
}

// node returns a copy of n with parameters filled into every scalar.
func (s *substituter) node(n *yaml.Node) (*yaml.Node, error) {
	seen := 0
	var cp func(*yaml.Node) *yaml.Node
	cp = func(n *yaml.Node) *yaml.Node {
		n = deref(n)
		if n == nil {
			return nil
		}
		if seen++; seen > 1<<16 {
			return nil
		}
		c := *n
		c.Anchor = ""
		if n.Kind == yaml.ScalarNode {
			c.Value = s.text(n.Value)
			return &c
		}
		c.Content = make([]*yaml.Node, 0, len(n.Content))
		for _, child := range n.Content {
			if cc := cp(child); cc != nil {
				c.Content = append(c.Content, cc)
			}
		}
		return &c
	}
	out := cp(n)
	if seen > 1<<16 {
		return nil, errors.New("the helm settings expand to more than chart-promoter reads: write the values out")
	}
	return out, nil
}
