package testenv

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"testing"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// PushImage pushes a minimal but valid container image (OCI image manifest,
// image config, one gzipped tar layer) to HOST/repository:tag with oras-go
// and returns its manifest digest; tests use it to check that images sharing
// a repository with charts are not mistaken for charts.
func (r *Registry) PushImage(tb testing.TB, repository, tag string) string {
	tb.Helper()
	ctx := context.Background()
	repo := r.Repository(tb, repository)

	layer, diffID := imageLayer(tb, "hello.txt", []byte("hello from testenv\n"))
	layerDesc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageLayerGzip, layer)
	config, err := json.Marshal(ocispec.Image{
		Platform: ocispec.Platform{Architecture: "amd64", OS: "linux"},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}},
	})
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	configDesc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageConfig, config)
	manifest, err := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    configDesc,
		Layers:    []ocispec.Descriptor{layerDesc},
	})
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	manifestDesc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, manifest)

	// The registry refuses a manifest whose blobs it does not have yet.
	for _, blob := range []struct {
		desc ocispec.Descriptor
		data []byte
	}{{layerDesc, layer}, {configDesc, config}} {
		if err := repo.Push(ctx, blob.desc, bytes.NewReader(blob.data)); err != nil {
			tb.Fatalf("testenv: push blob to %s: %v", repository, err)
		}
	}
	if err := repo.PushReference(ctx, manifestDesc, bytes.NewReader(manifest), tag); err != nil {
		tb.Fatalf("testenv: push image %s:%s: %v", repository, tag, err)
	}
	return manifestDesc.Digest.String()
}

// imageLayer returns a gzipped tar holding one file, and the digest of the
// uncompressed tar, which is what an image config lists as the diff ID.
func imageLayer(tb testing.TB, name string, body []byte) ([]byte, digest.Digest) {
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))}); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	if _, err := tw.Write(body); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	if err := tw.Close(); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	var gzBuf bytes.Buffer
	zw := gzip.NewWriter(&gzBuf)
	if _, err := zw.Write(tarBuf.Bytes()); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	return gzBuf.Bytes(), digest.FromBytes(tarBuf.Bytes())
}

// Repository returns an oras-go client for HOST/name that trusts the CA and
// logs in as the configured user, handy for assertions in tests.
func (r *Registry) Repository(tb testing.TB, name string) *remote.Repository {
	tb.Helper()
	repo, err := remote.NewRepository(r.Host + "/" + name)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	client := &auth.Client{Client: r.HTTPClient(), Cache: auth.NewCache()}
	if r.user != "" {
		client.Credential = auth.StaticCredential(r.Host, auth.Credential{Username: r.user, Password: r.password})
	}
	repo.Client = client
	return repo
}
