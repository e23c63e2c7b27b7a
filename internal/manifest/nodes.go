package manifest

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxMergeDepth bounds how far merge keys ("<<: *base") are followed, so a hostile file
// cannot make a lookup loop or explode.
const maxMergeDepth = 8

// maxMergeVisits bounds the nodes one lookup visits. An alias may point back at the
// mapping that holds it, so "<<: [*a, *a, …]" with k aliases would make a lookup visit
// k^(maxMergeDepth/2) nodes: a file of a few hundred bytes could stall discovery for hours.
const maxMergeVisits = 64

// lookup returns the value of key in mapping n, or nil.
func lookup(n *yaml.Node, key string) *yaml.Node {
	_, v := lookupPair(n, key)
	return v
}

// lookupPair returns the key and value nodes of key in mapping n, following aliases to
// mappings and merge keys the way YAML 1.1 defines them (own keys win over merged ones).
func lookupPair(n *yaml.Node, key string) (k, v *yaml.Node) {
	budget := maxMergeVisits
	return lookupDepth(n, key, 0, &budget)
}

func lookupDepth(n *yaml.Node, key string, depth int, budget *int) (k, v *yaml.Node) {
	if n == nil || depth > maxMergeDepth || *budget <= 0 {
		return nil, nil
	}
	*budget--
	if n.Kind == yaml.AliasNode {
		return lookupDepth(n.Alias, key, depth+1, budget)
	}
	if n.Kind != yaml.MappingNode {
		return nil, nil
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn := n.Content[i]
		if kn.Kind == yaml.ScalarNode && kn.Value == key && kn.Tag != "!!merge" {
			return kn, n.Content[i+1]
		}
		if kn.Kind == yaml.ScalarNode && kn.Value == "<<" && (kn.Tag == "!!merge" || kn.Style == 0) {
			merges = append(merges, n.Content[i+1])
		}
	}
	for _, m := range merges {
		targets := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			targets = m.Content
		}
		for _, t := range targets {
			if k, v := lookupDepth(t, key, depth+1, budget); v != nil {
				return k, v
			}
		}
	}
	return nil, nil
}

// ownPair is lookupPair without aliases and merge keys: the key as written in n itself.
func ownPair(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if kn := n.Content[i]; kn.Kind == yaml.ScalarNode && kn.Value == key {
			return kn, n.Content[i+1]
		}
	}
	return nil, nil
}

// scalarValue returns a scalar's text (through one alias), or "" for anything else.
func scalarValue(n *yaml.Node) string {
	if n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return strings.TrimSpace(n.Value)
}

func line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// nodeWeight is what one node counts in expandedSize besides its text: about what reading
// it costs next to reading a byte, and what keeping it costs in memory.
const nodeWeight = 16

// expandedSize measures n as it would be with every alias replaced by the node it names:
// nodeWeight for each node plus the bytes of its value and comments, up to a little more
// than limit. An alias back into a node being measured counts only itself: lookups stop
// at such loops on their own (maxMergeDepth, maxMergeVisits). Anchored nodes are measured
// once and remembered in memo, so the cost is one pass over the parsed nodes however far
// the aliases would expand.
func expandedSize(n *yaml.Node, limit int, memo map[*yaml.Node]int) int {
	const inProgress = -1
	if n == nil {
		return 0
	}
	if n.Kind == yaml.AliasNode {
		return min(limit+1, nodeWeight+expandedSize(n.Alias, limit, memo))
	}
	if n.Anchor != "" {
		if size, ok := memo[n]; ok {
			return max(size, 0)
		}
		memo[n] = inProgress
	}
	size := nodeWeight + len(n.Value) + len(n.HeadComment) + len(n.LineComment) + len(n.FootComment)
	for _, c := range n.Content {
		if size > limit {
			break
		}
		size += expandedSize(c, limit, memo)
	}
	size = min(size, limit+1)
	if n.Anchor != "" {
		memo[n] = size
	}
	return size
}

// aliasedSize is what the aliases in n add to it: the expandedSize of the node each alias
// names, once per alias, up to a little more than limit.
func aliasedSize(n *yaml.Node, limit int, memo map[*yaml.Node]int) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.AliasNode {
		return expandedSize(n.Alias, limit, memo)
	}
	size := 0
	for _, c := range n.Content {
		if size > limit {
			break
		}
		size += aliasedSize(c, limit, memo)
	}
	return min(size, limit+1)
}
