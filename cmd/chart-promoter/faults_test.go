package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// faultyFleet is fleetRegistry behind a fault injector.
func faultyFleet(t *testing.T, opts ...testenv.RegistryOption) (*testenv.Registry, *testenv.Faults) {
	t.Helper()
	faults := testenv.NewFaults()
	reg, _ := fleetRegistry(t, true, append([]testenv.RegistryOption{testenv.WithMiddleware(faults.Middleware)}, opts...)...)
	return reg, faults
}

// appliedTree is what the fleet fixture looks like after apply when only webapp could move:
// webapp.yaml as in fleet/out, every other file untouched.
func appliedTree(t *testing.T, host string) map[string]string {
	t.Helper()
	want := snapshot(t, copyFixture(t, "fleet/in", host))
	out := snapshot(t, copyFixture(t, "fleet/out", host))
	want["apps/webapp.yaml"] = out["apps/webapp.yaml"]
	return want
}

func TestAFailingRegistryRepositoryFailsOnlyItsChart(t *testing.T) {
	isolateCLICredentials(t)
	const api = `^/v2/charts/api/`
	tests := []struct {
		name string
		// setup installs the faults on the api chart's repository.
		setup      func(t *testing.T, reg *testenv.Registry, faults *testenv.Faults)
		args       []string
		wantStderr []string
	}{
		{
			name: "a tag list that always answers 503",
			setup: func(_ *testing.T, _ *testenv.Registry, f *testenv.Faults) {
				f.Add("", api+"tags/list$", 0, testenv.Status(503))
			},
			wantStderr: []string{"list tags of", "503", "still failed after 1 retry: try again later"},
		},
		{
			name: "a manifest whose connection is always reset",
			setup: func(_ *testing.T, _ *testenv.Registry, f *testenv.Faults) {
				f.Add("", api+"manifests/", 0, testenv.ResetConnection())
			},
			wantStderr: []string{"fetch manifest 1.0.0 of", "connection reset by peer", "connection was dropped"},
		},
		{
			name: "a tag list that fails on page 3 of 5",
			setup: func(t *testing.T, reg *testenv.Registry, f *testenv.Faults) {
				dgst := reg.PushChart(t, "charts", "api", "0.1.0")
				tags := make([]string, 47)
				for i := range tags {
					tags[i] = fmt.Sprintf("0.2.%d", i)
				}
				reg.TagMany(t, "charts/api", dgst, tags)
				f.Add(http.MethodGet, api+"tags/list$", 0, testenv.Paginate(testenv.Pages{PerPage: 10, FailPage: 3, FailStatus: 502}))
			},
			wantStderr: []string{"list tags of", "502"},
		},
		{
			// A 404 for a tag the list has just named is a registry out of step with itself
			// (replication lag, a deletion race): the chart fails, clearly, rather than moving
			// to an older version that the next run would move past again.
			name: "a manifest that 404s right after the tag list named it fails the chart instead of falling back",
			setup: func(_ *testing.T, _ *testenv.Registry, f *testenv.Faults) {
				f.Add("", api+"manifests/1.0.0$", 0, testenv.Status(404))
			},
			wantStderr: []string{"1.0.0", "was listed but cannot be read", "not found"},
		},
		{
			name:       "a repository slower than --request-timeout",
			setup:      func(_ *testing.T, _ *testenv.Registry, f *testenv.Faults) { f.Add("", api, 0, testenv.Hang()) },
			args:       []string{"--request-timeout", "200ms"},
			wantStderr: []string{"list tags of", "timeout", "--request-timeout of 200ms"},
		},
		{
			name: "a manifest served altered under its digest",
			setup: func(_ *testing.T, _ *testenv.Registry, f *testenv.Faults) {
				f.Add(http.MethodGet, api+"manifests/", 0, testenv.Rewrite(func(code int, _ http.Header, body []byte) (int, []byte) {
					return code, append(body, '\n')
				}))
			},
			wantStderr: []string{"fetch manifest 1.0.0 of", "does not match its digest"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, faults := faultyFleet(t)
			tt.setup(t, reg, faults)
			dir := copyFixture(t, "fleet/in", reg.Host)
			args := append([]string{"apply", "--dir", dir, "--ca-file", reg.CAFile, "--color", "never", "--retries", "1"}, tt.args...)
			res := runCLI(t, "", args...)
			if res.code != exitFailed {
				t.Fatalf("exit %d, want %d\n%s", res.code, exitFailed, res)
			}
			if !strings.Contains(res.stdout, "1 change(s) in 1 file(s)") || !strings.Contains(res.stdout, reg.Host+"/charts/webapp  1.2.3 → 1.2.5") {
				t.Errorf("the webapp change is not reported\n%s", res)
			}
			// The error names the chart as host/repository, and says what went wrong.
			for _, want := range append([]string{reg.Host + "/charts/api"}, tt.wantStderr...) {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("stderr does not mention %q\n%s", want, res)
				}
			}
			if n := strings.Count(res.stderr, "error: "); n != 1 {
				t.Errorf("%d errors on stderr, want 1 (the api chart)\n%s", n, res)
			}
			sameTree(t, "after apply", snapshot(t, dir), appliedTree(t, reg.Host))
		})
	}
}

