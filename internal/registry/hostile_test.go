package registry_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// newest resolves the newest release of chart, as `chart-promoter resolve` does.
func newest(t *testing.T, client *registry.Client, chart string) (version.Version, registry.ChartVersion, error) {
	t.Helper()
	all, err := version.ParseConstraint("*")
	if err != nil {
		t.Fatal(err)
	}
	return promote.Newest(context.Background(), client, chart, all)
}

func TestAHundredThousandTagsAreListedAndResolved(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t)
	reg.PushChart(t, "charts", "big", "9.0.0")
	old := reg.PushChart(t, "charts", "big", "0.0.1")
	tags := make([]string, 100_000)
	for i := range tags {
		tags[i] = fmt.Sprintf("0.%d.%d", i/1000+1, i%1000)
	}
	reg.TagMany(t, "charts/big", old, tags)
	reg.Requests.Reset()

	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	client := newClient(t, reg)
	got, err := client.Tags(context.Background(), reg.Host+"/charts/big")
	if err != nil {
		t.Fatalf("Tags: %v", err)
	}
	if len(got) != len(tags)+2 {
		t.Errorf("Tags = %d tags, want %d", len(got), len(tags)+2)
	}
	v, cv, err := newest(t, client, reg.Host+"/charts/big")
	if err != nil {
		t.Fatalf("Newest: %v", err)
	}
	if v.Tag != "9.0.0" || cv.Metadata.Version != "9.0.0" {
		t.Errorf("Newest = %s (%s), want 9.0.0", v.Tag, cv.Metadata.Version)
	}
	if n := countPath(reg, manifestPath); n != 1 {
		t.Errorf("%d manifest requests, want 1: only the newest tag is read", n)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// Informational only (a measurement is a benchmark, never an assertion).
	// The figure includes the in-process registry's own work.
	t.Logf("listing %d tags twice and resolving: %d MiB allocated in the process", len(got), (after.TotalAlloc-before.TotalAlloc)>>20)
}

func TestTagsThatAreNotVersionsAreIgnoredWithoutFailing(t *testing.T) {
	t.Parallel()
	reg, faults := faultyRegistry(t)
	dgst := reg.PushChart(t, "charts", "webapp", "0.1.0")
	// Tags a registry can really hold, pointing at a real chart, that are not release versions.
	stored := []string{
		"latest", "sha-4f2a9c1", "01.2.3", "1.02.3", "1.2.03", "v2-beta",
		strings.Repeat("x", 128), "1.9.0-" + strings.Repeat("a", 122), // 128 characters, the most the spec allows
	}
	reg.TagMany(t, "charts/webapp", dgst, stored)
	// Names no registry could have stored, which a hostile one may list anyway: the newest
	// version in the list is one of them.
	impossible := []string{
		"9.9.9+evil", "v9.9.9+evil", "9.9.9/../../x", "../9.9.9", "", " 9.9.9", "9.9.9\n",
		strings.Repeat("9", 300), "9.9.9_" + strings.Repeat("b", 200), "٩.٩.٩", "9.9.9?x=1", "9.9.9#x", "9.9.9:x", "9.9.9@sha256:00",
	}
	faults.Add(http.MethodGet, tagsPath, 0, testenv.Paginate(testenv.Pages{
		PerPage: 3,
		Overlap: true, // every page repeats the last tag of the page before
		Tags:    func(tags []string) []string { return append(tags, impossible...) },
	}))
	reg.Requests.Reset()

	client := newClient(t, reg)
	tags, err := client.Tags(context.Background(), reg.Host+"/charts/webapp")
	if err != nil {
		t.Fatalf("Tags: %v", err)
	}
	for _, tag := range impossible {
		if slices.Contains(tags, tag) {
			t.Errorf("Tags returned %q, which is not a valid tag", tag)
		}
	}
	for _, tag := range stored {
		if !slices.Contains(tags, tag) {
			t.Errorf("Tags left out %q, a valid tag", tag)
		}
	}
	v, _, err := newest(t, client, reg.Host+"/charts/webapp")
	if err != nil {
		t.Fatalf("Newest: %v", err)
	}
	if v.Tag != "1.1.0" {
		t.Errorf("Newest = %s, want 1.1.0", v.Tag)
	}
	if got := reg.Requests.Count(func(_, path string) bool {
		return strings.Contains(path, "/manifests/") && !strings.HasSuffix(path, "/1.1.0")
	}); got != 0 {
		t.Errorf("%d manifests of other tags were fetched: %q", got, reg.Requests.All())
	}
}

