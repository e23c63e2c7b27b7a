package registry_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"

	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// newClient returns a client that trusts reg's CA, with opts added.
func newClient(t *testing.T, reg *testenv.Registry, opts ...registry.Option) *registry.Client {
	t.Helper()
	c, err := registry.New(append([]registry.Option{registry.WithRootCAs(reg.CertPool)}, opts...)...)
	if err != nil {
		t.Fatalf("registry.New: %v", err)
	}
	return c
}

// isolateCredentials points docker's and Helm's credential files at an empty temporary
// directory, so that neither the developer's logins nor another test's leak in.
func isolateCredentials(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("HELM_REGISTRY_CONFIG", filepath.Join(dir, "no-helm-registry.json"))
	return dir
}

// writeAuthConfig writes a docker-style config.json that holds user:password for host.
func writeAuthConfig(t *testing.T, path, host, user, password string) {
	t.Helper()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	data := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, host, auth)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTagsListsEveryTagOfTheRepository(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t)
	reg.PushChart(t, "charts", "webapp", "1.0.0")
	reg.PushChart(t, "charts", "webapp", "1.1.0")
	reg.PushChart(t, "charts", "webapp", "2.0.0+b.1")
	reg.PushImage(t, "charts/webapp", "latest")
	dgst := reg.PushChart(t, "charts", "fleet", "0.0.1")
	// More tags than one page of Distribution's tag list holds (1,000): the client must
	// follow the Link header to the end.
	many := make([]string, 1500)
	for i := range many {
		many[i] = fmt.Sprintf("0.1.%d", i)
	}
	reg.TagMany(t, "charts/fleet", dgst, many)

	tests := []struct {
		name  string
		chart string
		want  []string
	}{
		{
			name:  "charts, a build-metadata tag and a container image are all listed",
			chart: reg.Host + "/charts/webapp",
			want:  []string{"1.0.0", "1.1.0", "2.0.0_b.1", "latest"},
		},
		{
			name:  "a tag list longer than one page is followed to the end",
			chart: reg.Host + "/charts/fleet",
			want:  append([]string{"0.0.1"}, many...),
		},
	}
	client := newClient(t, reg)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := client.Tags(context.Background(), tt.chart)
			if err != nil {
				t.Fatalf("Tags(%s): %v", tt.chart, err)
			}
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("Tags(%s) returned %d tags, want %d; first ones %v", tt.chart, len(got), len(want), got[:min(len(got), 5)])
			}
		})
	}
}

func TestChartReadsTheDigestAndTheChartMetadata(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t)
	annotations := map[string]string{"team": "storefront", "artifacthub.io/changes": "- fixed things"}
	plain := reg.PushChart(t, "charts", "webapp", "1.2.3",
		testenv.WithAppVersion("4.5.6"), testenv.WithDescription("The storefront."), testenv.WithAnnotations(annotations))
	build := reg.PushChart(t, "charts", "webapp", "2.1.0+b.6", testenv.WithAppVersion("5.0.0"))

	tests := []struct {
		name string
		tag  string
		want registry.ChartVersion
	}{
		{
			name: "a release carries its digest, appVersion, description and annotations",
			tag:  "1.2.3",
			want: registry.ChartVersion{Tag: "1.2.3", Digest: plain, Metadata: registry.Metadata{
				Name: "webapp", Version: "1.2.3", AppVersion: "4.5.6", Description: "The storefront.", Annotations: annotations,
			}},
		},
		{
			name: "a build stored under an underscore tag keeps its plus in the metadata",
			tag:  "2.1.0_b.6",
			want: registry.ChartVersion{Tag: "2.1.0_b.6", Digest: build, Metadata: registry.Metadata{
				Name: "webapp", Version: "2.1.0+b.6", AppVersion: "5.0.0", Description: "A chart made by testenv.",
			}},
		},
	}
	client := newClient(t, reg)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := client.Chart(context.Background(), reg.Host+"/charts/webapp", tt.tag)
			if err != nil {
				t.Fatalf("Chart: %v", err)
			}
			if got.Tag != tt.want.Tag || got.Digest != tt.want.Digest {
				t.Errorf("Chart = tag %q digest %s, want tag %q digest %s (what Helm pushed)", got.Tag, got.Digest, tt.want.Tag, tt.want.Digest)
			}
			m, w := got.Metadata, tt.want.Metadata
			if m.Name != w.Name || m.Version != w.Version || m.AppVersion != w.AppVersion || m.Description != w.Description {
				t.Errorf("metadata = %+v, want %+v", m, w)
			}
			if len(w.Annotations) > 0 && !maps.Equal(m.Annotations, w.Annotations) {
				t.Errorf("annotations = %v, want %v", m.Annotations, w.Annotations)
			}
			if !strings.Contains(got.Location, reg.Host+"/charts/webapp") {
				t.Errorf("location = %q, want the repository it was read from", got.Location)
			}
		})
	}
}

