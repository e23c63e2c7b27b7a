package testenv_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

const (
	helmConfigType = "application/vnd.cncf.helm.config.v1+json"
	helmChartType  = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
)

func TestPushChartStoresHelmManifestsAndUnderscoreTags(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t)
	d1 := reg.PushChart(t, "charts", "web", "1.2.3",
		testenv.WithAppVersion("9.9"),
		testenv.WithDescription("web frontend"),
		testenv.WithAnnotations(map[string]string{"team": "blue"}))
	d2 := reg.PushChart(t, "charts", "web", "2.1.0+b.5")
	if !strings.HasPrefix(d1, "sha256:") || d1 == d2 {
		t.Fatalf("digests %q, %q: want two distinct sha256 digests", d1, d2)
	}

	repo := reg.Repository(t, "charts/web")
	if got, want := listTags(t, repo), []string{"1.2.3", "2.1.0_b.5"}; !slices.Equal(got, want) {
		t.Fatalf("tags = %v, want %v (Helm maps '+' to '_')", got, want)
	}

	manifest, desc := fetchManifest(t, repo, "1.2.3")
	if desc.Digest.String() != d1 {
		t.Errorf("tag 1.2.3 resolves to %s, PushChart returned %s", desc.Digest, d1)
	}
	if manifest.Config.MediaType != helmConfigType {
		t.Errorf("config media type = %q, want %q", manifest.Config.MediaType, helmConfigType)
	}
	if len(manifest.Layers) != 1 || manifest.Layers[0].MediaType != helmChartType {
		t.Errorf("layers = %+v, want one %s layer", manifest.Layers, helmChartType)
	}
	if manifest.Annotations["team"] != "blue" || manifest.Annotations[ocispec.AnnotationVersion] != "1.2.3" {
		t.Errorf("manifest annotations = %v, want team=blue and version 1.2.3", manifest.Annotations)
	}

	// The config blob is Chart.yaml as JSON; the version keeps its '+'.
	var meta struct{ Name, Version, AppVersion, Description string }
	fetchJSON(t, repo, manifest.Config, &meta)
	if meta.Name != "web" || meta.Version != "1.2.3" || meta.AppVersion != "9.9" || meta.Description != "web frontend" {
		t.Errorf("chart config = %+v", meta)
	}
	m2, _ := fetchManifest(t, repo, "2.1.0_b.5")
	fetchJSON(t, repo, m2.Config, &meta)
	if meta.Version != "2.1.0+b.5" {
		t.Errorf("config version under tag 2.1.0_b.5 = %q, want 2.1.0+b.5", meta.Version)
	}
}

func TestPushImageSharesRepositoryWithCharts(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t)
	reg.PushChart(t, "apps", "api", "0.1.0")
	dgst := reg.PushImage(t, "apps/api", "v1")

	repo := reg.Repository(t, "apps/api")
	if got, want := listTags(t, repo), []string{"0.1.0", "v1"}; !slices.Equal(got, want) {
		t.Fatalf("tags = %v, want %v", got, want)
	}
	manifest, desc := fetchManifest(t, repo, "v1")
	if desc.Digest.String() != dgst {
		t.Errorf("tag v1 resolves to %s, PushImage returned %s", desc.Digest, dgst)
	}
	if manifest.Config.MediaType != ocispec.MediaTypeImageConfig {
		t.Errorf("config media type = %q, want %q", manifest.Config.MediaType, ocispec.MediaTypeImageConfig)
	}
}

