package action

import (
	"io"
	"os"
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
// machine must not change the result.
func lint(t *testing.T, files []string) []*actionlint.Error {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{WorkingDir: root})
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
