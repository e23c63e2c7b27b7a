package manifest

import (
	"strings"
	"testing"
)

// FuzzNormalizeChart checks that a chart reference either is refused or normalises to a
// fixed point: normalising the result gives the result, with no scheme and a host.
func FuzzNormalizeChart(f *testing.F) {
	for _, seed := range []string{"oci://ghcr.io/acme/charts/webapp", "ghcr.io/acme/charts/webapp/", "GHCR.io/acme/x", "localhost:5000/a/b", "[::1]:5000/a", "oci://", "ghcr.io", "ghcr.io/acme/Web", "ghcr.io/a:1.0", "ghcr.io/a@sha256:abc", "ghcr.io/a//b", "ghcr.io/a/../b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		norm, err := NormalizeChart(ref)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if strings.Contains(norm, "://") || strings.HasSuffix(norm, "/") || !strings.Contains(norm, "/") {
			t.Fatalf("NormalizeChart(%q) = %q: not host/path", ref, norm)
		}
		again, err := NormalizeChart(norm)
		if err != nil || again != norm {
			t.Fatalf("NormalizeChart(%q) = %q, but normalising that gives %q, %v", ref, norm, again, err)
		}
		if strings.Contains(norm, "..") {
			t.Fatalf("NormalizeChart(%q) = %q holds '..'", ref, norm)
		}
	})
}
