package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/promote"
)

// withConfig copies the fleet for host and puts the config fixture named file at the
// slash path at (relative to the copy; "" leaves it out). It returns the copy.
func withConfig(t *testing.T, host, file, at string) string {
	t.Helper()
	dir := copyFixture(t, "fleet/in", host)
	if at == "" {
		return dir
	}
	data, err := os.ReadFile(filepath.Join("testdata", "config", file))
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, filepath.FromSlash(at))
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte(strings.ReplaceAll(string(data), cliFixtureHost, host)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTheConfigFileIsReadFromTheRootFromGithubOrFromConfig(t *testing.T) {
	isolateCLICredentials(t)
	reg, _ := fleetRegistry(t, true)
	elsewhere := filepath.Join(t.TempDir(), "policy.yaml")
	data, err := os.ReadFile(filepath.Join("testdata", "config", "chart-promoter.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(elsewhere, []byte(strings.ReplaceAll(string(data), cliFixtureHost, reg.Host)), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		at     string
		extra  []string
		origin string // the constraintOrigin of the webapp change; "" when no config applies
	}{
		{name: "without a config file the plan is what it always was", at: ""},
		{name: "chart-promoter.yaml at the scanned root", at: "chart-promoter.yaml"},
		{name: ".github/chart-promoter.yaml", at: ".github/chart-promoter.yaml"},
		{name: "--config FILE anywhere", extra: []string{"--config", elsewhere}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := withConfig(t, reg.Host, "chart-promoter.yaml", tt.at)
			res := runCLI(t, "", append([]string{"plan", "--json", "--dir", dir, "--ca-file", reg.CAFile}, tt.extra...)...)
			if res.code != exitOK {
				t.Fatalf("exit %d\n%s", res.code, res)
			}
			var plan promote.Plan
			if err := json.Unmarshal([]byte(res.stdout), &plan); err != nil {
				t.Fatalf("stdout is not the plan's JSON: %v\n%s", err, res)
			}
			configured := tt.at != "" || len(tt.extra) > 0
			var api *promote.Skip
			for i, s := range plan.Skipped {
				if strings.HasSuffix(s.Chart, "/charts/api") {
					api = &plan.Skipped[i]
				}
			}
			switch {
			case configured && (len(plan.Changes) != 1 || api == nil || !strings.Contains(api.Reason, "<1 allows")):
				t.Errorf("with the config, want one change (webapp) and api up to date under <1; got changes %+v, skipped %+v", plan.Changes, plan.Skipped)
			case !configured && len(plan.Changes) != 2:
				t.Errorf("without a config, want the two changes of the fleet; got %+v", plan.Changes)
			}
			if configured && api != nil && !api.UpToDate {
				t.Errorf("api is skipped, not up to date: %+v", api)
			}
		})
	}
}

func TestABadConfigFileExitsTwoWithEveryProblemOnItsLine(t *testing.T) {
	isolateCLICredentials(t)
	reg, _ := fleetRegistry(t, true)
	dir := withConfig(t, reg.Host, "bad.yaml", "chart-promoter.yaml")
	before := snapshot(t, dir)
	file := filepath.Join(dir, "chart-promoter.yaml")
	for _, args := range [][]string{
		{"plan", "--dir", dir, "--ca-file", reg.CAFile},
		{"apply", "--dir", dir, "--ca-file", reg.CAFile},
		{"explain", "--dir", dir, "--ca-file", reg.CAFile, "webapp"},
		{"promote", "--repo", "acme/gitops", "--dry-run", "--dir", dir, "--ca-file", reg.CAFile},
	} {
		t.Run(args[0], func(t *testing.T) {
			reg.Requests.Reset()
			res := runCLI(t, "", args...)
			if res.code != exitUsage {
				t.Fatalf("exit %d, want %d\n%s", res.code, exitUsage, res)
			}
			want := "error: " + file + `:3:5: rules[0]: unknown key "constriant": did you mean "constraint"?` + "\n" +
				"error: " + file + `:5:24: rules[1].minimumReleaseAge: duration "3 days": unknown unit " days": use d, h, m, s, ms, us or ns` + "\n"
			if res.stderr != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", res.stderr, want)
			}
			if res.stdout != "" {
				t.Errorf("stdout is not empty:\n%s", res.stdout)
			}
			if n := reg.Requests.Count(nil); n > 0 {
				t.Errorf("the registry was asked %d time(s); a bad config must stop the run before anything is done", n)
			}
		})
	}
	sameTree(t, "after runs with a bad config", snapshot(t, dir), before)
}

