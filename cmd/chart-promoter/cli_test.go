package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// cliFixtureHost is the registry host the fixtures under testdata are written with; each
// copy replaces it with the test registry's 127.0.0.1:PORT.
const cliFixtureHost = "registry.test"

// cliResult is what one in-process run of the command printed and returned.
type cliResult struct {
	code           int
	stdout, stderr string
}

func (r cliResult) String() string {
	return "exit " + strconv.Itoa(r.code) + "\n--- stdout\n" + r.stdout + "\n--- stderr\n" + r.stderr
}

// runCLI runs the command line in-process with stdin as its standard input.
func runCLI(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, strings.NewReader(stdin), &stdout, &stderr)
	return cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// isolateCLICredentials keeps the developer's docker and Helm logins, and any
// CHART_PROMOTER_REGISTRY_* variables, out of the run. Tests that call it cannot be parallel.
func isolateCLICredentials(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("HELM_REGISTRY_CONFIG", filepath.Join(dir, "helm-registry.json"))
	for _, name := range []string{envUsername, envPassword} {
		t.Setenv(name, "")
		os.Unsetenv(name) // t.Setenv restores the original value afterwards
	}
}

// fleetRegistry starts a registry with the charts the fleet fixture uses: webapp always,
// api only when withAPI is set.
func fleetRegistry(t *testing.T, withAPI bool, opts ...testenv.RegistryOption) (*testenv.Registry, map[string]string) {
	t.Helper()
	reg := testenv.StartRegistry(t, opts...)
	digests := map[string]string{}
	for _, v := range []string{"1.2.3", "1.2.5", "1.3.0"} {
		digests["webapp:"+v] = reg.PushChart(t, "charts", "webapp", v, testenv.WithAppVersion("5.0.1"))
	}
	if withAPI {
		for _, v := range []string{"0.9.0", "1.0.0"} {
			digests["api:"+v] = reg.PushChart(t, "charts", "api", v)
		}
	}
	reg.Requests.Reset()
	return reg, digests
}

// copyFixture copies testdata/NAME to a temporary directory for reg and returns it.
func copyFixture(t *testing.T, name, host string) string {
	t.Helper()
	src := filepath.Join("testdata", name)
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), bytes.ReplaceAll(data, []byte(cliFixtureHost), []byte(host)), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		data, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %s is\n%s\nwant\n%s", what, name, got[name], w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: unexpected file %s", what, name)
		}
	}
}

func TestExitStatusSaysWhetherEverythingWasDone(t *testing.T) {
	isolateCLICredentials(t)
	complete, _ := fleetRegistry(t, true)
	partial, _ := fleetRegistry(t, false)
	completeDir := copyFixture(t, "fleet/in", complete.Host)
	partialDir := copyFixture(t, "fleet/in", partial.Host)

	tests := []struct {
		name       string
		args       []string
		want       int
		wantStdout []string
		wantStderr []string
	}{
		{
			name:       "a plan with changes exits 0 and prints them",
			args:       []string{"plan", "--dir", completeDir, "--ca-file", complete.CAFile, "--color", "never"},
			want:       exitOK,
			wantStdout: []string{"2 change(s) in 2 file(s)", complete.Host + "/charts/webapp  1.2.3 → 1.2.5", complete.Host + "/charts/api  0.9.0 → 1.0.0"},
		},
		{
			name:       "a chart missing from the registry exits 1, and the other chart is still printed",
			args:       []string{"plan", "--dir", partialDir, "--ca-file", partial.CAFile, "--color", "never"},
			want:       exitFailed,
			wantStdout: []string{"1 change(s) in 1 file(s)", partial.Host + "/charts/webapp  1.2.3 → 1.2.5", "1 error(s)"},
			wantStderr: []string{"error: " + partial.Host + "/charts/api: list tags of " + partial.Host + "/charts/api", "not found"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, "", tt.args...)
			if res.code != tt.want {
				t.Fatalf("exit %d, want %d\n%s", res.code, tt.want, res)
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(res.stdout, want) {
					t.Errorf("stdout does not contain %q\n%s", want, res)
				}
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("stderr does not contain %q\n%s", want, res)
				}
			}
			if len(tt.wantStderr) == 0 && res.stderr != "" {
				t.Errorf("unexpected stderr:\n%s", res.stderr)
			}
		})
	}
}

