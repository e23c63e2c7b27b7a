package registry_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

func TestChartArchiveDownloadsTheChartLayer(t *testing.T) {
	reg := testenv.StartRegistry(t)
	digest := reg.PushChartDir(t, "charts", "../render/testdata/charts/webapp-1.1.0")
	reg.PushImage(t, "charts/webapp", "nginx")
	c := newClient(t, reg)
	chart := reg.Host + "/charts/webapp"
	for _, ref := range []string{"1.1.0", digest} {
		a, err := c.ChartArchive(t.Context(), chart, ref)
		if err != nil {
			t.Fatalf("ChartArchive(%s): %v", ref, err)
		}
		if a.Digest != digest {
			t.Errorf("ChartArchive(%s) read digest %s, want %s", ref, a.Digest, digest)
		}
		if got := a.Annotations["org.opencontainers.image.source"]; got != "https://github.com/acme/webapp" {
			t.Errorf("source annotation = %q, want Chart.yaml's first source", got)
		}
		if sum := sha256.Sum256(a.Data); a.LayerDigest != "sha256:"+hex.EncodeToString(sum[:]) {
			t.Errorf("ChartArchive(%s) says the layer is %s, but its bytes hash to sha256:%x", ref, a.LayerDigest, sum)
		}
		if !holds(t, a.Data, "webapp/templates/worker.yaml") {
			t.Errorf("ChartArchive(%s) is not the chart's archive", ref)
		}
	}
	if _, err := c.ChartArchive(t.Context(), chart, "nginx"); !errors.Is(err, registry.ErrNotChart) {
		t.Errorf("ChartArchive of a container image: %v, want ErrNotChart", err)
	}
	if _, err := c.ChartArchive(t.Context(), chart, "9.9.9"); err == nil {
		t.Error("ChartArchive of a missing tag succeeded")
	}
}

// holds reports whether the gzipped tar data has a file called name.
func holds(t *testing.T, data []byte, name string) bool {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == name {
			return true
		}
	}
}