func TestATransientRegistryFailureIsRetriedAndTheRunSucceeds(t *testing.T) {
	isolateCLICredentials(t)
	reg, faults := faultyFleet(t)
	unavailable := faults.Add("", `^/v2/charts/api/tags/list$`, 2, testenv.Status(503))
	dir := copyFixture(t, "fleet/in", reg.Host)
	res := runCLI(t, "", "apply", "--dir", dir, "--ca-file", reg.CAFile, "--color", "never", "--retries", "2")
	if res.code != exitOK || res.stderr != "" {
		t.Fatalf("exit %d, want %d and no stderr\n%s", res.code, exitOK, res)
	}
	if unavailable.Hits() != 2 {
		t.Errorf("the 503 was answered %d times, want 2", unavailable.Hits())
	}
	sameTree(t, "after apply", snapshot(t, dir), snapshot(t, copyFixture(t, "fleet/out", reg.Host)))
}

func TestTheRunTimeoutStopsAHangingRegistry(t *testing.T) {
	isolateCLICredentials(t)
	reg, faults := faultyFleet(t)
	faults.Add("", `^/v2/`, 0, testenv.Hang())
	dir := copyFixture(t, "fleet/in", reg.Host)
	before := snapshot(t, dir)
	// A request timeout far beyond the test's: only --timeout can end the run.
	res := runCLI(t, "", "apply", "--dir", dir, "--ca-file", reg.CAFile, "--timeout", "300ms", "--request-timeout", "1h")
	if res.code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s", res.code, exitFailed, res)
	}
	if !strings.Contains(res.stderr, "gave up after --timeout 300ms") {
		t.Errorf("stderr does not say the run gave up after --timeout\n%s", res)
	}
	sameTree(t, "after a timed-out apply", snapshot(t, dir), before)
}

func TestRetriesBelowZeroAreRefused(t *testing.T) {
	isolateCLICredentials(t)
	res := runCLI(t, "", "resolve", "oci://registry.test/charts/webapp", "--retries", "-1")
	if res.code != exitUsage || !strings.Contains(res.stderr, "--retries must be 0 or more") {
		t.Errorf("got %s\nwant exit %d and an error about --retries", res, exitUsage)
	}
}