func TestATagListLinkToAnotherHostIsNeverFollowed(t *testing.T) {
	t.Parallel()
	const user, password = "ci-bot", "link-S3cret"
	other := testenv.StartOtherHost(t, nil)
	reg, faults := faultyRegistry(t, testenv.WithBasicAuth(user, password))
	faults.Add(http.MethodGet, tagsPath, 0, testenv.Paginate(testenv.Pages{PerPage: 1, LinkOrigin: other.URL}))

	client := newClient(t, reg, withExplicitCredentials(t, reg.Host, user, password), withTrust(reg, other))
	_, err := client.Tags(context.Background(), reg.Host+"/charts/webapp")
	if err == nil || !strings.Contains(err.Error(), "not the same origin") || !strings.Contains(err.Error(), reg.Host+"/charts/webapp") {
		t.Errorf("Tags with a Link to %s: %v, want an error refusing the other origin and naming the repository", other.Host, err)
	}
	if n := other.Count(); n != 0 {
		t.Errorf("the other host was sent %d request(s); it must be sent none", n)
	}
}

func TestAnEndlessTagListIsReadOnlyUpToTheLimit(t *testing.T) {
	t.Parallel()
	var written atomic.Int64
	counting := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(countingWriter{w, &written}, r)
		})
	}
	faults := testenv.NewFaults()
	reg := testenv.StartRegistry(t, testenv.WithMiddleware(counting), testenv.WithMiddleware(faults.Middleware))
	reg.PushChart(t, "charts", "webapp", "1.0.0")
	const size = 50 << 20
	faults.Add(http.MethodGet, tagsPath, 0, testenv.HugeTagList(size))

	_, err := newClient(t, reg).Tags(context.Background(), reg.Host+"/charts/webapp")
	if err == nil || !strings.Contains(err.Error(), reg.Host+"/charts/webapp") || !strings.Contains(err.Error(), "4 MiB") {
		t.Errorf("Tags of a 50 MiB tag list: %v, want an error naming the repository and the 4 MiB limit", err)
	}
	// The server writes into socket buffers ahead of the reader, so somewhat more than the
	// limit leaves it; nothing close to the whole body may.
	if n := written.Load(); n > size/2 {
		t.Errorf("the client read %d MiB of a %d MiB tag list; reads must stop at the limit", n>>20, size>>20)
	}
}

func TestATagListOfManyHugePagesIsCutOffAtTheLimit(t *testing.T) {
	t.Parallel()
	// Each page holds 4,000 tags of 128 characters (half a MiB, well under the page limit)
	// and links to one more, for ever: a thousand pages would be 500 MiB of tags.
	tags := make([]string, 4000)
	for i := range tags {
		tags[i] = fmt.Sprintf("t%0127d", i)
	}
	page, err := json.Marshal(map[string]any{"name": "charts/webapp", "tags": tags})
	if err != nil {
		t.Fatal(err)
	}
	reg, faults := faultyRegistry(t)
	faults.Add(http.MethodGet, tagsPath, 0, func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
		n := len(r.URL.Query().Get("last")) + 1
		w.Header().Set("Link", fmt.Sprintf(`<%s?last=%s>; rel="next"`, r.URL.Path, strings.Repeat("p", n)))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(page)
	})
	_, err = newClient(t, reg).Tags(context.Background(), reg.Host+"/charts/webapp")
	if err == nil || !strings.Contains(err.Error(), "longer than 32 MiB") || !strings.Contains(err.Error(), reg.Host+"/charts/webapp") {
		t.Errorf("Tags of an endless list of big pages: %v, want an error about the 32 MiB limit naming the repository", err)
	}
	if n := countPath(reg, tagsPath); n >= registry.MaxTagPages/4 {
		t.Errorf("the client read %d pages before giving up; the size limit should have stopped it long before", n)
	}
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// pushArtifact pushes blobs and then a manifest of mediaType under tag, and returns the
// manifest's descriptor.
func pushArtifact(t *testing.T, reg *testenv.Registry, repository, tag, mediaType string, manifest any, blobs ...[]byte) ocispec.Descriptor {
	t.Helper()
	ctx := context.Background()
	repo := reg.Repository(t, repository)
	for _, b := range blobs {
		desc := content.NewDescriptorFromBytes("application/octet-stream", b)
		if err := repo.Push(ctx, desc, bytes.NewReader(b)); err != nil {
			t.Fatalf("push blob: %v", err)
		}
	}
	raw, err := json.Marshal(manifest)
	if err != nil {
		t.Fatal(err)
	}
	desc := content.NewDescriptorFromBytes(mediaType, raw)
	if err := repo.PushReference(ctx, desc, bytes.NewReader(raw), tag); err != nil {
		t.Fatalf("push %s %s:%s: %v", mediaType, repository, tag, err)
	}
	return desc
}

