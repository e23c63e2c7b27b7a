package testenv_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

const (
	bundleType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	sbomType   = "application/spdx+json"
)

func pushTwoReferrers(t *testing.T, reg *testenv.Registry, repository, subject string) (bundle, sbom string) {
	t.Helper()
	bundle = reg.PushReferrer(t, repository, subject, testenv.Referrer{
		ArtifactType:   bundleType,
		LayerMediaType: bundleType,
		Layer:          []byte(`{"mediaType":"` + bundleType + `"}`),
		Annotations:    map[string]string{"dev.sigstore.bundle.content": "dsse-envelope"},
	})
	sbom = reg.PushReferrer(t, repository, subject, testenv.Referrer{
		ArtifactType:   sbomType,
		LayerMediaType: sbomType,
		Layer:          []byte(`{"spdxVersion":"SPDX-2.3"}`),
	})
	return bundle, sbom
}

// referrers lists what oras-go finds for subject, through the API or the tag fallback.
func referrers(t *testing.T, repo *remote.Repository, subject, artifactType string) []ocispec.Descriptor {
	t.Helper()
	desc, err := repo.Resolve(context.Background(), subject)
	if err != nil {
		t.Fatal(err)
	}
	var out []ocispec.Descriptor
	if err := repo.Referrers(context.Background(), desc, artifactType, func(page []ocispec.Descriptor) error {
		out = append(out, page...)
		return nil
	}); err != nil {
		t.Fatalf("referrers of %s: %v", subject, err)
	}
	return out
}

func digests(descs []ocispec.Descriptor) []string {
	var out []string
	for _, d := range descs {
		out = append(out, d.Digest.String())
	}
	slices.Sort(out)
	return out
}

func getPath(t *testing.T, reg *testenv.Registry, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := reg.HTTPClient().Get("https://" + reg.Host + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestWithoutTheReferrersAPIClientsFallBackToTheReferrersTag(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t)
	subject := reg.PushChart(t, "charts", "web", "1.0.0")
	bundle, sbom := pushTwoReferrers(t, reg, "charts/web", subject)

	resp, _ := getPath(t, reg, "/v2/charts/web/referrers/"+subject)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("referrers API answered %d, want Distribution's 404", resp.StatusCode)
	}
	repo := reg.Repository(t, "charts/web")
	tag := "sha256-" + strings.TrimPrefix(subject, "sha256:")
	if _, err := repo.Resolve(context.Background(), tag); err != nil {
		t.Fatalf("referrers tag %s: %v (oras-go should have written it)", tag, err)
	}
	if got, want := digests(referrers(t, repo, subject, "")), digests([]ocispec.Descriptor{{Digest: mustDigest(bundle)}, {Digest: mustDigest(sbom)}}); !slices.Equal(got, want) {
		t.Errorf("referrers through the tag = %v, want %v", got, want)
	}
}

