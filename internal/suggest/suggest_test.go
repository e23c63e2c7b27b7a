package suggest

import "testing"

func TestClosest(t *testing.T) {
	tests := []struct {
		name       string
		word       string
		candidates []string
		want       string
	}{
		{name: "swapped letters are one edit", word: "constriant", candidates: []string{"ignore", "constraint"}, want: "constraint"},
		{name: "a missing letter is one edit", word: "constrain", candidates: []string{"constraint", "ignore"}, want: "constraint"},
		{name: "a chart repository with a letter short", word: "ghcr.io/acme/charts/webap", candidates: []string{"ghcr.io/acme/charts/api", "ghcr.io/acme/charts/webapp"}, want: "ghcr.io/acme/charts/webapp"},
		{name: "case does not count", word: "IGNORE", candidates: []string{"ignore"}, want: "ignore"},
		{name: "a word far from every candidate has no suggestion", word: "sync-wave", candidates: []string{"constraint", "ignore"}, want: ""},
		{name: "the word itself is no suggestion", word: "ignore", candidates: []string{"ignore"}, want: ""},
		{name: "no candidates, no suggestion", word: "x", want: ""},
		{name: "a tie goes to the earlier candidate", word: "ab", candidates: []string{"ac", "ad"}, want: "ac"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Closest(tt.word, tt.candidates)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Closest(%q, %q) = %q, %v; want %q", tt.word, tt.candidates, got, ok, tt.want)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"ab", "ba", 1}, {"déjà", "deja", 2}} {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