func TestPlainHTTPWarnsOnStderrAndInTheDocument(t *testing.T) {
	isolateCLICredentials(t)
	reg, _ := fleetRegistry(t, true)
	dir := copyFixture(t, "fleet/in", reg.Host)
	const warning = "warning: --plain-http: registry traffic, credentials included, is not encrypted\n"
	for _, args := range [][]string{
		{"resolve", "oci://" + reg.Host + "/charts/webapp", "--plain-http"},
		{"plan", "--json", "--dir", dir, "--plain-http"},
	} {
		res := runCLI(t, "", args...)
		if !strings.HasPrefix(res.stderr, warning) {
			t.Errorf("%v: stderr does not start with the warning\n%s", args, res)
		}
		// On stdout, only the JSON document holds it, in "warnings".
		if strings.Contains(res.stdout, "warning:") {
			t.Errorf("%v: the warning is on stdout as text\n%s", args, res)
		}
		if args[0] == "plan" && !strings.Contains(res.stdout, `"message": "--plain-http: registry traffic`) {
			t.Errorf("%v: the JSON document does not list the warning\n%s", args, res)
		}
	}
	// Without --plain-http there is no warning (and TLS is verified, see the resolve tests).
	if res := runCLI(t, "", "resolve", "oci://"+reg.Host+"/charts/webapp", "--ca-file", reg.CAFile); res.code != exitOK || res.stderr != "" {
		t.Errorf("resolve over TLS: %s", res)
	}
}

func TestAnotherRegistrysCAIsNotTrustedForThisOne(t *testing.T) {
	isolateCLICredentials(t)
	reg, _ := fleetRegistry(t, false)
	other := testenv.StartRegistry(t)
	res := runCLI(t, "", "resolve", "oci://"+reg.Host+"/charts/webapp", "--ca-file", other.CAFile)
	if res.code != exitFailed || !strings.Contains(res.stderr, "TLS verification failed") {
		t.Errorf("resolve with another registry's CA: %s\nwant exit 1 and a TLS verification error", res)
	}
}

// authLog records the Authorization headers a registry receives.
type authLog struct {
	mu      sync.Mutex
	headers []string
}

func (a *authLog) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := r.Header.Get("Authorization"); h != "" {
			a.mu.Lock()
			a.headers = append(a.headers, h)
			a.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// credentials returns the credential part of every Authorization header seen ("Basic X" → X).
func (a *authLog) credentials() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, h := range a.headers {
		if _, cred, ok := strings.Cut(h, " "); ok && !slices.Contains(out, cred) {
			out = append(out, cred)
		}
	}
	return out
}