func TestBadUsageExitsTwoAndDoesNothing(t *testing.T) {
	isolateCLICredentials(t)
	reg, _ := fleetRegistry(t, true)
	dir := copyFixture(t, "fleet/in", reg.Host)
	before := snapshot(t, dir)
	common := []string{"--dir", dir, "--ca-file", reg.CAFile}
	chart := "oci://" + reg.Host + "/charts/webapp"

	tests := []struct {
		name  string
		args  []string
		stdin string
		// wantStderr are substrings of the error, which must say what to do.
		wantStderr []string
	}{
		{name: "an unknown flag is refused", args: append([]string{"plan", "--frobnicate"}, common...), wantStderr: []string{"unknown flag: --frobnicate"}},
		{name: "an unknown command is refused", args: []string{"deploy"}, wantStderr: []string{`unknown command "deploy"`}},
		{name: "an unknown colour mode is refused", args: append([]string{"plan", "--color", "bogus"}, common...), wantStderr: []string{`--color must be auto, always or never, not "bogus"`}},
		{name: "an invalid --constraint for plan is refused", args: append([]string{"plan", "--constraint", "newest please"}, common...), wantStderr: []string{"--constraint", `invalid constraint "newest please"`, `"~1.2"`}},
		{name: "an invalid --constraint for apply is refused", args: append([]string{"apply", "--constraint", ">>1"}, common...), wantStderr: []string{"--constraint", `invalid constraint ">>1"`}},
		{name: "an invalid --constraint for resolve is refused", args: []string{"resolve", chart, "--constraint", "newest please", "--ca-file", reg.CAFile}, wantStderr: []string{"--constraint", `invalid constraint "newest please"`}},
		{name: "a mirror without a target is refused", args: append([]string{"plan", "--mirror", "ghcr.io"}, common...), wantStderr: []string{`--mirror "ghcr.io"`, "HOST=TARGET"}},
		{name: "--password-stdin without a username is refused", args: append([]string{"plan", "--password-stdin"}, common...), stdin: "s3cret\n", wantStderr: []string{"--password-stdin needs --username"}},
		{name: "a username without a password is refused", args: append([]string{"plan", "--username", "ci", "--registry-host", reg.Host}, common...), wantStderr: []string{`registry username "ci" given without a password`, "--password-stdin"}},
		{name: "a username with no registry to send it to is refused", args: append([]string{"plan", "--username", "ci", "--password-stdin"}, common...), stdin: "s3cret\n", wantStderr: []string{"--registry-host"}},
		{name: "a missing --dir is refused", args: []string{"plan", "--dir", filepath.Join(dir, "missing"), "--ca-file", reg.CAFile}, wantStderr: []string{"--dir", "is not a readable directory"}},
		{name: "a stray argument to plan is refused", args: append([]string{"plan", "apps"}, common...), wantStderr: []string{`unexpected argument "apps"`}},
		{name: "resolve without a chart is refused", args: []string{"resolve", "--ca-file", reg.CAFile}, wantStderr: []string{"resolve takes one chart reference", "oci://"}},
		{name: "resolve with two charts is refused", args: []string{"resolve", chart, chart}, wantStderr: []string{"resolve takes one chart reference"}},
		{name: "resolve of a tagged reference is refused", args: []string{"resolve", chart + ":1.2.3"}, wantStderr: []string{"names a tag or digest"}},
		{name: "a concurrency below one is refused", args: append([]string{"plan", "--concurrency", "0"}, common...), wantStderr: []string{"--concurrency must be at least 1"}},
		{name: "a concurrency above the cap is refused", args: append([]string{"plan", "--concurrency", "257"}, common...), wantStderr: []string{"--concurrency must be at most 256"}},
		{name: "a malformed --include glob is refused", args: append([]string{"plan", "--include", "apps/[a.yaml"}, common...), wantStderr: []string{"--include", "is malformed: check that every '[' and '{' is closed"}},
		{name: "a --chart that is not a repository is refused", args: append([]string{"plan", "--chart", "webapp"}, common...), wantStderr: []string{"--chart", "host/path/name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg.Requests.Reset()
			res := runCLI(t, tt.stdin, tt.args...)
			if res.code != exitUsage {
				t.Fatalf("exit %d, want %d\n%s", res.code, exitUsage, res)
			}
			if res.stdout != "" {
				t.Errorf("stdout is not empty:\n%s", res.stdout)
			}
			if !strings.HasPrefix(res.stderr, "error: ") || !strings.HasSuffix(res.stderr, "Run 'chart-promoter --help' for usage.\n") {
				t.Errorf("stderr is not one error and the pointer to --help:\n%s", res.stderr)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("stderr does not mention %q:\n%s", want, res.stderr)
				}
			}
			if n := reg.Requests.Count(nil); n > 0 {
				t.Errorf("the registry was asked %d time(s); bad usage must do nothing", n)
			}
		})
	}
	sameTree(t, "after the bad command lines", snapshot(t, dir), before)
}