// chartManifest returns an OCI image manifest with a Helm config of the given bytes.
func chartManifest(config []byte) ocispec.Manifest {
	return ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    content.NewDescriptorFromBytes(registry.ConfigMediaType, config),
		Layers:    []ocispec.Descriptor{content.NewDescriptorFromBytes(registry.ContentMediaType, []byte("not really a tarball"))},
	}
}

func TestManifestsThatAreNotChartsOrDoNotAddUpAreRefused(t *testing.T) {
	t.Parallel()
	reg, faults := faultyRegistry(t)
	const repository = "charts/webapp"
	chart := reg.Host + "/" + repository
	good := reg.Repository(t, repository)
	goodDesc, err := good.Resolve(context.Background(), "1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	layer := []byte("not really a tarball")

	// An image index over the real chart.
	pushArtifact(t, reg, repository, "2.0.0", ocispec.MediaTypeImageIndex, ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{goodDesc},
	})
	// A Docker schema 2 manifest with a Helm config.
	helmConfig := []byte(`{"name":"webapp","version":"1.9.0","apiVersion":"v2"}`)
	docker := chartManifest(helmConfig)
	docker.MediaType = "application/vnd.docker.distribution.manifest.v2+json"
	docker.Config.MediaType = registry.ConfigMediaType
	pushArtifact(t, reg, repository, "1.9.0", docker.MediaType, docker, helmConfig, layer)
	// A config larger than the 1 MiB chart metadata may be.
	huge := append([]byte(`{"name":"webapp","version":"1.8.0","description":"`), bytes.Repeat([]byte("x"), registry.MaxConfigBytes)...)
	huge = append(huge, `"}`...)
	hugeManifest := chartManifest(huge)
	pushArtifact(t, reg, repository, "1.8.0", ocispec.MediaTypeImageManifest, hugeManifest, huge, layer)
	// A config that is not JSON.
	notJSON := []byte("name: webapp\nversion: 1.7.0\n")
	pushArtifact(t, reg, repository, "1.7.0", ocispec.MediaTypeImageManifest, chartManifest(notJSON), notJSON, layer)
	// A chart whose manifest (1.6.0) or config blob (1.5.0) the registry serves altered.
	tampered := []byte(`{"name":"webapp","version":"1.6.0","apiVersion":"v2"}`)
	pushArtifact(t, reg, repository, "1.6.0", ocispec.MediaTypeImageManifest, chartManifest(tampered), tampered, layer)
	swapped := []byte(`{"name":"webapp","version":"1.5.0","apiVersion":"v2"}`)
	swappedManifest := chartManifest(swapped)
	pushArtifact(t, reg, repository, "1.5.0", ocispec.MediaTypeImageManifest, swappedManifest, swapped, layer)
	grown := []byte(`{"name":"webapp","version":"1.4.0","apiVersion":"v2"}`)
	grownManifest := chartManifest(grown)
	pushArtifact(t, reg, repository, "1.4.0", ocispec.MediaTypeImageManifest, grownManifest, grown, layer)

	flip := func(b []byte) []byte { return bytes.Replace(b, []byte(`"webapp"`), []byte(`"evilap"`), 1) }
	faults.Add(http.MethodGet, manifestPath+`1\.6\.0$`, 0, testenv.Rewrite(func(code int, _ http.Header, body []byte) (int, []byte) {
		return code, bytes.Replace(body, []byte(`"schemaVersion":2`), []byte(`"schemaVersion":3`), 1)
	}))
	faults.Add(http.MethodGet, blobPath+swappedManifest.Config.Digest.String(), 0, testenv.Rewrite(func(code int, _ http.Header, body []byte) (int, []byte) {
		return code, flip(body) // same length, other bytes
	}))
	faults.Add(http.MethodGet, blobPath+grownManifest.Config.Digest.String(), 0, testenv.Rewrite(func(code int, _ http.Header, body []byte) (int, []byte) {
		return code, append(body, ' ') // one byte more
	}))
	reg.Requests.Reset()

	tests := []struct {
		name         string
		tag          string
		wantNotChart bool
		wantIn       string
		// blob is a config blob that must never be downloaded.
		blob digest.Digest
	}{
		{name: "an image index is not a chart", tag: "2.0.0", wantNotChart: true, wantIn: ocispec.MediaTypeImageIndex},
		{name: "a Docker manifest is not a chart", tag: "1.9.0", wantNotChart: true, wantIn: "application/vnd.docker.distribution.manifest.v2+json"},
		{name: "a config over 1 MiB is refused without being downloaded", tag: "1.8.0", wantIn: "more than the 1048576 allowed", blob: hugeManifest.Config.Digest},
		{name: "a config that is not JSON is refused", tag: "1.7.0", wantIn: "chart metadata is not valid JSON"},
		{name: "a manifest whose bytes do not match its digest is refused", tag: "1.6.0", wantIn: "mismatch"},
		{name: "a config whose bytes do not match its digest is refused", tag: "1.5.0", wantIn: "mismatch"},
		{name: "a config longer than its descriptor says is refused", tag: "1.4.0", wantIn: "mismatch"},
	}
	client := newClient(t, reg)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cv, err := client.Chart(context.Background(), chart, tt.tag)
			if err == nil {
				t.Fatalf("Chart(%s) = %+v, want an error", tt.tag, cv)
			}
			if got := errors.Is(err, registry.ErrNotChart); got != tt.wantNotChart {
				t.Errorf("errors.Is(err, ErrNotChart) = %v, want %v: %v", got, tt.wantNotChart, err)
			}
			if !strings.Contains(err.Error(), tt.wantIn) || !strings.Contains(err.Error(), chart) || !strings.Contains(err.Error(), tt.tag) {
				t.Errorf("error %q does not mention %q, the repository and the tag", err, tt.wantIn)
			}
			if tt.blob != "" {
				if n := countPath(reg, blobPath+tt.blob.String()); n > 0 {
					t.Errorf("the config blob was requested %d time(s)", n)
				}
			}
		})
	}

	t.Run("planning passes over the artifacts that are not charts and fails on the tampered chart", func(t *testing.T) {
		_, _, err := newest(t, client, chart)
		if err == nil || !strings.Contains(err.Error(), "1.8.0") {
			t.Errorf("Newest: %v, want the error of 1.8.0, the newest tag that is a chart", err)
		}
	})
}