func TestTheReferrersAPIAnswersFromSubjectFieldsAsTheSpecDefines(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t, testenv.WithReferrersAPI())
	subject := reg.PushChart(t, "charts", "web", "1.0.0")
	other := reg.PushChart(t, "charts", "web", "1.0.1")
	bundle, sbom := pushTwoReferrers(t, reg, "charts/web", subject)

	resp, body := getPath(t, reg, "/v2/charts/web/referrers/"+subject)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ocispec.MediaTypeImageIndex {
		t.Fatalf("referrers: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp.Header.Get("OCI-Filters-Applied") != "" {
		t.Errorf("OCI-Filters-Applied = %q without a filter", resp.Header.Get("OCI-Filters-Applied"))
	}
	var index ocispec.Index
	if err := json.Unmarshal(body, &index); err != nil {
		t.Fatal(err)
	}
	if len(index.Manifests) != 2 {
		t.Fatalf("referrers = %+v, want the bundle and the SBOM", index.Manifests)
	}
	for _, d := range index.Manifests {
		if d.MediaType != ocispec.MediaTypeImageManifest || d.Size == 0 {
			t.Errorf("descriptor %+v: want an image manifest with its size", d)
		}
		switch d.Digest.String() {
		case bundle:
			if d.ArtifactType != bundleType || d.Annotations["dev.sigstore.bundle.content"] != "dsse-envelope" {
				t.Errorf("bundle descriptor %+v: want its artifactType and annotations", d)
			}
		case sbom:
			if d.ArtifactType != sbomType {
				t.Errorf("SBOM descriptor %+v: want artifactType %s", d, sbomType)
			}
		default:
			t.Errorf("unexpected referrer %s", d.Digest)
		}
	}

	resp, body = getPath(t, reg, "/v2/charts/web/referrers/"+subject+"?artifactType="+url.QueryEscape(bundleType))
	if err := json.Unmarshal(body, &index); err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("OCI-Filters-Applied") != "artifactType" || len(index.Manifests) != 1 || index.Manifests[0].Digest.String() != bundle {
		t.Errorf("filtered: header %q, manifests %+v: want only the bundle, filter acknowledged", resp.Header.Get("OCI-Filters-Applied"), index.Manifests)
	}

	_, body = getPath(t, reg, "/v2/charts/web/referrers/"+other)
	if !strings.Contains(string(body), `"manifests":[]`) {
		t.Errorf("a manifest nothing refers to: %s, want an empty manifests list", body)
	}
	if resp, _ := getPath(t, reg, "/v2/charts/web/referrers/sha256:nothex"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("invalid digest: %d, want 400", resp.StatusCode)
	}
	if resp, body := getPath(t, reg, "/v2/charts/nope/referrers/"+subject); resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "NAME_UNKNOWN") {
		t.Errorf("unknown repository: %d %s, want 404 NAME_UNKNOWN", resp.StatusCode, body)
	}

	// The registry acknowledged each subject with OCI-Subject, so oras-go left the
	// referrers tag alone.
	if _, err := reg.Repository(t, "charts/web").Resolve(context.Background(), "sha256-"+strings.TrimPrefix(subject, "sha256:")); err == nil {
		t.Error("a referrers tag was written although the registry serves the referrers API")
	}
	if got := digests(referrers(t, reg.Repository(t, "charts/web"), subject, bundleType)); !slices.Equal(got, []string{bundle}) {
		t.Errorf("oras-go through the API = %v, want [%s]", got, bundle)
	}
}

func TestTheReferrersAPICanBeSwitchedWhileTheRegistryRuns(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t)
	subject := reg.PushChart(t, "charts", "web", "1.0.0")
	before := reg.PushReferrer(t, "charts/web", subject, testenv.Referrer{ArtifactType: sbomType, LayerMediaType: sbomType, Layer: []byte("{}")})
	reg.SetReferrersAPI(true)
	after := reg.PushReferrer(t, "charts/web", subject, testenv.Referrer{ArtifactType: bundleType, LayerMediaType: bundleType, Layer: []byte("{}")})

	// On, the API lists everything with the subject, including what was pushed before.
	if got, want := digests(referrers(t, reg.Repository(t, "charts/web"), subject, "")), digests([]ocispec.Descriptor{{Digest: mustDigest(before)}, {Digest: mustDigest(after)}}); !slices.Equal(got, want) {
		t.Errorf("with the API on: %v, want %v", got, want)
	}
	// Off again, only the tag is left, and it knows only what was pushed while it was kept.
	reg.SetReferrersAPI(false)
	if got := digests(referrers(t, reg.Repository(t, "charts/web"), subject, "")); !slices.Equal(got, []string{before}) {
		t.Errorf("with the API off: %v, want only %s", got, before)
	}
}

func TestTheReferrersAPIAsksForCredentialsLikeTheRegistry(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t, testenv.WithTokenAuth("ci", "secret"), testenv.WithReferrersAPI())
	subject := reg.PushChart(t, "charts", "web", "1.0.0")
	bundle, _ := pushTwoReferrers(t, reg, "charts/web", subject)

	resp, _ := getPath(t, reg, "/v2/charts/web/referrers/"+subject)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "repository:charts/web:pull") {
		t.Fatalf("anonymous referrers request: %d %q, want 401 with a pull challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if got := digests(referrers(t, reg.Repository(t, "charts/web"), subject, bundleType)); !slices.Equal(got, []string{bundle}) {
		t.Errorf("with a token: %v, want [%s]", got, bundle)
	}
}

func mustDigest(s string) digest.Digest { return digest.Digest(s) }
