package testenv

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/registry"
)

// ChartOption sets optional Chart.yaml fields for PushChart.
type ChartOption func(*chart.Metadata)

// WithAppVersion sets the chart's appVersion.
func WithAppVersion(v string) ChartOption {
	return func(m *chart.Metadata) { m.AppVersion = v }
}

// WithDescription sets the chart's description.
func WithDescription(d string) ChartOption {
	return func(m *chart.Metadata) { m.Description = d }
}

// WithAnnotations sets the chart's annotations, which Helm also copies into the OCI manifest annotations.
func WithAnnotations(a map[string]string) ChartOption {
	return func(m *chart.Metadata) { m.Annotations = a }
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
	return r.PushChartArchive(tb, repoPath, data, nil)
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
	for _, o := range opts {
		o(meta)
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
	ref := r.Host + "/" + ch.Name() + ":" + ch.Metadata.Version
	if repoPath != "" {
		ref = r.Host + "/" + repoPath + "/" + ch.Name() + ":" + ch.Metadata.Version
	}
	var opts []registry.PushOption
	if len(prov) > 0 {
		opts = append(opts, registry.PushOptProvData(prov))
	}
	result, err := client.Push(archive, ref, opts...)
	if err != nil {
		tb.Fatalf("testenv: helm push %s: %v", ref, err)
	}
	return result.Manifest.Digest
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
