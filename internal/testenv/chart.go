package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/registry"
)

// ChartOption sets optional Chart.yaml fields for PackageChart and PushChart,
// or how PushChart pushes the chart.
type ChartOption func(*chartPush)

// chartPush is what a chart is packaged with and how it is pushed.
type chartPush struct {
	meta *chart.Metadata
	// created is the org.opencontainers.image.created annotation Helm writes
	// ("" for now); noCreated pushes the manifest without it, as Helm before
	// 3.13 did.
	created   string
	noCreated bool
}

// WithAppVersion sets the chart's appVersion.
func WithAppVersion(v string) ChartOption {
	return func(p *chartPush) { p.meta.AppVersion = v }
}

// WithDescription sets the chart's description.
func WithDescription(d string) ChartOption {
	return func(p *chartPush) { p.meta.Description = d }
}

// WithAnnotations sets the chart's annotations, which Helm also copies into the OCI manifest annotations.
func WithAnnotations(a map[string]string) ChartOption {
	return func(p *chartPush) { p.meta.Annotations = a }
}

// WithCreated makes PushChart have Helm record t as the push time, in the
// manifest's org.opencontainers.image.created annotation (helm push writes the
// current time there).
func WithCreated(t time.Time) ChartOption {
	return func(p *chartPush) { p.created = t.UTC().Format(time.RFC3339) }
}

// WithoutCreated makes PushChart leave the org.opencontainers.image.created
// annotation out of the manifest, as Helm did before 3.13: Helm pushes the
// chart, then the same manifest less that annotation is pushed again under the
// tag with oras-go.
func WithoutCreated() ChartOption {
	return func(p *chartPush) { p.noCreated = true }
}

// PushChart packages chart name at version with Helm's chartutil.Save,
// pushes it with Helm's registry client to oci://HOST/repoPath/name:version
// (HOST/name if repoPath is empty) and returns the manifest digest.
func (r *Registry) PushChart(tb testing.TB, repoPath, name, version string, opts ...ChartOption) string {
	tb.Helper()
	data, err := os.ReadFile(PackageChart(tb, name, version, opts...))
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	push := &chartPush{meta: &chart.Metadata{}}
	for _, o := range opts {
		o(push)
	}
	var pushOpts []registry.PushOption
	if push.created != "" {
		pushOpts = append(pushOpts, registry.PushOptCreationTime(push.created))
	}
	ref, digest := r.pushArchive(tb, repoPath, data, pushOpts)
	if push.noCreated {
		repository, tag, _ := strings.Cut(strings.TrimPrefix(ref, r.Host+"/"), ":")
		return r.dropCreated(tb, repository, tag)
	}
	return digest
}

// dropCreated pushes the manifest of repository:tag again without its
// org.opencontainers.image.created annotation and returns the new digest.
func (r *Registry) dropCreated(tb testing.TB, repository, tag string) string {
	tb.Helper()
	ctx := context.Background()
	repo := r.Repository(tb, repository)
	_, raw, err := oras.FetchBytes(ctx, repo, tag, oras.DefaultFetchBytesOptions)
	if err != nil {
		tb.Fatalf("testenv: fetch %s:%s: %v", repository, tag, err)
	}
	var manifest ocispec.Manifest
	if err := json.Unmarshal(raw, &manifest); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	delete(manifest.Annotations, ocispec.AnnotationCreated)
	raw, err = json.Marshal(manifest)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	desc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, raw)
	if err := repo.PushReference(ctx, desc, bytes.NewReader(raw), tag); err != nil {
		tb.Fatalf("testenv: push %s:%s without its creation time: %v", repository, tag, err)
	}
	return desc.Digest.String()
}

// PackageChart packages chart name at version with Helm's chartutil.Save, as
// `helm package` does, and returns the archive's path: name-version.tgz in a
// temporary directory, the name a provenance file lists the archive under.
func PackageChart(tb testing.TB, name, version string, opts ...ChartOption) string {
	tb.Helper()
	meta := &chart.Metadata{
		APIVersion:  chart.APIVersionV2,
		Name:        name,
		Version:     version,
		Description: "A chart made by testenv.",
		Type:        "application",
	}
	push := &chartPush{meta: meta}
	for _, o := range opts {
		o(push)
	}
	// A template and values make it a chart Helm could actually install,
	// so code that unpacks pushed charts sees a realistic layout.
	ch := &chart.Chart{
		Metadata: meta,
		Raw:      []*chart.File{{Name: chartutil.ValuesfileName, Data: []byte("replicas: 1\n")}},
		Values:   map[string]any{"replicas": 1},
		Templates: []*chart.File{{
			Name: "templates/configmap.yaml",
			Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  replicas: {{ .Values.replicas | quote }}\n"),
		}},
	}
	archive, err := chartutil.Save(ch, tb.TempDir())
	if err != nil {
		tb.Fatalf("testenv: package chart %s-%s: %v", name, version, err)
	}
	return archive
}

// PushChartArchive pushes a packaged chart with Helm's registry client to
// oci://HOST/repoPath/NAME:VERSION (HOST/NAME if repoPath is empty), NAME and
// VERSION read from the archive's Chart.yaml, and returns the manifest digest.
// A non-empty prov becomes the manifest's provenance layer, as `helm push` does
// with the NAME-VERSION.tgz.prov file beside the archive. Nothing checks that
// prov signs this archive: tests push mismatched pairs on purpose.
func (r *Registry) PushChartArchive(tb testing.TB, repoPath string, archive, prov []byte) string {
	tb.Helper()
	var opts []registry.PushOption
	if len(prov) > 0 {
		opts = append(opts, registry.PushOptProvData(prov))
	}
	_, digest := r.pushArchive(tb, repoPath, archive, opts)
	return digest
}

// pushArchive pushes a packaged chart as PushChartArchive describes, with
// Helm's push options, and returns the reference pushed and its digest.
func (r *Registry) pushArchive(tb testing.TB, repoPath string, archive []byte, opts []registry.PushOption) (ref, digest string) {
	tb.Helper()
	ch, err := loader.LoadArchive(bytes.NewReader(archive))
	if err != nil {
		tb.Fatalf("testenv: load chart archive: %v", err)
	}
	client, err := r.helmClient()
	if err != nil {
		tb.Fatalf("testenv: helm registry client: %v", err)
	}
	// Like "helm push", Helm's client stores a version containing '+'
	// under a tag with '_' instead; that mapping is left to Helm on purpose.
	ref = r.Host + "/" + ch.Name() + ":" + ch.Metadata.Version
	if repoPath != "" {
		ref = r.Host + "/" + repoPath + "/" + ch.Name() + ":" + ch.Metadata.Version
	}
	result, err := client.Push(archive, ref, opts...)
	if err != nil {
		tb.Fatalf("testenv: helm push %s: %v", ref, err)
	}
	return result.Ref, result.Manifest.Digest
}

// helmClient builds a Helm registry client that trusts the CA and, when auth
// is on, presents the configured user for both basic and token challenges.
// The credentials file points into a temp dir so that neither the developer's
// Helm login state nor a previous test can leak in.
func (r *Registry) helmClient() (*registry.Client, error) {
	opts := []registry.ClientOption{
		registry.ClientOptHTTPClient(r.HTTPClient()),
		registry.ClientOptCredentialsFile(filepath.Join(r.dir, "helm-registry.json")),
		registry.ClientOptEnableCache(true), // one token per scope, not per request
	}
	if r.user != "" {
		opts = append(opts, registry.ClientOptBasicAuth(r.user, r.password))
	}
	return registry.NewClient(opts...)
}