// contractFields are the JSON names of a change that users' pipelines read.
var contractFields = []string{"file", "line", "application", "kind", "chart", "from", "to", "digest", "constraint"}

func TestJSONIsOneObjectAndNothingElse(t *testing.T) {
	isolateCLICredentials(t)
	complete, digests := fleetRegistry(t, true)
	partial, _ := fleetRegistry(t, false)

	tests := []struct {
		name        string
		reg         *testenv.Registry
		fixture     string // "" for an empty directory
		want        int
		wantChanges int
		wantErrors  int
	}{
		{name: "a plan with changes", reg: complete, fixture: "fleet/in", want: exitOK, wantChanges: 2},
		{name: "a plan with a failed chart still prints the changes it made", reg: partial, fixture: "fleet/in", want: exitFailed, wantChanges: 1, wantErrors: 1},
		{name: "an empty tree gives empty arrays, not null", reg: complete, want: exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.fixture != "" {
				dir = copyFixture(t, tt.fixture, tt.reg.Host)
			}
			res := runCLI(t, "", "plan", "--json", "--dir", dir, "--ca-file", tt.reg.CAFile)
			if res.code != tt.want {
				t.Fatalf("exit %d, want %d\n%s", res.code, tt.want, res)
			}
			dec := json.NewDecoder(strings.NewReader(res.stdout))
			var doc map[string]json.RawMessage
			if err := dec.Decode(&doc); err != nil {
				t.Fatalf("stdout is not a JSON object: %v\n%s", err, res.stdout)
			}
			if dec.More() {
				t.Errorf("stdout holds more than one JSON value:\n%s", res.stdout)
			}
			var keys []string
			for k := range doc {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, []string{"changes", "errors", "skipped", "warnings"}) {
				t.Errorf("keys = %v, want [changes errors skipped warnings]", keys)
			}
			arrays := map[string][]map[string]any{}
			for _, k := range []string{"changes", "skipped", "errors", "warnings"} {
				var items []map[string]any
				if raw := bytes.TrimSpace(doc[k]); len(raw) == 0 || raw[0] != '[' {
					t.Errorf("%s = %s, want an array", k, raw)
				} else if err := json.Unmarshal(raw, &items); err != nil {
					t.Errorf("%s: %v", k, err)
				}
				arrays[k] = items
			}
			if len(arrays["changes"]) != tt.wantChanges || len(arrays["errors"]) != tt.wantErrors {
				t.Errorf("%d change(s), %d error(s); want %d, %d", len(arrays["changes"]), len(arrays["errors"]), tt.wantChanges, tt.wantErrors)
			}
			for i, c := range arrays["changes"] {
				for _, f := range contractFields {
					if v, ok := c[f]; !ok || v == "" || v == nil {
						t.Errorf("change %d: contract field %q is missing or empty: %v", i, f, c)
					}
				}
			}
			if len(arrays["changes"]) > 0 {
				c := arrays["changes"][0]
				want := map[string]any{
					"file": "apps/api.yaml", "line": 11.0, "application": "api", "kind": "Application",
					"chart": tt.reg.Host + "/charts/api", "from": "0.9.0", "to": "1.0.0", "digest": digests["api:1.0.0"], "constraint": "*",
				}
				if tt.wantErrors > 0 {
					want = map[string]any{
						"file": "apps/webapp.yaml", "line": 14.0, "application": "webapp", "kind": "Application",
						"chart": tt.reg.Host + "/charts/webapp", "from": "1.2.3", "to": "1.2.5", "constraint": "~1.2",
					}
				}
				for k, v := range want {
					if c[k] != v {
						t.Errorf("changes[0].%s = %v, want %v", k, c[k], v)
					}
				}
			}
			if tt.wantErrors > 0 && !strings.Contains(res.stderr, "error: ") {
				t.Errorf("the error is not on stderr:\n%s", res.stderr)
			}
		})
	}
}

