package action

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/chart-promoter/chart-promoter/internal/promote"
)

// newAction returns an Action that reads env instead of the process environment and
// writes its workflow commands to the returned buffer.
func newAction(env map[string]string) (*githubactions.Action, *bytes.Buffer) {
	var out bytes.Buffer
	a := githubactions.New(
		githubactions.WithWriter(&out),
		githubactions.WithGetenv(func(k string) string { return env[k] }),
	)
	return a, &out
}

// input returns the environment variable the runner sets for an input: INPUT_ and the
// name upper-cased, hyphens kept.
func input(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// baseEnv is a valid environment of a run in acme/gitops.
func baseEnv() map[string]string {
	return map[string]string{
		"GITHUB_REPOSITORY": "acme/gitops",
		input("token"):      "ghs_0123456789abcdefghijklmnopqrstuvwxyz",
	}
}

// loadResult reads a promotion result from testdata/results: {"plan": …, "proposals": …}.
func loadResult(t *testing.T, name string) *promote.Result {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "results", name))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Plan      promote.Plan       `json:"plan"`
		Proposals []promote.Proposal `json:"proposals"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &promote.Result{Plan: &f.Plan, Proposals: f.Proposals}
}

// commandLines splits an Action's output into its lines.
func commandLines(out *bytes.Buffer) []string {
	s := strings.TrimRight(out.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
