package manifest

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// parsedAsString asks the parser itself whether value, written plain, reads back as the
// string value: what resolvesToString answers, without its shortcut.
func parsedAsString(value string) bool {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("v: "+value), &n); err != nil || len(n.Content) == 0 {
		return false
	}
	m := n.Content[0]
	return len(m.Content) == 2 && m.Content[1].Kind == yaml.ScalarNode && m.Content[1].ShortTag() == "!!str" && m.Content[1].Value == value
}

func TestTheDottedNumbersShortcutAgreesWithTheParser(t *testing.T) {
	t.Parallel()
	values := []string{
		"1.2.3", "0.0.0", "01.02.03", "1.2.3.4", "2024.01.15.1", "10.200.3000",
		// Not the shortcut's to answer: the parser decides.
		"1.2", "1", "1.", ".1.2", "1..2", "1.2.", "1.2.3-rc.1", "1.2.3+b.1", "1.2.3_b.1", "1e3", "1.2e3", "v1.2.3", "",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		parts := make([]string, 2+rng.IntN(4))
		for i := range parts {
			parts[i] = strconv.Itoa(rng.IntN(100000))
			if rng.IntN(8) == 0 {
				parts[i] = "0" + parts[i]
			}
		}
		values = append(values, strings.Join(parts, "."))
	}
	for _, v := range values {
		if isDottedNumbers(v) && !parsedAsString(v) {
			t.Errorf("%q: the shortcut calls it a string, the parser does not", v)
		}
		if got, want := resolvesToString(v), parsedAsString(v); got != want {
			t.Errorf("resolvesToString(%q) = %v, the parser says %v", v, got, want)
		}
	}
	for _, v := range []string{"1.2", "1.2.", "1..2", "1.2.3-rc.1", ""} {
		if isDottedNumbers(v) {
			t.Errorf("isDottedNumbers(%q) = true, want false", v)
		}
	}
}