func TestTagManyIsVisibleThroughPaginatedTagList(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t)
	dgst := reg.PushChart(t, "fleet", "svc", "1.0.0")
	tags := make([]string, 1000)
	for i := range tags {
		tags[i] = fmt.Sprintf("1.0.%d", i+1)
	}
	reg.TagMany(t, "fleet/svc", dgst, tags)

	// Follow the Link header by hand, as the distribution spec describes.
	client := reg.HTTPClient()
	next := "https://" + reg.Host + "/v2/fleet/svc/tags/list?n=300"
	var got []string
	pages := 0
	for next != "" {
		resp, err := client.Get(next)
		if err != nil {
			t.Fatal(err)
		}
		var page struct{ Tags []string }
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s, %v", next, resp.Status, err)
		}
		got = append(got, page.Tags...)
		pages++
		next = ""
		if link := resp.Header.Get("Link"); link != "" {
			// Link: </v2/fleet/svc/tags/list?last=...&n=300>; rel="next"
			next = "https://" + reg.Host + link[1:strings.Index(link, ">")]
		}
	}
	if len(got) != 1001 || pages != 4 {
		t.Errorf("got %d tags in %d pages, want 1001 in 4", len(got), pages)
	}

	manifest, desc := fetchManifest(t, reg.Repository(t, "fleet/svc"), "1.0.777")
	if desc.Digest.String() != dgst || manifest.Config.MediaType != helmConfigType {
		t.Errorf("tag 1.0.777 resolves to %s (%s), want %s", desc.Digest, manifest.Config.MediaType, dgst)
	}
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t, testenv.WithBasicAuth("alice", "s3cret"))
	reg.PushChart(t, "private", "db", "1.0.0") // Helm's client logs in

	url := "https://" + reg.Host + "/v2/private/db/tags/list"
	if resp := get(t, reg.HTTPClient(), url, nil); resp.StatusCode != http.StatusUnauthorized ||
		!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
		t.Errorf("anonymous: %s, WWW-Authenticate %q; want 401 with a Basic challenge",
			resp.Status, resp.Header.Get("WWW-Authenticate"))
	}
	wrong := func(r *http.Request) { r.SetBasicAuth("alice", "nope") }
	if resp := get(t, reg.HTTPClient(), url, wrong); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %s, want 401", resp.Status)
	}
	right := func(r *http.Request) { r.SetBasicAuth("alice", "s3cret") }
	if resp := get(t, reg.HTTPClient(), url, right); resp.StatusCode != http.StatusOK {
		t.Errorf("right password: %s, want 200", resp.Status)
	}
}

func TestTokenAuth(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t, testenv.WithTokenAuth("bob", "hunter2"))
	reg.PushChart(t, "private", "cache", "3.0.0") // Helm's client fetches tokens

	url := "https://" + reg.Host + "/v2/private/cache/tags/list"
	resp := get(t, reg.HTTPClient(), url, nil)
	challenge := resp.Header.Get("WWW-Authenticate")
	wantChallenge := fmt.Sprintf(`Bearer realm="https://%s/token",service="testenv-registry",scope="repository:private/cache:pull"`, reg.Host)
	if resp.StatusCode != http.StatusUnauthorized || challenge != wantChallenge {
		t.Errorf("anonymous: %s, WWW-Authenticate %q; want 401, %q", resp.Status, challenge, wantChallenge)
	}
	basic := func(r *http.Request) { r.SetBasicAuth("bob", "hunter2") }
	if resp := get(t, reg.HTTPClient(), url, basic); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("basic credentials sent to the registry itself: %s, want 401", resp.Status)
	}
	if resp := get(t, reg.HTTPClient(), "https://"+reg.Host+"/token?scope=repository:private/cache:pull", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous token request: %s, want 401", resp.Status)
	}

	// Both token request styles of oras-go: GET with basic auth, and the
	// OAuth2 password grant.
	for _, oauth2 := range []bool{false, true} {
		repo, err := remote.NewRepository(reg.Host + "/private/cache")
		if err != nil {
			t.Fatal(err)
		}
		repo.Client = &auth.Client{
			Client:             reg.HTTPClient(),
			Credential:         auth.StaticCredential(reg.Host, auth.Credential{Username: "bob", Password: "hunter2"}),
			ForceAttemptOAuth2: oauth2,
		}
		if got := listTags(t, repo); !slices.Equal(got, []string{"3.0.0"}) {
			t.Errorf("oauth2=%v: tags = %v, want [3.0.0]", oauth2, got)
		}
	}

	repo, err := remote.NewRepository(reg.Host + "/private/cache")
	if err != nil {
		t.Fatal(err)
	}
	repo.Client = &auth.Client{
		Client:     reg.HTTPClient(),
		Credential: auth.StaticCredential(reg.Host, auth.Credential{Username: "bob", Password: "wrong"}),
	}
	if err := repo.Tags(context.Background(), "", func([]string) error { return nil }); err == nil {
		t.Error("listing tags with a wrong password succeeded")
	}
}