// misbehavingRegistry starts a registry with auth whose repository faults/NAME (each with
// versions 1.0.0 and 1.1.0) misbehaves as the fixture testdata/faults names say, and a
// blob store on another origin for faults/redirected. It returns the registry, the blob
// store, a host that faults/foreign-link points its Link at, and a CA file trusting both
// the registry and the blob store.
func misbehavingRegistry(t *testing.T, auth testenv.RegistryOption, log *authLog) (reg *testenv.Registry, store, elsewhere *testenv.OtherHost, caFile string) {
	t.Helper()
	faults := testenv.NewFaults()
	reg = testenv.StartRegistry(t, auth, testenv.WithMiddleware(log.middleware), testenv.WithMiddleware(faults.Middleware))
	blobs := map[string][]byte{}
	var blobsMu sync.Mutex
	store = testenv.StartOtherHost(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		blobsMu.Lock()
		data, ok := blobs[strings.TrimPrefix(r.URL.Path, "/bucket/")]
		blobsMu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(data)
	}))
	elsewhere = testenv.StartOtherHost(t, nil)
	for _, name := range []string{"ok", "redirected", "unavailable", "throttled", "reset", "missing", "echoed", "foreign-link", "huge-list", "slow"} {
		for _, v := range []string{"1.0.0", "1.1.0"} {
			reg.PushChart(t, "faults", name, v)
		}
	}
	// Copy the blobs of faults/redirected into the store, as a registry backed by S3 holds them there.
	repo := reg.Repository(t, "faults/redirected")
	for _, tag := range []string{"1.0.0", "1.1.0"} {
		for dgst, data := range chartBlobs(t, repo, tag) {
			blobs[dgst] = data
		}
	}

	const repoPrefix = `^/v2/faults/`
	faults.Add(http.MethodGet, repoPrefix+`redirected/blobs/`, 0, testenv.Redirect(http.StatusTemporaryRedirect, func(r *http.Request) string {
		return store.URL + "/bucket/" + r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:] + "?X-Amz-Signature=presigned"
	}))
	faults.Add("", repoPrefix+`unavailable/`, 0, testenv.Status(http.StatusServiceUnavailable, "Retry-After", "0"))
	faults.Add("", repoPrefix+`throttled/manifests/`, 0, testenv.Status(http.StatusTooManyRequests, "Retry-After", "3600"))
	faults.Add("", repoPrefix+`reset/manifests/`, 0, testenv.ResetConnection())
	faults.Add("", repoPrefix+`missing/manifests/`, 0, testenv.Status(http.StatusNotFound))
	faults.Add(http.MethodGet, repoPrefix+`foreign-link/tags/list$`, 0, testenv.Paginate(testenv.Pages{PerPage: 1, LinkOrigin: elsewhere.URL}))
	faults.Add(http.MethodGet, repoPrefix+`huge-list/tags/list$`, 0, testenv.HugeTagList(50<<20))
	faults.Add("", repoPrefix+`slow/`, 0, testenv.Hang())
	// A proxy that repeats the request's credentials in its errors and in a Content-Type.
	echo := func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r) // let the registry challenge the client first
			return
		}
		_, cred, _ := strings.Cut(h, " ")
		w.Header().Set("Content-Type", "application/vnd.echo."+cred+"+json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{
			"code": "DENIED", "message": "you sent " + h, "detail": map[string]string{"authorization": h, "decoded": decodeBasic(cred)},
		}}})
	}
	faults.Add("", repoPrefix+`echoed/manifests/`, 0, echo)
	// Every other tag list read with credentials is echoed too, so that the runs see both.
	var echoes sync.Mutex
	listed := 0
	faults.Add(http.MethodGet, repoPrefix+`echoed/tags/list$`, 0, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		echoes.Lock()
		if r.Header.Get("Authorization") != "" {
			listed++
		}
		odd := listed%2 == 1
		echoes.Unlock()
		if odd && r.Header.Get("Authorization") != "" {
			echo(w, r, next)
			return
		}
		next.ServeHTTP(w, r)
	})
	reg.Requests.Reset()

	pem, err := os.ReadFile(reg.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	pem = append(pem, certPEM(store)...)
	if err := os.WriteFile(caFile, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	return reg, store, elsewhere, caFile
}

// chartBlobs returns the config and layer blobs of repo:tag by digest.
func chartBlobs(t *testing.T, repo *remote.Repository, tag string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	_, raw, err := oras.FetchBytes(ctx, repo, tag, oras.DefaultFetchBytesOptions)
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, desc := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
		data, err := content.FetchAll(ctx, repo, desc)
		if err != nil {
			t.Fatal(err)
		}
		out[desc.Digest.String()] = data
	}
	return out
}

// certPEM returns the certificate of o in PEM, for a --ca-file.
func certPEM(o *testenv.OtherHost) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: o.Certificate().Raw})
}

func decodeBasic(cred string) string {
	b, _ := base64.StdEncoding.DecodeString(cred)
	return string(b)
}

