package registry_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

func TestTagListsReuseOneConnection(t *testing.T) {
	reg := testenv.StartRegistry(t)
	digest := reg.PushChart(t, "conn", "webapp", "1.0.0")
	tags := make([]string, 1000)
	for i := range tags {
		tags[i] = fmt.Sprintf("1.%d.%d", i/100, i%100)
	}
	reg.TagMany(t, "conn/webapp", digest, tags)

	var dials atomic.Int32
	dialer := &net.Dialer{}
	client, err := registry.New(registry.WithTransport(&http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: reg.CertPool},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return dialer.DialContext(ctx, network, addr)
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		got, err := client.Tags(t.Context(), reg.Host+"/conn/webapp")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) < 1000 {
			t.Fatalf("listed %d tags", len(got))
		}
	}
	// Ten sequential tag lists need one connection: a body left unread (a registry's
	// trailing newline after the JSON) would make Go discard it and dial again each time.
	if n := dials.Load(); n != 1 {
		t.Errorf("10 sequential tag lists dialled %d connections, want 1", n)
	}
}