func TestATamperedOCILayoutMirrorIsRefused(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t)
	reg.PushChart(t, "charts", "webapp", "1.0.0")
	layouts := t.TempDir()
	dir := filepath.Join(layouts, "charts", "webapp")
	copyToLayout(t, reg, "charts/webapp", dir, "1.0.0")
	// Alter the config blob on disk, keeping its name (its digest) and its size.
	_, raw, err := oras.FetchBytes(context.Background(), reg.Repository(t, "charts/webapp"), "1.0.0", oras.DefaultFetchBytesOptions)
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	blob := filepath.Join(dir, "blobs", "sha256", m.Config.Digest.Encoded())
	data, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob, bytes.Replace(data, []byte("webapp"), []byte("evilap"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	client := newClient(t, reg, registry.WithMirrors("ghcr.io=oci-layout:"+layouts))
	if _, err := client.Chart(context.Background(), "ghcr.io/charts/webapp", "1.0.0"); err == nil || !strings.Contains(err.Error(), "mismatch") {
		t.Errorf("Chart from a tampered layout: %v, want a digest mismatch", err)
	}
}

func TestABlobRedirectedToAnotherHostIsFetchedWithoutCredentials(t *testing.T) {
	t.Parallel()
	const user, password = "ci-bot", "redirect-S3cret"
	for _, auth := range []struct {
		name string
		opt  testenv.RegistryOption
	}{
		{"basic auth", testenv.WithBasicAuth(user, password)},
		{"token auth", testenv.WithTokenAuth(user, password)},
	} {
		t.Run(auth.name, func(t *testing.T) {
			t.Parallel()
			reg, faults := faultyRegistry(t, auth.opt)
			// The blob store serves what the registry holds, as S3 does behind a presigned URL.
			blobs := map[string][]byte{}
			repo := reg.Repository(t, "charts/webapp")
			_, raw, err := oras.FetchBytes(context.Background(), repo, "1.1.0", oras.DefaultFetchBytesOptions)
			if err != nil {
				t.Fatal(err)
			}
			var m ocispec.Manifest
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			if blobs[m.Config.Digest.String()], err = content.FetchAll(context.Background(), repo, m.Config); err != nil {
				t.Fatal(err)
			}
			store := testenv.StartOtherHost(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				data, ok := blobs[strings.TrimPrefix(r.URL.Path, "/bucket/")]
				if !ok {
					http.NotFound(w, r)
					return
				}
				_, _ = w.Write(data)
			}))
			faults.Add(http.MethodGet, blobPath, 0, testenv.Redirect(http.StatusTemporaryRedirect, func(r *http.Request) string {
				return store.URL + "/bucket/" + r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:] + "?X-Amz-Signature=presigned"
			}))

			client := newClient(t, reg, withExplicitCredentials(t, reg.Host, user, password), withTrust(reg, store))
			cv, err := readChart(context.Background(), client, reg.Host+"/charts/webapp", "1.1.0")
			if err != nil {
				t.Fatalf("read through a redirect: %v", err)
			}
			if cv.Metadata.AppVersion != "2.0.0" {
				t.Errorf("metadata = %+v, want webapp 1.1.0's", cv.Metadata)
			}
			if store.Count() == 0 {
				t.Fatal("the blob store was never asked: the redirect was not followed")
			}
			if got := store.Authorizations(); len(got) > 0 {
				t.Errorf("the blob store on another origin was sent Authorization headers %q", got)
			}
		})
	}
}