func TestNoSecretLeaksFromARegistryThatFailsInEveryWay(t *testing.T) {
	const user, password = "ci-bot", "Pw-Recognisable-7Qx2m"
	for _, auth := range []struct {
		name string
		opt  testenv.RegistryOption
	}{
		{"basic auth", testenv.WithBasicAuth(user, password)},
		{"token auth", testenv.WithTokenAuth(user, password)},
	} {
		t.Run(auth.name, func(t *testing.T) {
			isolateCLICredentials(t)
			log := &authLog{}
			reg, store, elsewhere, caFile := misbehavingRegistry(t, auth.opt, log)
			dir := copyFixture(t, "faults/in", reg.Host)
			common := []string{"--ca-file", caFile, "--retries", "1", "--request-timeout", "300ms"}
			fromStdin := []string{"--username", user, "--password-stdin"}
			host := []string{"--registry-host", reg.Host}

			type run struct {
				name  string
				args  []string
				stdin string
				env   bool // the credentials come from CHART_PROMOTER_REGISTRY_*
			}
			runs := []run{
				{name: "plan", args: slices.Concat([]string{"plan", "--dir", dir, "--color", "always"}, fromStdin, host), stdin: password + "\n"},
				{name: "plan --json", args: slices.Concat([]string{"plan", "--json", "--dir", dir}, host), env: true},
				{name: "apply", args: slices.Concat([]string{"apply", "--dir", dir, "--verbose", "--color", "never"}, host), env: true},
			}
			// Each chart is resolved once, with the credentials from stdin and from the
			// environment in turn; plan and apply above met every failure with both.
			for i, name := range []string{"ok", "redirected", "unavailable", "throttled", "reset", "missing", "echoed", "foreign-link", "huge-list", "slow"} {
				r := run{name: "resolve " + name, args: []string{"resolve", "oci://" + reg.Host + "/faults/" + name, "--json"}, env: i%2 == 1}
				if !r.env {
					r.args, r.stdin = append(r.args, fromStdin...), password
				}
				runs = append(runs, r)
			}

			var written strings.Builder
			for _, r := range runs {
				if r.env {
					t.Setenv(envUsername, user)
					t.Setenv(envPassword, password)
				} else {
					os.Unsetenv(envUsername)
					os.Unsetenv(envPassword)
				}
				res := runCLI(t, r.stdin, append(r.args, common...)...)
				fmt.Fprintf(&written, "=== %s\n%s\n", r.name, res)
				wantCode := exitFailed
				if r.name == "resolve ok" || r.name == "resolve redirected" {
					wantCode = exitOK
				}
				if res.code != wantCode {
					t.Errorf("%s: exit %d, want %d\n%s", r.name, res.code, wantCode, res)
				}
			}
			os.Unsetenv(envUsername)
			os.Unsetenv(envPassword)

			// Every failure is its chart's alone: the two charts that could be read are written.
			want := snapshot(t, copyFixture(t, "faults/in", reg.Host))
			for name, data := range snapshot(t, copyFixture(t, "faults/out", reg.Host)) {
				want[name] = data
			}
			got := snapshot(t, dir)
			sameTree(t, "after apply", got, want)
			for name, data := range got {
				fmt.Fprintf(&written, "=== file %s\n%s\n", name, data)
			}

			secrets := map[string]string{
				"the password":                       password,
				"user:password in base64":            base64.StdEncoding.EncodeToString([]byte(user + ":" + password)),
				"user:password in unpadded base64":   base64.RawStdEncoding.EncodeToString([]byte(user + ":" + password)),
				"the password in base64":             base64.StdEncoding.EncodeToString([]byte(password)),
				"a distinctive part of the password": "Recognisable",
			}
			for i, cred := range log.credentials() {
				secrets[fmt.Sprintf("credential %d the registry received", i)] = cred
			}
			if len(log.credentials()) == 0 {
				t.Fatal("the registry never received credentials: the test proves nothing")
			}
			out := written.String()
			for what, secret := range secrets {
				if strings.Contains(out, secret) {
					i := strings.Index(out, secret)
					t.Errorf("%s appears in what the runs wrote, e.g. …%s…", what, out[max(0, i-200):min(len(out), i+len(secret)+50)])
				}
			}
			if n := elsewhere.Count(); n > 0 {
				t.Errorf("the host of the foreign Link was sent %d request(s)", n)
			}
			if store.Count() == 0 {
				t.Error("the blob store was never asked: the redirect was not followed")
			}
			if got := store.Authorizations(); len(got) > 0 {
				t.Errorf("the blob store on another origin was sent Authorization headers %q", got)
			}
			for _, r := range reg.Requests.All() {
				if !strings.HasPrefix(r, "GET ") && !strings.HasPrefix(r, "HEAD ") {
					t.Errorf("the registry was sent %q; the commands only read", r)
				}
			}
			if t.Failed() {
				t.Logf("everything the runs wrote:\n%s", out)
			}
		})
	}
}