func TestChartAndTagsFailWithErrorsThatSayWhatAndWhere(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t)
	reg.PushChart(t, "charts", "webapp", "1.0.0")
	reg.PushImage(t, "charts/webapp", "1.1.0")
	client := newClient(t, reg)
	ctx := context.Background()

	tests := []struct {
		name         string
		call         func() error
		wantNotChart bool
		wantIn       []string
	}{
		{
			name:         "a container image tag is not a chart",
			call:         func() error { _, err := client.Chart(ctx, reg.Host+"/charts/webapp", "1.1.0"); return err },
			wantNotChart: true,
			wantIn:       []string{reg.Host + "/charts/webapp:1.1.0", "application/vnd.oci.image.config.v1+json"},
		},
		{
			name:   "the tags of a missing repository are not found, and the repository is named",
			call:   func() error { _, err := client.Tags(ctx, reg.Host+"/charts/missing"); return err },
			wantIn: []string{reg.Host + "/charts/missing", "not found"},
		},
		{
			name:   "a missing tag is not found, and the tag is named",
			call:   func() error { _, err := client.Chart(ctx, reg.Host+"/charts/webapp", "9.9.9"); return err },
			wantIn: []string{reg.Host + "/charts/webapp", "9.9.9", "not found"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, registry.ErrNotChart); got != tt.wantNotChart {
				t.Errorf("errors.Is(err, ErrNotChart) = %v, want %v (err: %v)", got, tt.wantNotChart, err)
			}
			for _, want := range tt.wantIn {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

// authRecorder records the Authorization header of every request a registry serves.
type authRecorder struct {
	mu      sync.Mutex
	headers []string
}

func (a *authRecorder) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.headers = append(a.headers, r.Header.Get("Authorization"))
		a.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (a *authRecorder) reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.headers = nil
}

func (a *authRecorder) anySent() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.ContainsFunc(a.headers, func(h string) bool { return h != "" })
}

func (a *authRecorder) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.headers)
}

