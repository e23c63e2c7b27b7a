package manifest

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chart-promoter/chart-promoter/internal/suggest"
)

// Policy annotations, read from an Application's metadata.annotations (and, for an
// ApplicationSet, from its own metadata and its template's; the template's wins).
const (
	// AnnotationConstraint holds a Masterminds semver constraint, e.g. "~1.2".
	AnnotationConstraint = "chart-promoter.io/constraint"
	// AnnotationIgnore set to "true" makes the tool leave every source of the resource alone.
	AnnotationIgnore = "chart-promoter.io/ignore"
)

// CommentMarker starts a per-source directive in a comment on the targetRevision line
// (or on the line just above it):
//
//	targetRevision: 1.2.3 # chart-promoter: constraint=~1.2
//	targetRevision: 1.2.3 # chart-promoter: ignore
//
// A comment is the only place a multi-source Application can give each source its own
// policy, and it survives every edit because the rewrite touches nothing but the value.
//
// One directive the tool writes itself: after a digest pin, "# chart-promoter:
// version=1.4.2" records the version the digest is of (see OwnedCommentPrefix).
const CommentMarker = "chart-promoter:"

// policy is what a manifest says about which versions a source may take.
type policy struct {
	constraint, constraintOrigin string
	ignore                       bool
	// ignoreOrigin is set whenever the manifest decides ignore, to true or to false.
	ignoreOrigin string
	// version is what a "version=" directive says: the version a digest pin is of.
	version string
}

// override returns p with every setting that q makes replaced by q's.
func (p policy) override(q policy) policy {
	if q.constraint != "" {
		p.constraint, p.constraintOrigin = q.constraint, q.constraintOrigin
	}
	if q.ignoreOrigin != "" {
		p.ignore, p.ignoreOrigin = q.ignore, q.ignoreOrigin
	}
	if q.version != "" {
		p.version = q.version
	}
	return p
}

// AnnotationPrefix starts every annotation the tool reads. An annotation with this
// prefix that the tool does not know is an error, not silence: a typo such as
// "chart-promoter.io/constriant" would otherwise promote under the default policy.
const AnnotationPrefix = "chart-promoter.io/"

// annotations are the names under AnnotationPrefix the tool reads.
var annotations = []string{AnnotationConstraint, AnnotationIgnore}

// annotationPolicy reads the policy annotations of a metadata mapping. A problem comes
// with the node it is about, for its line.
func annotationPolicy(metadata *yaml.Node, origin string) (policy, *yaml.Node, string) {
	var p policy
	annotationsNode := lookup(metadata, "annotations")
	if annotationsNode == nil {
		return p, nil, ""
	}
	if key, problem := unknownAnnotation(annotationsNode); problem != "" {
		return p, key, problem
	}
	if v := lookup(annotationsNode, AnnotationConstraint); v != nil {
		if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
			return p, v, "annotation " + AnnotationConstraint + " must be a non-empty string such as \"~1.2\""
		}
		p.constraint, p.constraintOrigin = strings.TrimSpace(v.Value), "annotation "+AnnotationConstraint+" on "+origin
	}
	if v := lookup(annotationsNode, AnnotationIgnore); v != nil {
		switch strings.ToLower(strings.TrimSpace(v.Value)) {
		case "true", "yes", "1":
			p.ignore, p.ignoreOrigin = true, "annotation "+AnnotationIgnore+" on "+origin
		case "false", "no", "0":
			// Said outright, "false" is a decision too: it wins over a config file's rule.
			p.ignore, p.ignoreOrigin = false, "annotation "+AnnotationIgnore+": \"false\" on "+origin
		case "":
		default:
			return p, v, "annotation " + AnnotationIgnore + " must be \"true\" or \"false\", not " + quote(v.Value)
		}
	}
	return p, nil, ""
}

