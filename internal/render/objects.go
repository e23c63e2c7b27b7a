package render

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	sigsyaml "sigs.k8s.io/yaml"
)

// Ref names a Kubernetes resource the way a reviewer reads it. The namespace is the one the
// chart rendered ("" when the manifest sets none: Argo CD then uses the destination's).
type Ref struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// String is "Kind namespace/name", or "Kind name" without a namespace.
func (r Ref) String() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// resource is one rendered object.
type resource struct {
	Ref
	// group is the API group ("apps", "" for core): a resource keeps its identity when only
	// its API version moves (apps/v1beta2 to apps/v1).
	group string
	// source is the template it came from.
	source string
	// text is the document as rendered, the "# Source" line dropped; for a Secret, a
	// redacted rendering made by redactedText.
	text string
	// object is the parsed document, nil when it did not parse.
	object map[string]any
	// images are the container images by container ("containers[web]").
	images map[string]string
	// holdsSecrets is set for a Secret, or a List with one: its text is redacted.
	holdsSecrets bool
}

func (r *resource) key() string { return r.group + "/" + r.Kind + "/" + r.Namespace + "/" + r.Name }

func (r *resource) isCRD() bool {
	return r.Kind == "CustomResourceDefinition" && r.group == "apiextensions.k8s.io"
}

// separator splits a stream of YAML documents, as Helm's own manifest splitter does.
var separator = regexp.MustCompile(`(?m)^---[ \t]*(?:#.*)?$`)

// parseManifests splits `helm template` output into resources, keyed so that the same
// object at two versions meets itself. Documents that hold nothing (comments, blank
// templates) are dropped, as Argo CD drops them.
func parseManifests(out string) (map[string]*resource, []string) {
	byKey := map[string]*resource{}
	var notes []string
	for i, doc := range separator.Split(out, -1) {
		source := ""
		var body []string
		for _, line := range strings.Split(doc, "\n") {
			if strings.TrimSpace(line) == "" && len(body) == 0 {
				continue
			}
			if s, ok := strings.CutPrefix(line, "# Source: "); ok && source == "" && len(body) == 0 {
				source = strings.TrimSpace(s)
				continue
			}
			body = append(body, line)
		}
		text := strings.Trim(strings.Join(body, "\n"), "\n")
		if strings.TrimSpace(stripComments(text)) == "" {
			continue
		}
		r := &resource{source: source, text: text + "\n"}
		var obj map[string]any
		if err := sigsyaml.Unmarshal([]byte(text), &obj); err != nil || obj == nil {
			// Argo CD would refuse the whole output; here the document stays visible.
			r.Ref = Ref{Kind: "(unparsed)", Name: fmt.Sprintf("%s#%d", source, i)}
			notes = append(notes, fmt.Sprintf("a document from %s is not valid YAML; Argo CD would fail to sync it", source))
		} else {
			r.object = obj
			apiVersion, _ := obj["apiVersion"].(string)
			if g, _, ok := strings.Cut(apiVersion, "/"); ok {
				r.group = g
			}
			r.Kind, _ = obj["kind"].(string)
			meta, _ := obj["metadata"].(map[string]any)
			r.Name, _ = meta["name"].(string)
			r.Namespace, _ = meta["namespace"].(string)
			if r.Name == "" {
				r.Name, _ = meta["generateName"].(string)
			}
			r.images = images(obj)
			if redacted, changed := redactSecrets(obj); changed {
				r.text, r.holdsSecrets = toYAML(redacted), true
			}
		}
		k := r.key()
		for n := 2; byKey[k] != nil; n++ {
			k = fmt.Sprintf("%s#%d", r.key(), n)
		}
		byKey[k] = r
	}
	return byKey, notes
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// redacted stands for a Secret value in everything the tool shows.
const redacted = "(redacted)"

// redactSecrets returns a copy of obj with the values of every Secret in it (the object
// itself, or the items of a List) replaced by redacted, keys kept; changed is false when
// obj holds no Secret.
func redactSecrets(obj map[string]any) (map[string]any, bool) {
	kind, _ := obj["kind"].(string)
	apiVersion, _ := obj["apiVersion"].(string)
	switch {
	case kind == "Secret" && apiVersion == "v1":
		out := make(map[string]any, len(obj))
		for k, v := range obj {
			out[k] = v
		}
		for _, field := range []string{"data", "stringData"} {
			if m, ok := obj[field].(map[string]any); ok {
				r := make(map[string]any, len(m))
				for k := range m {
					r[k] = redacted
				}
				out[field] = r
			} else if obj[field] != nil {
				out[field] = redacted
			}
		}
		// Only what names the Secret is kept of its metadata: an annotation such as
		// last-applied-configuration would repeat the data.
		if meta, ok := obj["metadata"].(map[string]any); ok {
			kept := map[string]any{}
			for _, k := range []string{"name", "namespace", "labels"} {
				if v, ok := meta[k]; ok {
					kept[k] = v
				}
			}
			out["metadata"] = kept
		}
		return out, true
	case strings.HasSuffix(kind, "List"):
		items, ok := obj["items"].([]any)
		if !ok {
			return obj, false
		}
		found := false
		copied := make([]any, len(items))
		for i, it := range items {
			copied[i] = it
			if m, ok := it.(map[string]any); ok {
				if r, changed := redactSecrets(m); changed {
					copied[i], found = r, true
				}
			}
		}
		if !found {
			return obj, false
		}
		out := make(map[string]any, len(obj))
		for k, v := range obj {
			out[k] = v
		}
		out["items"] = copied
		return out, true
	}
	return obj, false
}

func toYAML(v any) string {
	b, err := sigsyaml.Marshal(v)
	if err != nil {
		return "# (not shown: " + err.Error() + ")\n"
	}
	return string(b)
}

// images finds every container image of an object: the containers, initContainers and
// ephemeralContainers lists wherever they sit (Pods, workload templates, CronJobs, and
// custom resources that embed a pod spec).
func images(obj map[string]any) map[string]string {
	out := map[string]string{}
	var walk func(v any, path string, depth int)
	walk = func(v any, path string, depth int) {
		if depth > 32 {
			return
		}
		switch t := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(t) {
				child := t[k]
				if list, ok := child.([]any); ok && (k == "containers" || k == "initContainers" || k == "ephemeralContainers") {
					for i, c := range list {
						cm, ok := c.(map[string]any)
						if !ok {
							continue
						}
						image, _ := cm["image"].(string)
						if image == "" {
							continue
						}
						name, _ := cm["name"].(string)
						if name == "" {
							name = fmt.Sprint(i)
						}
						out[path+k+"["+name+"]"] = image
					}
					continue
				}
				walk(child, path+k+".", depth+1)
			}
		case []any:
			for i, e := range t {
				walk(e, fmt.Sprintf("%s%d.", path, i), depth+1)
			}
		}
	}
	walk(obj, "", 0)
	return out
}

// sortedResources returns the resources ordered by kind, namespace and name.
func sortedResources(m map[string]*resource) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := m[keys[i]], m[keys[j]]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return keys[i] < keys[j]
	})
	return keys
}