// Credential tests set environment variables, so they do not run in parallel.
func TestCredentialsAreFoundWhereHelmAndDockerKeepThem(t *testing.T) {
	const user, password = "ci-bot", "s3cret-passw0rd"
	type setup struct {
		host string // the registry's host
		dir  string // an empty temporary directory, also $DOCKER_CONFIG
	}
	tests := []struct {
		name  string
		token bool
		// creds returns the credential options, after writing any files and variables.
		creds func(t *testing.T, s setup) registry.CredentialOptions
		// wantErr is a substring of the error, "" for success.
		wantErr string
		// wantNoAuthorization says that the registry must never see an Authorization header.
		wantNoAuthorization bool
	}{
		{
			name:                "an anonymous request to a basic-auth registry fails with a hint to log in",
			creds:               func(*testing.T, setup) registry.CredentialOptions { return registry.CredentialOptions{} },
			wantErr:             "no credentials for this registry: log in with `helm registry login`",
			wantNoAuthorization: true,
		},
		{
			name: "explicit credentials for the registry's host are used",
			creds: func(_ *testing.T, s setup) registry.CredentialOptions {
				return registry.CredentialOptions{Username: user, Password: password, Hosts: []string{s.host}}
			},
		},
		{
			name: "explicit credentials for another host are never sent",
			creds: func(_ *testing.T, s setup) registry.CredentialOptions {
				return registry.CredentialOptions{Username: user, Password: password, Hosts: []string{"ghcr.io"}}
			},
			wantErr:             "no credentials for this registry",
			wantNoAuthorization: true,
		},
		{
			name: "wrong explicit credentials fail naming where they came from",
			creds: func(_ *testing.T, s setup) registry.CredentialOptions {
				return registry.CredentialOptions{Username: user, Password: "wrong", Hosts: []string{s.host}, ExplicitSource: "--username and --password-stdin"}
			},
			wantErr: "from --username and --password-stdin were rejected",
		},
		{
			name: "stale docker credentials fail naming docker's config",
			creds: func(t *testing.T, s setup) registry.CredentialOptions {
				writeAuthConfig(t, filepath.Join(s.dir, "config.json"), s.host, user, "stale")
				return registry.CredentialOptions{}
			},
			wantErr: "config.json were rejected",
		},
		{
			name: "Helm's registry login wins over stale docker credentials for the same host, as in helm",
			creds: func(t *testing.T, s setup) registry.CredentialOptions {
				writeAuthConfig(t, filepath.Join(s.dir, "config.json"), s.host, user, "stale")
				path := filepath.Join(t.TempDir(), "helm-registry.json")
				writeAuthConfig(t, path, s.host, user, password)
				t.Setenv("HELM_REGISTRY_CONFIG", path)
				return registry.CredentialOptions{}
			},
		},
		{
			name: "a credential helper that is not installed is passed over for the next place",
			creds: func(t *testing.T, s setup) registry.CredentialOptions {
				path := filepath.Join(t.TempDir(), "helm-registry.json")
				if err := os.WriteFile(path, []byte(`{"credsStore": "chart-promoter-test-absent"}`), 0o600); err != nil {
					t.Fatal(err)
				}
				t.Setenv("HELM_REGISTRY_CONFIG", path)
				writeAuthConfig(t, filepath.Join(s.dir, "config.json"), s.host, user, password)
				return registry.CredentialOptions{}
			},
		},
		{
			name: "a docker config.json given by path is read",
			creds: func(t *testing.T, s setup) registry.CredentialOptions {
				path := filepath.Join(t.TempDir(), "docker-config.json")
				writeAuthConfig(t, path, s.host, user, password)
				return registry.CredentialOptions{DockerConfig: path}
			},
		},
		{
			name: "docker's config.json in $DOCKER_CONFIG is read",
			creds: func(t *testing.T, s setup) registry.CredentialOptions {
				writeAuthConfig(t, filepath.Join(s.dir, "config.json"), s.host, user, password)
				return registry.CredentialOptions{}
			},
		},
		{
			name: "a docker config.json for another host is not used for this one",
			creds: func(t *testing.T, s setup) registry.CredentialOptions {
				writeAuthConfig(t, filepath.Join(s.dir, "config.json"), "ghcr.io", user, password)
				return registry.CredentialOptions{}
			},
			wantErr:             "no credentials for this registry",
			wantNoAuthorization: true,
		},
		{
			name: "Helm's registry config in $HELM_REGISTRY_CONFIG is read",
			creds: func(t *testing.T, s setup) registry.CredentialOptions {
				path := filepath.Join(t.TempDir(), "helm-registry.json")
				writeAuthConfig(t, path, s.host, user, password)
				t.Setenv("HELM_REGISTRY_CONFIG", path)
				return registry.CredentialOptions{}
			},
		},
		{
			name:  "a token registry trades explicit credentials for a bearer token",
			token: true,
			creds: func(_ *testing.T, s setup) registry.CredentialOptions {
				return registry.CredentialOptions{Username: user, Password: password, Hosts: []string{s.host}}
			},
		},
		{
			name:  "a token registry trades docker config.json credentials for a bearer token",
			token: true,
			creds: func(t *testing.T, s setup) registry.CredentialOptions {
				writeAuthConfig(t, filepath.Join(s.dir, "config.json"), s.host, user, password)
				return registry.CredentialOptions{}
			},
		},
		{
			name:  "an anonymous request to a token registry fails with a hint to log in",
			token: true,
			creds: func(*testing.T, setup) registry.CredentialOptions {
				return registry.CredentialOptions{}
			},
			wantErr: "access denied: log in with `helm registry login`",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := isolateCredentials(t)
			rec := &authRecorder{}
			auth := testenv.WithBasicAuth(user, password)
			if tt.token {
				auth = testenv.WithTokenAuth(user, password)
			}
			reg := testenv.StartRegistry(t, auth, testenv.WithMiddleware(rec.middleware))
			reg.PushChart(t, "private", "db", "1.0.0")
			rec.reset()

			store, err := registry.CredentialStore(tt.creds(t, setup{host: reg.Host, dir: dir}))
			if err != nil {
				t.Fatalf("CredentialStore: %v", err)
			}
			client := newClient(t, reg, registry.WithCredentials(store))
			chart := reg.Host + "/private/db"
			tags, err := client.Tags(context.Background(), chart)
			if err == nil {
				_, err = client.Chart(context.Background(), chart, "1.0.0")
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("reading %s: %v", chart, err)
			case tt.wantErr == "" && !slices.Equal(tags, []string{"1.0.0"}):
				t.Errorf("tags = %v, want [1.0.0]", tags)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("reading %s succeeded, want an error mentioning %q", chart, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("error %q does not mention %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), password) {
				t.Errorf("error %q reveals the password", err)
			}
			if rec.count() == 0 {
				t.Fatal("the registry saw no request")
			}
			if tt.wantNoAuthorization && rec.anySent() {
				t.Error("the registry saw an Authorization header; no credentials were meant for it")
			}
			if tt.wantErr == "" && !rec.anySent() {
				t.Error("the registry never saw an Authorization header")
			}
		})
	}
}

func TestExplicitCredentialsNeedTheHostTheyBelongTo(t *testing.T) {
	isolateCredentials(t)
	_, err := registry.CredentialStore(registry.CredentialOptions{Username: "u", Password: "p"})
	if err == nil || !strings.Contains(err.Error(), "--registry-host") {
		t.Errorf("CredentialStore without hosts: error %v, want one that names --registry-host", err)
	}
}

func TestParseMirror(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		spec    string
		want    string // String() of the mirror; "" when the spec must be refused
		wantErr string
	}{
		{name: "a registry target is read", spec: "ghcr.io=mirror.local:5000/ghcr", want: "ghcr.io=mirror.local:5000/ghcr"},
		{name: "an oci-layout target is read", spec: "ghcr.io/acme=oci-layout:/srv/charts", want: "ghcr.io/acme=oci-layout:/srv/charts"},
		{name: "schemes, case and trailing slashes are normalised", spec: " oci://GHCR.io/Acme/ = oci://mirror.local/ghcr/ ", want: "ghcr.io/acme=mirror.local/ghcr"},
		{name: "a spec without = is refused", spec: "ghcr.io", wantErr: "HOST=TARGET"},
		{name: "an empty spec is refused", spec: "", wantErr: "HOST=TARGET"},
		{name: "a spec without a prefix is refused", spec: "=mirror.local", wantErr: "HOST=TARGET"},
		{name: "a spec without a target is refused", spec: "ghcr.io=", wantErr: "HOST=TARGET"},
		{name: "an oci-layout target without a directory is refused", spec: "ghcr.io=oci-layout:", wantErr: "oci-layout:DIR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := registry.ParseMirror(tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "--mirror") {
					t.Errorf("ParseMirror(%q) = %v, %v; want an error about --mirror mentioning %q", tt.spec, m, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMirror(%q): %v", tt.spec, err)
			}
			if m.String() != tt.want {
				t.Errorf("ParseMirror(%q) = %q, want %q", tt.spec, m.String(), tt.want)
			}
		})
	}
	if _, err := registry.New(registry.WithMirrors("ghcr.io")); err == nil {
		t.Error("New accepted a bad --mirror")
	}
}

