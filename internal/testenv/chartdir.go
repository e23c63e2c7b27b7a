package testenv

import (
	"os"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
)

// PushChartDir packages the chart directory dir with Helm's chartutil.Save, as helm package
// does, and pushes it with Helm's registry client to oci://HOST/repoPath/NAME:VERSION, name
// and version from its Chart.yaml, as helm push does (which also copies Chart.yaml's first
// source into the manifest's org.opencontainers.image.source annotation). It returns the
// manifest digest.
func (r *Registry) PushChartDir(tb testing.TB, repoPath, dir string) string {
	tb.Helper()
	ch, err := loader.LoadDir(dir)
	if err != nil {
		tb.Fatalf("testenv: load chart %s: %v", dir, err)
	}
	archive, err := chartutil.Save(ch, tb.TempDir())
	if err != nil {
		tb.Fatalf("testenv: package chart %s: %v", dir, err)
	}
	data, err := os.ReadFile(archive)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	client, err := r.helmClient()
	if err != nil {
		tb.Fatalf("testenv: helm registry client: %v", err)
	}
	ref := r.Host + "/" + ch.Name() + ":" + ch.Metadata.Version
	if repoPath != "" {
		ref = r.Host + "/" + repoPath + "/" + ch.Name() + ":" + ch.Metadata.Version
	}
	result, err := client.Push(data, ref)
	if err != nil {
		tb.Fatalf("testenv: helm push %s: %v", ref, err)
	}
	return result.Manifest.Digest
}
