package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readmeExampleMarker starts every config example in the README, so that this test finds
// them all and a reader knows which file a snippet is.
const readmeExampleMarker = "# chart-promoter.yaml"

// TestReadmeConfigExamplesAreValid parses every ```yaml block of README.md that starts with
// "# chart-promoter.yaml" as a config file in testdata/readme, where the files they refer
// to are.
func TestReadmeConfigExamplesAreValid(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := yamlBlocks(string(data))
	var examples []string
	for _, b := range blocks {
		if strings.HasPrefix(b, readmeExampleMarker+"\n") {
			examples = append(examples, b)
		}
	}
	if len(examples) < 2 {
		t.Fatalf("found %d config examples in README.md (of %d yaml blocks), want the reference example and the one of merging", len(examples), len(blocks))
	}
	file := filepath.Join("testdata", "readme", FileName)
	for i, ex := range examples {
		cfg, err := Parse(file, []byte(ex))
		if err != nil {
			t.Errorf("README config example %d does not load:\n%v\n%s", i+1, err, ex)
			continue
		}
		if len(cfg.Rules) == 0 && len(cfg.Stages) == 0 {
			t.Errorf("README config example %d has neither rules nor stages:\n%s", i+1, ex)
		}
	}
}

// yamlBlocks returns the contents of the ```yaml fenced blocks of a Markdown text.
func yamlBlocks(md string) []string {
	var out []string
	var b strings.Builder
	in := false
	for _, line := range strings.Split(md, "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "```yaml":
			in = true
			b.Reset()
		case in && strings.TrimSpace(line) == "```":
			in = false
			out = append(out, b.String())
		case in:
			b.WriteString(line + "\n")
		}
	}
	return out
}

// TestReadmeDocumentsEveryKeyOfTheSchema keeps the README's reference complete: every key
// the schema allows is named there.
func TestReadmeDocumentsEveryKeyOfTheSchema(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	v, err := newValidator()
	if err != nil {
		t.Fatal(err)
	}
	defs, _ := v.raw["definitions"].(map[string]any)
	keys := v.propertiesAt("#")
	for name := range defs {
		keys = append(keys, v.propertiesAt("#/definitions/"+name)...)
	}
	for _, k := range keys {
		if !strings.Contains(readme, "`"+k+"`") && !strings.Contains(readme, "."+k+"`") {
			t.Errorf("README.md does not document the config key %q", k)
		}
	}
}