func TestRequestLogAndMiddleware(t *testing.T) {
	t.Parallel()
	failTagLists := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/tags/list") {
				http.Error(w, "injected", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	reg := testenv.StartRegistry(t, testenv.WithMiddleware(failTagLists))
	reg.PushChart(t, "", "solo", "0.0.1")
	if reg.Requests.Count(nil) == 0 {
		t.Fatal("push was not logged")
	}

	reg.Requests.Reset()
	client := reg.HTTPClient()
	if resp := get(t, client, "https://"+reg.Host+"/v2/solo/tags/list?n=5", nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("tag list through fault middleware: %s, want 503", resp.Status)
	}
	get(t, client, "https://"+reg.Host+"/v2/solo/manifests/0.0.1", nil)

	isTagList := func(method, path string) bool {
		return method == http.MethodGet && strings.HasSuffix(path, "/tags/list")
	}
	if n := reg.Requests.Count(isTagList); n != 1 {
		t.Errorf("tag list requests = %d, want 1", n)
	}
	want := []string{"GET /v2/solo/tags/list?n=5", "GET /v2/solo/manifests/0.0.1"}
	if got := reg.Requests.All(); !slices.Equal(got, want) {
		t.Errorf("All() = %q, want %q", got, want)
	}
}

func TestCAFileIsTheTrustAnchor(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t)
	pem, err := os.ReadFile(reg.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no PEM certificate", reg.CAFile)
	}
	if _, err := http.Get("https://" + reg.Host + "/v2/"); err == nil {
		t.Error("a client without the CA trusted the registry")
	}
	if resp := get(t, reg.HTTPClient(), "https://"+reg.Host+"/v2/", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v2/: %s", resp.Status)
	}
}

func listTags(t *testing.T, repo *remote.Repository) []string {
	t.Helper()
	var tags []string
	err := repo.Tags(context.Background(), "", func(page []string) error {
		tags = append(tags, page...)
		return nil
	})
	if err != nil {
		t.Fatalf("list tags of %s: %v", repo.Reference, err)
	}
	return tags
}

func fetchManifest(t *testing.T, repo *remote.Repository, ref string) (ocispec.Manifest, ocispec.Descriptor) {
	t.Helper()
	ctx := context.Background()
	desc, rc, err := repo.FetchReference(ctx, ref)
	if err != nil {
		t.Fatalf("fetch %s:%s: %v", repo.Reference, ref, err)
	}
	defer rc.Close()
	data, err := content.ReadAll(rc, desc)
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m, desc
}

func fetchJSON(t *testing.T, repo *remote.Repository, desc ocispec.Descriptor, v any) {
	t.Helper()
	data, err := content.FetchAll(context.Background(), repo, desc)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

// get sends a GET, drains the body and returns the response for its status
// and headers.
func get(t *testing.T, client *http.Client, url string, edit func(*http.Request)) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(req)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// BenchmarkTagMany measures fleet setup cost: one op tags one repository
// with 1,000 tags.
func BenchmarkTagMany(b *testing.B) {
	reg := testenv.StartRegistry(b)
	dgst := reg.PushChart(b, "bench", "app", "1.0.0")
	tags := make([]string, 1000)
	for i := 0; b.Loop(); i++ {
		for j := range tags {
			tags[j] = fmt.Sprintf("%d.%d.0", i, j)
		}
		reg.TagMany(b, "bench/app", dgst, tags)
	}
}
