package testenv_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

func TestLatencyProxyCarriesARegistryConversationUnchanged(t *testing.T) {
	t.Parallel()
	reg := testenv.StartRegistry(t, testenv.WithHTTP2())
	digest := reg.PushChart(t, "charts", "web", "1.0.0")
	// Long tags make a tag list of ~120 kB: several reads' worth, so chunk order counts.
	tags := make([]string, 1000)
	for i := range tags {
		tags[i] = fmt.Sprintf("1.0.%d-%s", i, strings.Repeat("x", 110))
	}
	reg.TagMany(t, "charts/web", digest, tags)
	proxy := testenv.StartLatencyProxy(t, reg.Host, 2*time.Millisecond)

	client := reg.HTTPClient()
	get := func(host, path string) []byte {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://"+host+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s through the proxy: %v", path, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s, %v", path, resp.Status, err)
		}
		return body
	}
	for _, path := range []string{"/v2/charts/web/manifests/" + digest, "/v2/charts/web/tags/list"} {
		direct := get(reg.Host, path)
		if through := get(proxy.Host, path); !bytes.Equal(through, direct) {
			t.Fatalf("the proxy changed %s: %d bytes, want %d", path, len(through), len(direct))
		}
	}
	_ = get(proxy.Host, "/v2/")
	if n := proxy.Connections(); n != 1 {
		t.Errorf("three sequential requests opened %d connections through the proxy, want 1 (it must keep them open)", n)
	}
}