func TestResolvePrintsTheNewestAllowedVersionAndItsDigest(t *testing.T) {
	isolateCLICredentials(t)
	reg, digests := fleetRegistry(t, true)
	build := reg.PushChart(t, "charts", "webapp", "1.2.6+b.2")
	reg.PushImage(t, "charts/webapp", "1.2.7")
	chart := "oci://" + reg.Host + "/charts/webapp"

	t.Run("the text form is the version, a tab and the digest", func(t *testing.T) {
		res := runCLI(t, "", "resolve", chart, "--constraint", "~1.2", "--ca-file", reg.CAFile)
		if res.code != exitOK {
			t.Fatalf("exit %d\n%s", res.code, res)
		}
		if want := "1.2.6+b.2\t" + build + "\n"; res.stdout != want {
			t.Errorf("stdout = %q, want %q", res.stdout, want)
		}
	})
	t.Run("the JSON form names the chart, version, tag and digest", func(t *testing.T) {
		res := runCLI(t, "", "resolve", chart, "--constraint", "~1.2", "--json", "--ca-file", reg.CAFile)
		if res.code != exitOK {
			t.Fatalf("exit %d\n%s", res.code, res)
		}
		var got struct {
			Chart, Version, Tag, Digest, Constraint string
			Metadata                                struct{ Name, Version string }
		}
		if err := json.Unmarshal([]byte(res.stdout), &got); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, res.stdout)
		}
		if got.Chart != reg.Host+"/charts/webapp" || got.Version != "1.2.6+b.2" || got.Tag != "1.2.6_b.2" || got.Digest != build ||
			got.Constraint != "~1.2" || got.Metadata.Version != "1.2.6+b.2" {
			t.Errorf("resolve --json = %+v", got)
		}
	})
	t.Run("no constraint means the newest release", func(t *testing.T) {
		res := runCLI(t, "", "resolve", chart, "--ca-file", reg.CAFile)
		if want := "1.3.0\t" + digests["webapp:1.3.0"] + "\n"; res.code != exitOK || res.stdout != want {
			t.Errorf("got %s\nwant stdout %q", res, want)
		}
	})
	t.Run("a --mirror serves a chart named by its public host", func(t *testing.T) {
		res := runCLI(t, "", "resolve", "oci://ghcr.io/acme/webapp", "--constraint", "~1.2", "--json",
			"--mirror", "ghcr.io/acme="+reg.Host+"/charts", "--ca-file", reg.CAFile)
		var got struct{ Chart, Version, Digest string }
		if err := json.Unmarshal([]byte(res.stdout), &got); res.code != exitOK || err != nil {
			t.Fatalf("got %s", res)
		}
		if got.Chart != "ghcr.io/acme/webapp" || got.Version != "1.2.6+b.2" || got.Digest != build {
			t.Errorf("resolve through the mirror = %+v, want ghcr.io/acme/webapp 1.2.6+b.2 %s", got, build)
		}
	})
	t.Run("a constraint nothing satisfies exits 1 naming the chart", func(t *testing.T) {
		res := runCLI(t, "", "resolve", chart, "--constraint", ">=7", "--ca-file", reg.CAFile)
		if res.code != exitFailed || res.stdout != "" || !strings.Contains(res.stderr, reg.Host+"/charts/webapp: no chart version among") {
			t.Errorf("got %s", res)
		}
	})
	t.Run("a registry whose CA is not trusted exits 1 with a hint about --ca-file", func(t *testing.T) {
		res := runCLI(t, "", "resolve", chart)
		if res.code != exitFailed || !strings.Contains(res.stderr, "--ca-file") {
			t.Errorf("got %s", res)
		}
	})
}

