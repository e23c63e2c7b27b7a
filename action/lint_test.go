package action

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"github.com/sethvargo/go-githubactions"
	"go.yaml.in/yaml/v3"
)

// repoRoot is the repository holding this package: action.yml and .github live there.
const repoRoot = ".."

func TestWorkflowsPassActionlint(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, ".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows found: %v", err)
	}
	for _, e := range lint(t, files) {
		t.Errorf("%s", e)
	}
}

// shellcheck returns the shellcheck executable. Without it the run: scripts go unchecked,
// which CI must not allow: there (CI=true) its absence fails the test; elsewhere the test
// is skipped, saying how to install it.
func shellcheck(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("shellcheck")
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("shellcheck is not installed, so the run: scripts cannot be checked: .ci/run installs it (apt-get install shellcheck)")
	}
	t.Skip("shellcheck is not installed (apt-get install shellcheck, or brew install shellcheck); CI runs this test")
	return ""
}

func TestWorkflowScriptsPassShellcheck(t *testing.T) {
	sc := shellcheck(t)
	files, err := filepath.Glob(filepath.Join(repoRoot, ".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows found: %v", err)
	}
	for _, e := range lintWith(t, files, sc) {
		t.Errorf("%s", e)
	}
}

// TestShellcheckIsRunOnScripts proves the test above has teeth: an unquoted variable in a
// run: script is reported.
func TestShellcheckIsRunOnScripts(t *testing.T) {
	sc := shellcheck(t)
	errs := lintWith(t, []string{filepath.Join("testdata", "workflows", "unquoted-variable.yml")}, sc)
	found := false
	for _, e := range errs {
		found = found || (e.Kind == "shellcheck" && strings.Contains(e.Message, "SC2086"))
	}
	if !found {
		t.Errorf("shellcheck did not report SC2086; actionlint reported %v", errs)
	}
}

// readmeSnippet is a ```yaml block of README.md.
type readmeSnippet struct {
	line int // of the block's first line of YAML
	text string
}

func readmeSnippets(t *testing.T) []readmeSnippet {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []readmeSnippet
	var cur *readmeSnippet
	var b strings.Builder
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case cur == nil && strings.TrimSpace(line) == "```yaml":
			cur = &readmeSnippet{line: i + 2}
			b.Reset()
		case cur != nil && strings.TrimSpace(line) == "```":
			cur.text = b.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			b.WriteString(line + "\n")
		}
	}
	return out
}

// configSnippet marks the README's examples of the repository config file, which are no
// workflow (package config checks them against the schema).
const configSnippet = "# chart-promoter.yaml"

// asWorkflow turns a README snippet into a workflow actionlint can check: a workflow as
// it stands, a job's body (steps, with permissions) or a list of steps inside a job of one. The published action's name is replaced
// by ./ so that its inputs and outputs are checked against this repository's action.yml.
func asWorkflow(s readmeSnippet) (string, bool) {
	text := strings.ReplaceAll(s.text, "chart-promoter/chart-promoter@v1", "./")
	var doc yaml.Node
	if yaml.Unmarshal([]byte(text), &doc) != nil || len(doc.Content) == 0 {
		return "", false
	}
	root := doc.Content[0]
	switch {
	case root.Kind == yaml.MappingNode && hasKey(root, "jobs") && hasKey(root, "on"):
		return text, true
	case root.Kind == yaml.MappingNode && hasKey(root, "steps"):
		// A job's body: its permissions and steps.
		var b strings.Builder
		b.WriteString("on: workflow_dispatch\njobs:\n  snippet:\n")
		if !hasKey(root, "runs-on") {
			b.WriteString("    runs-on: ubuntu-latest\n")
		}
		for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			b.WriteString("    " + line + "\n")
		}
		return b.String(), true
	case root.Kind == yaml.SequenceNode:
		var b strings.Builder
		b.WriteString("on: workflow_dispatch\npermissions:\n  contents: read\njobs:\n  snippet:\n    runs-on: ubuntu-latest\n    steps:\n")
		for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			b.WriteString("      " + line + "\n")
		}
		return b.String(), true
	}
	return "", false
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// TestReadmeWorkflowSnippetsPassActionlint checks every workflow and list of steps the
// README shows, with shellcheck on their scripts: what a reader copies must work.
func TestReadmeWorkflowSnippetsPassActionlint(t *testing.T) {
	sc := shellcheck(t)
	snippets := readmeSnippets(t)
	if len(snippets) < 5 {
		t.Fatalf("found %d yaml blocks in README.md; the extraction is broken", len(snippets))
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{WorkingDir: root, Shellcheck: sc})
	if err != nil {
		t.Fatal(err)
	}
	project, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, s := range snippets {
		if strings.HasPrefix(s.text, configSnippet+"\n") {
			continue
		}
		checked++
		wf, ok := asWorkflow(s)
		if !ok {
			t.Errorf("README.md:%d: a yaml block that is neither a workflow (on: and jobs:), a job (steps:) nor a list of steps; make it one, so it can be checked", s.line)
			continue
		}
		errs, err := linter.Lint(filepath.Join(root, ".github", "workflows", fmt.Sprintf("readme-line-%d.yml", s.line)), []byte(wf), project)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range errs {
			t.Errorf("README.md snippet at line %d: %s: %s\n%s", s.line, e.Kind, e.Message, wf)
		}
	}
	if checked < 5 {
		t.Errorf("checked %d workflow snippets of README.md; the extraction is broken", checked)
	}
}