// unknownAnnotation finds the first annotation under AnnotationPrefix that the tool does
// not read, and words the problem with the annotation it most likely means.
func unknownAnnotation(annotationsNode *yaml.Node) (*yaml.Node, string) {
	if annotationsNode.Kind != yaml.MappingNode {
		return nil, ""
	}
	for i := 0; i+1 < len(annotationsNode.Content); i += 2 {
		key := annotationsNode.Content[i]
		name := strings.TrimSpace(key.Value)
		if !strings.HasPrefix(strings.ToLower(name), AnnotationPrefix) || slices.Contains(annotations, name) {
			continue
		}
		msg := "unknown annotation " + name
		// Compared without the prefix they share, which would make any two names look alike.
		known := make([]string, len(annotations))
		for i, a := range annotations {
			known[i] = strings.TrimPrefix(a, AnnotationPrefix)
		}
		if guess, ok := suggest.Closest(name[len(AnnotationPrefix):], known); ok {
			msg += ": did you mean " + AnnotationPrefix + guess + "?"
		} else {
			msg += ": chart-promoter reads " + strings.Join(annotations, " and ")
		}
		return key, msg + " (this resource's sources are not promoted until it is fixed)"
	}
	return nil, ""
}

// directives are the names a "# chart-promoter:" comment may give.
var directives = []string{"constraint", "ignore"}

// commentPolicy reads chart-promoter directives from the comments around a value.
func commentPolicy(comments ...string) (policy, string) {
	var p policy
	for _, block := range comments {
		for _, line := range strings.Split(block, "\n") {
			text := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "#"))
			if !strings.HasPrefix(text, CommentMarker) {
				continue
			}
			directive := strings.TrimSpace(strings.TrimPrefix(text, CommentMarker))
			// Accept "constraint = ~1.2" as well as "constraint=~1.2".
			if name, value, ok := strings.Cut(directive, "="); ok && (strings.TrimSpace(name) == "constraint" || strings.TrimSpace(name) == "version") {
				directive = strings.TrimSpace(name) + "=" + strings.TrimSpace(value)
			}
			switch {
			case directive == "":
				return p, "comment \"# " + text + "\" gives no directive: write \"# chart-promoter: constraint=RANGE\" or \"# chart-promoter: ignore\" (this source is not promoted until it is fixed)"
			case directive == "ignore":
				p.ignore, p.ignoreOrigin = true, "comment \"# "+text+"\""
			case strings.HasPrefix(directive, "constraint="):
				c := strings.Trim(strings.TrimSpace(strings.TrimPrefix(directive, "constraint=")), `"'`)
				if c == "" {
					return p, "comment \"# " + text + "\" gives an empty constraint: write e.g. \"# chart-promoter: constraint=~1.2\""
				}
				p.constraint, p.constraintOrigin = c, "comment \"# "+text+"\""
			case strings.HasPrefix(directive, "version="):
				v := strings.TrimPrefix(directive, "version=")
				if !safeValueRE.MatchString(v) {
					return p, "comment \"# " + text + "\" does not give a version: chart-promoter writes \"# chart-promoter: version=1.4.2\" after a digest pin"
				}
				p.version = v
			default:
				msg := "unknown directive in comment \"# " + text + "\""
				// The directive's name is its first word; "=ignore" has none, and guesses nothing.
				var name string
				if words := strings.FieldsFunc(directive, func(r rune) bool { return r == '=' || r == ':' || r == ' ' }); len(words) > 0 {
					name = words[0]
				}
				if guess, ok := suggest.Closest(name, directives); ok && guess == "constraint" {
					msg += ": did you mean \"# chart-promoter: constraint=RANGE\"?"
				} else if ok {
					msg += ": did you mean \"# chart-promoter: " + guess + "\"?"
				} else {
					msg += ": write \"# chart-promoter: constraint=RANGE\" or \"# chart-promoter: ignore\""
				}
				return p, msg + " (this source is not promoted until it is fixed)"
			}
		}
	}
	return p, ""
}

func quote(s string) string { return "\"" + s + "\"" }