func TestCredentialsFromStdinAreUsedAndNeverPrinted(t *testing.T) {
	isolateCLICredentials(t)
	const user, secret = "ci-bot", "Pa55-Recognisable-S3cret"
	reg, _ := fleetRegistry(t, true, testenv.WithBasicAuth(user, secret))
	dir := copyFixture(t, "fleet/in", reg.Host)
	chart := "oci://" + reg.Host + "/charts/webapp"

	tests := []struct {
		name       string
		args       []string
		stdin      string
		want       int
		wantStdout string
		wantStderr string
	}{
		{
			name:       "resolve logs in with the password from stdin",
			args:       []string{"resolve", chart, "--username", user, "--password-stdin", "--ca-file", reg.CAFile},
			stdin:      secret + "\n",
			want:       exitOK,
			wantStdout: "1.3.0\t",
		},
		{
			name:       "plan logs in to the --registry-host with the password from stdin",
			args:       []string{"plan", "--dir", dir, "--username", user, "--password-stdin", "--registry-host", reg.Host, "--ca-file", reg.CAFile},
			stdin:      secret,
			want:       exitOK,
			wantStdout: "2 change(s) in 2 file(s)",
		},
		{
			name:       "plan logs in to the host of --chart with the password from stdin",
			args:       []string{"plan", "--dir", dir, "--chart", chart, "--username", user, "--password-stdin", "--ca-file", reg.CAFile},
			stdin:      secret + "\r\n",
			want:       exitOK,
			wantStdout: "1 change(s) in 1 file(s)",
		},
		{
			name:       "a wrong password fails naming the flags it came from",
			args:       []string{"resolve", chart, "--username", user, "--password-stdin", "--ca-file", reg.CAFile},
			stdin:      "not-the-" + secret,
			want:       exitFailed,
			wantStderr: "from --username and --password-stdin were rejected",
		},
		{
			name:       "credentials for another host are not sent",
			args:       []string{"resolve", chart, "--username", user, "--password-stdin", "--registry-host", "ghcr.io", "--ca-file", reg.CAFile},
			stdin:      secret,
			want:       exitFailed,
			wantStderr: "log in",
		},
		{
			name:       "no credentials fail with a hint to log in",
			args:       []string{"plan", "--dir", dir, "--ca-file", reg.CAFile},
			want:       exitFailed,
			wantStderr: "log in",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, tt.stdin, tt.args...)
			if res.code != tt.want {
				t.Fatalf("exit %d, want %d\n%s", res.code, tt.want, res)
			}
			if !strings.Contains(res.stdout, tt.wantStdout) || !strings.Contains(res.stderr, tt.wantStderr) {
				t.Errorf("want stdout with %q and stderr with %q\n%s", tt.wantStdout, tt.wantStderr, res)
			}
			for _, out := range []string{res.stdout, res.stderr} {
				if strings.Contains(out, "S3cret") || strings.Contains(out, "Recognisable") {
					t.Errorf("the password appears in the output:\n%s", res)
				}
			}
		})
	}
}

// diffLine matches a changed line of a unified diff, not its file headers.
var diffLine = regexp.MustCompile(`(?m)^[-+](?:[^-+].*)?$`)