func TestARegistryThatEchoesCredentialsInErrorsDoesNotGetThemPrinted(t *testing.T) {
	t.Parallel()
	const user, password = "ci-bot", "echo-S3cret-Recognisable"
	for _, auth := range []struct {
		name string
		opt  testenv.RegistryOption
	}{
		{"basic auth", testenv.WithBasicAuth(user, password)},
		{"token auth", testenv.WithTokenAuth(user, password)},
	} {
		t.Run(auth.name, func(t *testing.T) {
			t.Parallel()
			reg, faults := faultyRegistry(t, auth.opt)
			// A proxy that puts the request's headers in its error message, as some debug pages do.
			var seen atomic.Value
			faults.Add(http.MethodGet, tagsPath, 0, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
				h := r.Header.Get("Authorization")
				if h == "" {
					next.ServeHTTP(w, r)
					return
				}
				seen.Store(h)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{
					"code": "DENIED", "message": "bad header " + h, "detail": map[string]string{"authorization": h},
				}}})
			})
			client := newClient(t, reg, withExplicitCredentials(t, reg.Host, user, password))
			_, err := client.Tags(context.Background(), reg.Host+"/charts/webapp")
			if err == nil {
				t.Fatal("Tags succeeded")
			}
			h, _ := seen.Load().(string)
			if h == "" {
				t.Fatal("the registry saw no Authorization header")
			}
			_, credential, _ := strings.Cut(h, " ")
			for _, secret := range []string{password, base64.StdEncoding.EncodeToString([]byte(user + ":" + password)), credential} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error reveals %q: %v", secret, err)
				}
			}
		})
	}
}

// withExplicitCredentials gives the client user and password for host, as --username does.
func withExplicitCredentials(t *testing.T, host, user, password string) registry.Option {
	t.Helper()
	isolated := t.TempDir()
	store, err := registry.CredentialStore(registry.CredentialOptions{
		Username: user, Password: password, Hosts: []string{host},
		DockerConfig: filepath.Join(isolated, "config.json"), HelmConfig: filepath.Join(isolated, "helm.json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return registry.WithCredentials(store)
}

// withTrust makes the client trust both the registry's CA and the other host's certificate.
func withTrust(reg *testenv.Registry, other *testenv.OtherHost) registry.Option {
	pool := x509.NewCertPool()
	pool.AddCert(other.Certificate())
	pem, _ := os.ReadFile(reg.CAFile)
	pool.AppendCertsFromPEM(pem)
	return registry.WithRootCAs(pool)
}
