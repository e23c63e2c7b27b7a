package main

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// canaryToken is the workflow's token in the secret tests: recognisable, so that any byte
// of it the tool writes anywhere is found.
const canaryToken = "ghs_CANARYsecret0123456789abcdefghijklmno"

// promoteWorld is a GitOps repository with the fleet fixture on a real Git server, a
// depth-1 checkout of it, a fake GitHub, and the registry the fixture names. gitToken and
// ghToken are what the Git server and the fake GitHub accept; the run is given runToken.
type promoteWorld struct {
	reg   *testenv.Registry
	git   *testenv.GitServer
	gh    *testenv.FakeGitHub
	clone string
	// files the runner hands an Action step.
	output, summary, event string
}

func newPromoteWorld(t *testing.T, gitToken, ghToken, runToken string, gitOpts []testenv.GitServerOption, ghOpts ...testenv.FakeGitHubOption) *promoteWorld {
	t.Helper()
	isolateCLICredentials(t)
	reg, _ := fleetRegistry(t, true)
	w := &promoteWorld{reg: reg}
	w.git = testenv.StartGitServer(t, append([]testenv.GitServerOption{testenv.WithGitBasicAuth("x-access-token", gitToken)}, gitOpts...)...)
	w.git.CreateRepo(t, "gitops", snapshot(t, copyFixture(t, filepath.Join("fleet", "in"), reg.Host)))
	w.clone = w.git.Clone(t, "gitops", testenv.CloneDepth(1))
	w.gh = testenv.StartFakeGitHub(t, ghToken, ghOpts...)
	w.gh.AddRepo("acme", "gitops", "main")

	dir := t.TempDir()
	w.output, w.summary, w.event = filepath.Join(dir, "output"), filepath.Join(dir, "summary.md"), filepath.Join(dir, "event.json")
	if err := os.WriteFile(w.event, []byte(`{"schedule": "17 6 * * 1-5"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITHUB_TOKEN", runToken)
	t.Setenv("GH_TOKEN", "")
	t.Setenv("GITHUB_API_URL", w.gh.URL)
	// What the runner gives an Action step, working directory included.
	for k, v := range map[string]string{
		"GITHUB_REPOSITORY": "acme/gitops", "GITHUB_EVENT_NAME": "schedule", "GITHUB_EVENT_PATH": w.event,
		"GITHUB_OUTPUT": w.output, "GITHUB_STEP_SUMMARY": w.summary,
		"INPUT_TOKEN": runToken, "INPUT_GITHUB-API-URL": w.gh.URL, "INPUT_CA-FILE": reg.CAFile, "INPUT_BASE": "main",
	} {
		t.Setenv(k, v)
	}
	return w
}

func (w *promoteWorld) promote(t *testing.T, extra ...string) cliResult {
	t.Helper()
	args := append([]string{"promote", "--dir", w.clone, "--repo", "acme/gitops", "--base", "main", "--ca-file", w.reg.CAFile, "--color", "never"}, extra...)
	return runCLI(t, "", args...)
}

func (w *promoteWorld) action(t *testing.T, extra ...string) cliResult {
	t.Helper()
	t.Chdir(w.clone)
	return runCLI(t, "", append([]string{"action"}, extra...)...)
}

// hangingAPI accepts every GitHub API request and never answers, until the client leaves.
func hangingAPI(http.Handler) http.Handler {
	return http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the server notices a client that left only then
		<-r.Context().Done()
	})
}

func TestAHangingGitHubAPIEndsTheRunWithinItsTimeout(t *testing.T) {
	tests := []struct {
		name       string
		run        func(t *testing.T, w *promoteWorld) cliResult
		wantOutput []string
	}{
		{
			name:       "promote gives up after --timeout",
			run:        func(t *testing.T, w *promoteWorld) cliResult { return w.promote(t, "--timeout", "1s") },
			wantOutput: []string{"gave up after --timeout 1s", "re-run, or raise --timeout"},
		},
		{
			name: "promote asking for the default branch gives up after --timeout",
			run: func(t *testing.T, w *promoteWorld) cliResult {
				return runCLI(t, "", "promote", "--dir", w.clone, "--repo", "acme/gitops", "--ca-file", w.reg.CAFile, "--timeout", "1s")
			},
			wantOutput: []string{"error: gave up after --timeout 1s: read repository acme/gitops"},
		},
		{
			name: "promote gives up on each request after --request-timeout",
			run: func(t *testing.T, w *promoteWorld) cliResult {
				// One chart, so one group's reads (each tried 4 times) end the run.
				return w.promote(t, "--chart", "oci://"+w.reg.Host+"/charts/webapp", "--request-timeout", "200ms", "--timeout", "1h")
			},
			wantOutput: []string{"GitHub did not answer within the request timeout of 200ms"},
		},
		{
			name:       "the Action gives up after its --timeout",
			run:        func(t *testing.T, w *promoteWorld) cliResult { return w.action(t, "--timeout", "1s") },
			wantOutput: []string{"::error::gave up after --timeout 1s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newPromoteWorld(t, promoteToken, promoteToken, promoteToken, nil, testenv.WithFakeGitHubMiddleware(hangingAPI))
			start := time.Now()
			r := tt.run(t, w)
			took := time.Since(start)
			if r.code != exitFailed {
				t.Errorf("exit %d, want %d\n%s", r.code, exitFailed, r)
			}
			// Far below any default timeout (30s per request, 10m or 30m per run), so it was
			// the timeout given that ended the run.
			if took > 20*time.Second {
				t.Errorf("the run took %s", took.Round(time.Second))
			}
			for _, want := range tt.wantOutput {
				if !strings.Contains(r.stdout+r.stderr, want) {
					t.Errorf("the output lacks %q\n%s", want, r)
				}
			}
		})
	}
}

func TestATokenNeverLeaksWhateverFailsInAPromotion(t *testing.T) {
	const otherToken = "ghs_otherToken0123456789abcdefghijklmnopq"
	rejectPushes := func(t *testing.T, w *promoteWorld) {
		hooks := filepath.Join(w.git.Git(t, "gitops", "rev-parse", "--absolute-git-dir"), "hooks")
		hook := "#!/bin/sh\necho 'GH006: Protected branch update failed: changes must be made through a pull request.' >&2\nexit 1\n"
		if err := os.MkdirAll(hooks, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(hooks, "pre-receive"), []byte(hook), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	scenarios := []struct {
		name            string
		gitToken, ghTok string
		setup           func(t *testing.T, w *promoteWorld)
		wantCode        int
		wantOutput      string
	}{
		{name: "git refuses the token", gitToken: otherToken, ghTok: canaryToken, wantCode: exitFailed, wantOutput: "authentication required"},
		{name: "GitHub answers Bad credentials", gitToken: canaryToken, ghTok: otherToken, wantCode: exitFailed, wantOutput: "Bad credentials"},
		{name: "the push is rejected", gitToken: canaryToken, ghTok: canaryToken, setup: rejectPushes, wantCode: exitFailed, wantOutput: "push"},
		{name: "everything works", gitToken: canaryToken, ghTok: canaryToken, wantCode: exitOK, wantOutput: "opened"},
	}
	leaks := map[string]string{
		"the token":                        canaryToken,
		"the token in base64":              base64.StdEncoding.EncodeToString([]byte(canaryToken)),
		"basic auth's base64":              base64.StdEncoding.EncodeToString([]byte("x-access-token:" + canaryToken)),
		"basic auth's base64 (unpadded)":   base64.RawStdEncoding.EncodeToString([]byte("x-access-token:" + canaryToken)),
		"the token URL-escaped":            url.QueryEscape(canaryToken),
		"the token's distinctive middle":   canaryToken[4:24],
		"basic auth's base64, as URL-safe": base64.URLEncoding.EncodeToString([]byte("x-access-token:" + canaryToken)),
	}
	for _, sc := range scenarios {
		for _, mode := range []string{"promote", "action"} {
			t.Run(sc.name+", "+mode, func(t *testing.T) {
				w := newPromoteWorld(t, sc.gitToken, sc.ghTok, canaryToken, nil)
				if sc.setup != nil {
					sc.setup(t, w)
				}
				var r cliResult
				if mode == "promote" {
					r = w.promote(t)
				} else {
					r = w.action(t)
				}
				if r.code != sc.wantCode || !strings.Contains(r.stdout+r.stderr, sc.wantOutput) {
					t.Errorf("exit %d, want %d, with %q in the output\n%s", r.code, sc.wantCode, sc.wantOutput, r)
				}

				stdout := r.stdout
				if mode == "action" {
					// The one place the token may appear: the mask command, the first line.
					first, rest, _ := strings.Cut(stdout, "\n")
					if first != "::add-mask::"+canaryToken {
						t.Errorf("the first line is %q, want the token's mask", first)
					}
					stdout = rest
				}
				places := map[string]string{"stdout": stdout, "stderr": r.stderr}
				for name, file := range map[string]string{"GITHUB_OUTPUT": w.output, "GITHUB_STEP_SUMMARY": w.summary} {
					data, err := os.ReadFile(file)
					if err != nil && !os.IsNotExist(err) {
						t.Fatal(err)
					}
					places[name] = string(data)
				}
				places["commits on the server"] = w.git.Git(t, "gitops", "log", "--all", "--format=%H %an %ae %cn %ce%n%B")
				places["refs on the server"] = w.git.Git(t, "gitops", "for-each-ref")
				config, err := os.ReadFile(filepath.Join(w.clone, ".git", "config"))
				if err != nil {
					t.Fatal(err)
				}
				places["the checkout's .git/config"] = string(config)
				places["the checkout's refs"] = w.git.GitIn(t, w.clone, "for-each-ref")
				for _, pr := range w.gh.PullRequests("acme", "gitops") {
					places["PR #"+strconv.Itoa(pr.Number)] = pr.Title + "\n" + pr.Body + "\n" + pr.Head + "\n" + strings.Join(w.gh.Comments("acme", "gitops", pr.Number), "\n")
				}
				if sc.wantCode == exitOK && len(w.gh.PullRequests("acme", "gitops")) == 0 {
					t.Errorf("no pull request was opened to search")
				}
				for where, text := range places {
					for what, secret := range leaks {
						if strings.Contains(text, secret) {
							t.Errorf("%s is in %s:\n%s", what, where, text)
						}
					}
				}
			})
		}
	}
}