// copyToLayout copies repository:tags of reg into an OCI image layout at dir.
func copyToLayout(t *testing.T, reg *testenv.Registry, repository, dir string, tags ...string) {
	t.Helper()
	store, err := oci.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags {
		if _, err := oras.Copy(context.Background(), reg.Repository(t, repository), tag, store, tag, oras.DefaultCopyOptions); err != nil {
			t.Fatalf("copy %s:%s to %s: %v", repository, tag, dir, err)
		}
	}
}

func TestMirrorsServeChartsFromAnotherRegistryOrFromDisk(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t)
	want := reg.PushChart(t, "ghcr/acme/charts", "webapp", "1.3.0")
	reg.PushChart(t, "ghcr/acme/charts", "webapp", "1.2.0")
	decoy := reg.PushChart(t, "decoy/acme/charts", "webapp", "9.9.9")
	build := reg.PushChart(t, "ghcr/acme/charts", "webapp", "1.4.0+b.1")

	layouts := t.TempDir()
	copyToLayout(t, reg, "ghcr/acme/charts/webapp", filepath.Join(layouts, "acme", "charts", "webapp"), "1.2.0", "1.3.0", "1.4.0_b.1")
	reg.PushChart(t, "ghcr/acme/charts", "webapp", "1.5.0") // pushed after the copy: not on disk

	tests := []struct {
		name       string
		mirrors    []string
		tag        string
		wantTags   []string
		wantDigest string
		// wantRequests says whether the registry may be asked at all.
		wantRequests bool
	}{
		{
			name:         "a host mirrored to another registry path is read there",
			mirrors:      []string{"ghcr.io=" + reg.Host + "/ghcr"},
			tag:          "1.3.0",
			wantTags:     []string{"1.2.0", "1.3.0", "1.4.0_b.1", "1.5.0"},
			wantDigest:   want,
			wantRequests: true,
		},
		{
			name:         "the longest matching prefix wins",
			mirrors:      []string{"ghcr.io=" + reg.Host + "/decoy", "ghcr.io/acme=" + reg.Host + "/ghcr/acme", "ghcr.io/ac=" + reg.Host + "/decoy"},
			tag:          "1.3.0",
			wantTags:     []string{"1.2.0", "1.3.0", "1.4.0_b.1", "1.5.0"},
			wantDigest:   want,
			wantRequests: true,
		},
		{
			name:         "a prefix only matches whole path segments",
			mirrors:      []string{"ghcr.io/ac=" + reg.Host + "/nothing", "ghcr.io=" + reg.Host + "/decoy"},
			tag:          "9.9.9",
			wantTags:     []string{"9.9.9"},
			wantDigest:   decoy,
			wantRequests: true,
		},
		{
			name:       "a host mirrored to an OCI layout directory is read from disk, not the network",
			mirrors:    []string{"ghcr.io=oci-layout:" + layouts},
			tag:        "1.4.0_b.1",
			wantTags:   []string{"1.2.0", "1.3.0", "1.4.0_b.1"},
			wantDigest: build,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := newClient(t, reg, registry.WithMirrors(tt.mirrors...))
			reg.Requests.Reset()
			chart := "ghcr.io/acme/charts/webapp"
			tags, err := client.Tags(context.Background(), chart)
			if err != nil {
				t.Fatalf("Tags(%s): %v", chart, err)
			}
			slices.Sort(tags)
			if !slices.Equal(tags, tt.wantTags) {
				t.Errorf("Tags(%s) = %v, want %v", chart, tags, tt.wantTags)
			}
			cv, err := client.Chart(context.Background(), chart, tt.tag)
			if err != nil {
				t.Fatalf("Chart(%s, %s): %v", chart, tt.tag, err)
			}
			if cv.Digest != tt.wantDigest {
				t.Errorf("digest = %s, want %s", cv.Digest, tt.wantDigest)
			}
			if cv.Metadata.Name != "webapp" || cv.Metadata.Version != strings.ReplaceAll(tt.tag, "_", "+") {
				t.Errorf("metadata = %+v, want webapp %s", cv.Metadata, tt.tag)
			}
			if n := reg.Requests.Count(nil); tt.wantRequests == (n == 0) {
				t.Errorf("the registry served %d requests; want requests: %v", n, tt.wantRequests)
			}
		})
	}
}