func TestExplainSaysWhichSettingDecidedAndWhatThePlanDoes(t *testing.T) {
	isolateCLICredentials(t)
	reg, _ := fleetRegistry(t, true)
	dir := withConfig(t, reg.Host, "chart-promoter.yaml", "chart-promoter.yaml")
	common := []string{"--dir", dir, "--ca-file", reg.CAFile, "--color", "never"}

	t.Run("the annotation wins over a rule, and the plan's change is shown", func(t *testing.T) {
		res := runCLI(t, "", append([]string{"explain", "webapp"}, common...)...)
		if res.code != exitOK {
			t.Fatalf("exit %d\n%s", res.code, res)
		}
		for _, want := range []string{
			"apps/webapp.yaml:14  Application webapp",
			`rules[0] (line 3) applies: charts "oci://` + reg.Host + `/charts/*" matches ` + reg.Host + "/charts/webapp",
			`rules[1] (line 5) does not apply: charts ["` + reg.Host + `/charts/api"] do not match`,
			"constraint                 ~1.2  ← annotation chart-promoter.io/constraint on Application webapp",
			"over ^1 from rules[0] (chart-promoter.yaml:4)",
			"result  1.2.3 → 1.2.5",
		} {
			if !strings.Contains(res.stdout, want) {
				t.Errorf("stdout does not contain %q\n%s", want, res)
			}
		}
	})
	t.Run("FILE:LINE finds the source, the later rule wins, and up to date is said with why", func(t *testing.T) {
		res := runCLI(t, "", append([]string{"explain", "apps/api.yaml:11"}, common...)...)
		if res.code != exitOK {
			t.Fatalf("exit %d\n%s", res.code, res)
		}
		for _, want := range []string{
			"constraint                 <1  ← rules[1] (chart-promoter.yaml:6)",
			"over ^1 from rules[0] (chart-promoter.yaml:4)",
			"result  up to date: 0.9.0 is the newest version <1 allows",
		} {
			if !strings.Contains(res.stdout, want) {
				t.Errorf("stdout does not contain %q\n%s", want, res)
			}
		}
	})
	t.Run("--json is one object with every field's origin", func(t *testing.T) {
		res := runCLI(t, "", append([]string{"explain", "--json", "api"}, common...)...)
		if res.code != exitOK {
			t.Fatalf("exit %d\n%s", res.code, res)
		}
		var e promote.Explanation
		if err := json.Unmarshal([]byte(res.stdout), &e); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, res)
		}
		if len(e.Sources) != 1 || e.Sources[0].Outcome == nil || e.Sources[0].Outcome.Result != "up to date" {
			t.Fatalf("sources = %+v, want api, up to date", e.Sources)
		}
		c := e.Sources[0].Policy[0]
		if c.Field != "constraint" || c.Value != "<1" || c.From != "rules[1] (chart-promoter.yaml:6)" || len(c.Over) != 1 || c.Over[0].Value != "^1" {
			t.Errorf("constraint = %+v, want <1 from rules[1] over ^1", c)
		}
		if e.Config == "" || len(e.Precedence) != 5 {
			t.Errorf("config %q, precedence %q: want the file and five levels", e.Config, e.Precedence)
		}
	})
	t.Run("--offline explains the policy without asking the registry", func(t *testing.T) {
		reg.Requests.Reset()
		res := runCLI(t, "", append([]string{"explain", "--offline", "api"}, common...)...)
		if res.code != exitOK {
			t.Fatalf("exit %d\n%s", res.code, res)
		}
		if !strings.Contains(res.stdout, "not planned (--offline)") || !strings.Contains(res.stdout, "<1  ← rules[1]") {
			t.Errorf("stdout:\n%s", res)
		}
		if n := reg.Requests.Count(nil); n > 0 {
			t.Errorf("the registry was asked %d time(s) with --offline", n)
		}
	})
	t.Run("an unknown Application is a usage error that suggests the name meant", func(t *testing.T) {
		res := runCLI(t, "", append([]string{"explain", "webap"}, common...)...)
		if res.code != exitUsage || !strings.Contains(res.stderr, `did you mean "webapp"?`) {
			t.Errorf("exit %d, want %d with a suggestion\n%s", res.code, exitUsage, res)
		}
	})
	t.Run("a line without a targetRevision is a usage error that lists the lines that have one", func(t *testing.T) {
		res := runCLI(t, "", append([]string{"explain", "apps/api.yaml:3"}, common...)...)
		if res.code != exitUsage || !strings.Contains(res.stderr, "apps/api.yaml has no targetRevision on line 3; its chart sources are on line(s) 11") {
			t.Errorf("exit %d, want %d listing line 11\n%s", res.code, exitUsage, res)
		}
	})
}
