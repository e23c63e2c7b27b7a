package render

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Summary is what a reviewer reads first: the resources the new version adds, removes and
// changes, the CRDs among them, the container images that change, and how many lines the
// rendered diff has. The JSON names are a contract.
type Summary struct {
	Added   []Ref         `json:"added"`
	Removed []Ref         `json:"removed"`
	Changed []Ref         `json:"changed"`
	Images  []ImageChange `json:"images"`
	CRDs    []CRDChange   `json:"crds"`
	// LinesAdded and LinesRemoved count the lines of the rendered diff.
	LinesAdded   int `json:"linesAdded"`
	LinesRemoved int `json:"linesRemoved"`
	// Unchanged counts the resources both versions render alike.
	Unchanged int `json:"unchanged"`
}

// ImageChange is a container image that moves; From is "" for an image the new version
// brings and To is "" for one it drops.
type ImageChange struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Resources are where it changes: "Deployment ns/web (container web)".
	Resources []string `json:"resources,omitempty"`
}

// CRDChange is a CustomResourceDefinition the new version adds, removes or changes.
type CRDChange struct {
	Ref
	// Change is "added", "removed" or "changed".
	Change string `json:"change"`
}

// Empty reports whether the versions render alike.
func (s *Summary) Empty() bool {
	return len(s.Added)+len(s.Removed)+len(s.Changed) == 0
}

func newSummary() Summary {
	return Summary{Added: []Ref{}, Removed: []Ref{}, Changed: []Ref{}, Images: []ImageChange{}, CRDs: []CRDChange{}}
}

// compare sets the two renderings side by side: the summary, and a unified diff per
// resource (Secret values redacted).
func compare(before, after map[string]*resource, fromVersion, toVersion string) (Summary, string, []string) {
	s := newSummary()
	var diff strings.Builder
	var notes []string
	all := map[string]*resource{}
	for k, r := range before {
		all[k] = r
	}
	for k, r := range after {
		if all[k] == nil {
			all[k] = r
		}
	}
	images := map[[2]string][]string{}
	var secretsChanged []string
	for _, k := range sortedResources(all) {
		old, cur := before[k], after[k]
		var ref Ref
		change := ""
		switch {
		case old == nil:
			ref, change = cur.Ref, "added"
			s.Added = append(s.Added, ref)
		case cur == nil:
			ref, change = old.Ref, "removed"
			s.Removed = append(s.Removed, ref)
		case !sameObject(old, cur):
			ref, change = cur.Ref, "changed"
			s.Changed = append(s.Changed, ref)
		default:
			s.Unchanged++
			continue
		}
		r := cur
		if r == nil {
			r = old
		}
		if r.isCRD() {
			s.CRDs = append(s.CRDs, CRDChange{Ref: ref, Change: change})
		}
		for _, ic := range imageChanges(old, cur) {
			where := ref.String() + " (" + ic.container + ")"
			images[[2]string{ic.from, ic.to}] = append(images[[2]string{ic.from, ic.to}], where)
		}
		oldText, newText, fromName, toName := "", "", "/dev/null", "/dev/null"
		if old != nil {
			oldText, fromName = old.text, fromVersion+"/"+diffName(old)
		}
		if cur != nil {
			newText, toName = cur.text, toVersion+"/"+diffName(cur)
		}
		if r.holdsSecrets {
			secretsChanged = append(secretsChanged, ref.String())
			oldText, newText = secretTexts(old, cur)
		}
		a, d := unified(&diff, fromName, toName, oldText, newText)
		s.LinesAdded += a
		s.LinesRemoved += d
	}
	for pair, where := range images {
		s.Images = append(s.Images, ImageChange{From: pair[0], To: pair[1], Resources: where})
	}
	sort.Slice(s.Images, func(i, j int) bool {
		if s.Images[i].From != s.Images[j].From {
			return s.Images[i].From < s.Images[j].From
		}
		return s.Images[i].To < s.Images[j].To
	})
	if len(secretsChanged) > 0 {
		notes = append(notes, fmt.Sprintf("Secret values are never shown: the diff of %s lists their keys only", strings.Join(secretsChanged, ", ")))
	}
	return s, diff.String(), notes
}