func TestPlanShowsTheDiffAndApplyWritesIt(t *testing.T) {
	isolateCLICredentials(t)
	reg, _ := fleetRegistry(t, true)
	ansi := regexp.MustCompile("\x1b\\[[0-9;]*m")

	tests := []struct {
		name      string
		command   string
		color     string
		wantColor bool
		wantTree  string // the fixture the tree must equal afterwards
		wantWords string
	}{
		{name: "plan changes nothing and prints a plain diff", command: "plan", color: "never", wantTree: "fleet/in", wantWords: "2 change(s) in 2 file(s)"},
		{name: "plan with --color=always colours the diff", command: "plan", color: "always", wantColor: true, wantTree: "fleet/in", wantWords: "2 change(s) in 2 file(s)"},
		{name: "plan with --color=auto does not colour a pipe", command: "plan", color: "auto", wantTree: "fleet/in", wantWords: "2 change(s) in 2 file(s)"},
		{name: "apply writes the edits and prints the same diff", command: "apply", color: "never", wantTree: "fleet/out", wantWords: "2 change(s) in 2 file(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyFixture(t, "fleet/in", reg.Host)
			res := runCLI(t, "", tt.command, "--dir", dir, "--ca-file", reg.CAFile, "--color", tt.color)
			if res.code != exitOK {
				t.Fatalf("exit %d\n%s", res.code, res)
			}
			if res.stderr != "" {
				t.Errorf("unexpected stderr:\n%s", res.stderr)
			}
			if got := ansi.MatchString(res.stdout); got != tt.wantColor {
				t.Errorf("ANSI escapes in stdout: %v, want %v\n%s", got, tt.wantColor, res.stdout)
			}
			plain := ansi.ReplaceAllString(res.stdout, "")
			if !strings.Contains(plain, tt.wantWords) {
				t.Errorf("stdout does not say %q:\n%s", tt.wantWords, plain)
			}
			for _, header := range []string{"--- a/apps/api.yaml", "+++ b/apps/api.yaml", "--- a/apps/webapp.yaml", "+++ b/apps/webapp.yaml"} {
				if !strings.Contains(plain, header+"\n") {
					t.Errorf("the diff has no %q header:\n%s", header, plain)
				}
			}
			changed := diffLine.FindAllString(plain, -1)
			want := []string{
				`-    targetRevision: "0.9.0"`,
				`+    targetRevision: "1.0.0"`,
				`-    targetRevision: 1.2.3 # bumped by chart-promoter`,
				`+    targetRevision: 1.2.5 # bumped by chart-promoter`,
			}
			if !slices.Equal(changed, want) {
				t.Errorf("the diff changes\n%s\nwant only the targetRevision lines\n%s", strings.Join(changed, "\n"), strings.Join(want, "\n"))
			}
			sameTree(t, "after "+tt.command, snapshot(t, dir), snapshot(t, copyFixture(t, tt.wantTree, reg.Host)))
		})
	}
}

func TestApplyWithAFailedChartStillWritesTheRest(t *testing.T) {
	isolateCLICredentials(t)
	reg, _ := fleetRegistry(t, false)
	dir := copyFixture(t, "fleet/in", reg.Host)
	res := runCLI(t, "", "apply", "--dir", dir, "--ca-file", reg.CAFile, "--color", "never")
	if res.code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s", res.code, exitFailed, res)
	}
	if !strings.Contains(res.stderr, reg.Host+"/charts/api") || !strings.Contains(res.stdout, "1 change(s) in 1 file(s), 0 up to date, 0 skipped, 1 error(s)") {
		t.Errorf("want the api error on stderr and the webapp change on stdout\n%s", res)
	}
	got := snapshot(t, dir)
	in, out := snapshot(t, copyFixture(t, "fleet/in", reg.Host)), snapshot(t, copyFixture(t, "fleet/out", reg.Host))
	if got["apps/webapp.yaml"] != out["apps/webapp.yaml"] {
		t.Errorf("webapp.yaml was not written:\n%s", got["apps/webapp.yaml"])
	}
	if got["apps/api.yaml"] != in["apps/api.yaml"] {
		t.Errorf("api.yaml changed although its chart failed:\n%s", got["apps/api.yaml"])
	}
}
