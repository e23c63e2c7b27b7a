// Package suggest finds what a user most likely meant when a name they wrote is unknown:
// the "did you mean" of an annotation, a comment directive or a chart reference.
package suggest

import "strings"

// Closest returns the candidate nearest to word by edit distance (insertions, deletions,
// substitutions and swaps of neighbours, ignoring case), if one is near enough to be a
// typo: at most a third of word's length, and at least 1, edits away. Ties go to the
// earlier candidate, so callers pass candidates in a stable order.
func Closest(word string, candidates []string) (string, bool) {
	limit := max(1, len([]rune(word))/3)
	best, bestDistance := "", limit+1
	w := strings.ToLower(word)
	for _, c := range candidates {
		if c == word {
			continue
		}
		if d := distance(w, strings.ToLower(c)); d < bestDistance {
			best, bestDistance = c, d
		}
	}
	return best, best != ""
}

// Distance is the edit distance between a and b that Closest uses, ignoring case.
func Distance(a, b string) int { return distance(strings.ToLower(a), strings.ToLower(b)) }

// distance is the optimal string alignment distance between a and b, counted in runes.
func distance(a, b string) int {
	s, t := []rune(a), []rune(b)
	// rows holds the last three rows of the dynamic programme.
	prev2 := make([]int, len(t)+1)
	prev := make([]int, len(t)+1)
	cur := make([]int, len(t)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(s); i++ {
		cur[0] = i
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(t)]
}