func TestAMissingLayoutSaysHowToWriteOne(t *testing.T) {
	t.Parallel()
	client, err := registry.New(registry.WithMirrors("ghcr.io=oci-layout:" + t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Tags(context.Background(), "ghcr.io/acme/charts/webapp")
	if err == nil || !strings.Contains(err.Error(), "oras copy") || !strings.Contains(err.Error(), filepath.Join("acme", "charts", "webapp")) {
		t.Errorf("Tags from a missing layout: %v, want an error naming the directory and `oras copy`", err)
	}
}

func TestTLSIsVerifiedAgainstTheGivenCA(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t)
	reg.PushChart(t, "charts", "webapp", "1.0.0")
	chart := reg.Host + "/charts/webapp"

	tests := []struct {
		name    string
		opts    []registry.Option
		wantErr string
	}{
		{name: "without the registry's CA the connection is refused with a hint about --ca-file", wantErr: "--ca-file"},
		{name: "with the CA file the registry is trusted", opts: []registry.Option{registry.WithCAFile(reg.CAFile)}},
		{name: "with the CA pool the registry is trusted", opts: []registry.Option{registry.WithRootCAs(reg.CertPool)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, err := registry.New(tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			tags, err := client.Tags(context.Background(), chart)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Tags: %v", err)
			case tt.wantErr == "" && !slices.Equal(tags, []string{"1.0.0"}):
				t.Errorf("tags = %v, want [1.0.0]", tags)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Tags: %v, want an error mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestAnUnreadableCAFileIsRefused(t *testing.T) {
	t.Parallel()
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{filepath.Join(t.TempDir(), "missing.pem"), notPEM} {
		if _, err := registry.New(registry.WithCAFile(file)); err == nil || !strings.Contains(err.Error(), "--ca-file") {
			t.Errorf("WithCAFile(%s): %v, want an error about --ca-file", file, err)
		}
	}
}

func TestATagListIsNeverFollowedToAnotherHost(t *testing.T) {
	t.Parallel()
	// The registry answers the first page with a Link to another host, as a hostile or
	// misconfigured registry might, to make the client send its requests elsewhere.
	foreignLink := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/tags/list") {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Link", `<https://elsewhere.example/v2/charts/webapp/tags/list?last=1.0.0&n=1>; rel="next"`)
				_, _ = w.Write([]byte(`{"name":"charts/webapp","tags":["1.0.0"]}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	reg := testenv.StartRegistry(t, testenv.WithMiddleware(foreignLink))
	_, err := newClient(t, reg).Tags(context.Background(), reg.Host+"/charts/webapp")
	if err == nil || !strings.Contains(err.Error(), "not the same origin") || !strings.Contains(err.Error(), reg.Host+"/charts/webapp") {
		t.Errorf("Tags with a foreign Link: %v, want an error refusing the other origin and naming the repository", err)
	}
}