// TestActionlintChecksUsesOfThisAction proves the check above has teeth: a workflow that
// uses this action with an unknown input, or reads an output it does not set, fails.
func TestActionlintChecksUsesOfThisAction(t *testing.T) {
	errs := lint(t, []string{filepath.Join("testdata", "workflows", "misuses-the-action.yml")})
	var got []string
	for _, e := range errs {
		got = append(got, e.Message)
	}
	for _, want := range []string{`input "dry_run" is not defined`, `property "pr-number" is not defined`} {
		found := false
		for _, m := range got {
			found = found || strings.Contains(m, want)
		}
		if !found {
			t.Errorf("actionlint did not report %q; it reported:\n%s", want, strings.Join(got, "\n"))
		}
	}
}

// lint runs actionlint on files as a project rooted at the repository, so that `uses: ./`
// is checked against action.yml. Shellcheck and pyflakes stay off: their presence on a
// machine must not change the result (lintWith runs shellcheck).
func lint(t *testing.T, files []string) []*actionlint.Error {
	t.Helper()
	return lintWith(t, files, "")
}

// lintWith is lint with the shellcheck executable sc ("" for none).
func lintWith(t *testing.T, files []string, sc string) []*actionlint.Error {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{WorkingDir: root, Shellcheck: sc})
	if err != nil {
		t.Fatal(err)
	}
	project, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		if files[i], err = filepath.Abs(f); err != nil {
			t.Fatal(err)
		}
	}
	errs, err := linter.LintFiles(files, project)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

// metadata is the part of action.yml this package must agree with.
type metadata struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Inputs      map[string]struct {
		Description string  `yaml:"description"`
		Required    bool    `yaml:"required"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
	Runs struct {
		Using string   `yaml:"using"`
		Image string   `yaml:"image"`
		Args  []string `yaml:"args"`
	} `yaml:"runs"`
}

func readMetadata(t *testing.T) metadata {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var md metadata
	if err := yaml.Unmarshal(data, &md); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return md
}

func TestActionMetadataRunsTheDockerImage(t *testing.T) {
	md := readMetadata(t)
	if md.Name == "" || md.Description == "" {
		t.Errorf("action.yml needs a name and a description")
	}
	if md.Runs.Using != "docker" || md.Runs.Image != "Dockerfile" || !slices.Equal(md.Runs.Args, []string{"action"}) {
		t.Errorf("runs = %+v, want using: docker, image: Dockerfile, args: [action]", md.Runs)
	}
	if _, err := os.Stat(filepath.Join(repoRoot, md.Runs.Image)); err != nil {
		t.Errorf("runs.image: %v", err)
	}
}

func TestActionMetadataDeclaresWhatTheCodeReads(t *testing.T) {
	md := readMetadata(t)
	var declared []string
	for name, in := range md.Inputs {
		declared = append(declared, name)
		if strings.TrimSpace(in.Description) == "" {
			t.Errorf("input %s has no description", name)
		}
		if in.Required {
			t.Errorf("input %s is required: every input has a default or means something when empty", name)
		}
		if name != strings.ToLower(name) || strings.Contains(name, "_") {
			t.Errorf("input %s is not kebab-case", name)
		}
	}
	if got, want := sorted(declared), sorted(InputNames()); !slices.Equal(got, want) {
		t.Errorf("action.yml declares inputs %q\nReadInputs reads %q", got, want)
	}

	declared = nil
	for name, out := range md.Outputs {
		declared = append(declared, name)
		if strings.TrimSpace(out.Description) == "" {
			t.Errorf("output %s has no description", name)
		}
	}
	if got, want := sorted(declared), sorted(OutputNames()); !slices.Equal(got, want) {
		t.Errorf("action.yml declares outputs %q\nWriteOutputs sets %q", got, want)
	}
}

// TestActionMetadataDefaultsMeanWhatTheCodeDoes: the runner passes action.yml's defaults,
// but `docker run` and tests do not, so each default must read the same as an empty input.
func TestActionMetadataDefaultsMeanWhatTheCodeDoes(t *testing.T) {
	md := readMetadata(t)
	for name, in := range md.Inputs {
		if in.Default == nil || strings.Contains(*in.Default, "${{") {
			continue
		}
		t.Run("the default of "+name+" is what an empty "+name+" means", func(t *testing.T) {
			empty, err := ReadInputs(mustAction(baseEnv()))
			if err != nil {
				t.Fatal(err)
			}
			env := baseEnv()
			env[input(name)] = *in.Default
			given, err := ReadInputs(mustAction(env))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(empty, given) {
				t.Errorf("with %s: %q\n got %+v\nwant %+v", name, *in.Default, given, empty)
			}
		})
	}
}

func mustAction(env map[string]string) *githubactions.Action {
	a, _ := newAction(env)
	return a
}