// diffName names a resource in the diff's file lines: "Deployment/ns/web".
func diffName(r *resource) string {
	parts := []string{r.Kind}
	if r.Namespace != "" {
		parts = append(parts, r.Namespace)
	}
	return strings.Join(append(parts, r.Name), "/")
}

// sameObject compares what Kubernetes would receive, so that whitespace, comments and the
// template a resource comes from do not count as changes.
func sameObject(a, b *resource) bool {
	if a.object == nil || b.object == nil {
		return a.text == b.text
	}
	return reflect.DeepEqual(a.object, b.object)
}

type imageChange struct{ container, from, to string }

// imageChanges pairs the containers of one resource at both versions by their place.
func imageChanges(old, cur *resource) []imageChange {
	var out []imageChange
	seen := map[string]bool{}
	if old != nil {
		for c, from := range old.images {
			to := ""
			if cur != nil {
				to = cur.images[c]
			}
			if from != to {
				out = append(out, imageChange{containerName(c), from, to})
			}
			seen[c] = true
		}
	}
	if cur != nil {
		for c, to := range cur.images {
			if !seen[c] {
				out = append(out, imageChange{containerName(c), "", to})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].container < out[j].container })
	return out
}

// containerName turns "spec.template.spec.containers[web]" into "container web".
func containerName(place string) string {
	i := strings.LastIndex(place, ".")
	field := place[i+1:]
	kind, name, _ := strings.Cut(field, "[")
	name = strings.TrimSuffix(name, "]")
	switch kind {
	case "initContainers":
		return "init container " + name
	case "ephemeralContainers":
		return "ephemeral container " + name
	}
	return "container " + name
}

// secretTexts renders a resource holding Secrets (a Secret, or a List of them) at both
// versions with every value redacted: a value that changed reads "(redacted, changed)" in
// the new version, so the diff names the keys that moved and nothing of what they hold.
func secretTexts(old, cur *resource) (string, string) {
	const unparsed = "# (a Secret that does not parse: not shown)\n"
	if old != nil && old.object == nil || cur != nil && cur.object == nil {
		return unparsed, unparsed
	}
	oldText, newText := "", ""
	if old != nil {
		red, _ := redactSecrets(old.object)
		oldText = toYAML(red)
	}
	if cur != nil {
		red, _ := redactSecrets(cur.object)
		if old != nil {
			markChanged(red, old.object, cur.object)
		}
		newText = toYAML(red)
	}
	return oldText, newText
}

// markChanged writes "(redacted, changed)" into the redacted copy red of the object cur
// for every Secret value that differs from the same key in prev; List items are paired by
// their place.
func markChanged(red, prev, cur map[string]any) {
	kind, _ := cur["kind"].(string)
	if items, ok := cur["items"].([]any); ok && strings.HasSuffix(kind, "List") {
		prevItems, _ := prev["items"].([]any)
		redItems, _ := red["items"].([]any)
		for i, it := range items {
			m, ok1 := it.(map[string]any)
			p, ok2 := index(prevItems, i).(map[string]any)
			r, ok3 := index(redItems, i).(map[string]any)
			if ok1 && ok2 && ok3 {
				markChanged(r, p, m)
			}
		}
		return
	}
	for _, field := range []string{"data", "stringData"} {
		vals, _ := cur[field].(map[string]any)
		before, _ := prev[field].(map[string]any)
		out, _ := red[field].(map[string]any)
		for k, v := range vals {
			if p, ok := before[k]; ok && !reflect.DeepEqual(p, v) && out != nil {
				out[k] = "(redacted, changed)"
			}
		}
	}
}

func index(list []any, i int) any {
	if i < len(list) {
		return list[i]
	}
	return nil
}
