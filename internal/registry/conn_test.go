package registry_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

func TestConcurrentReadsShareOneHTTP2ConnectionAndRunInParallelOverHTTP1(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		about string
		http2 bool
		check func(t *testing.T, conns int)
	}{{
		about: "a registry that speaks HTTP/2 gets every read on one connection, the first one's",
		http2: true,
		check: func(t *testing.T, conns int) {
			if conns != 1 {
				t.Errorf("64 tag lists, 32 at a time, opened %d connections, want 1", conns)
			}
		},
	}, {
		about: "a registry that speaks HTTP/1.1 only still gets reads in parallel, on connections of their own",
		http2: false,
		check: func(t *testing.T, conns int) {
			if conns < 2 {
				t.Errorf("64 tag lists, 32 at a time, opened %d connection(s): the reads went one after the other", conns)
			}
		},
	}} {
		t.Run(c.about, func(t *testing.T) {
			t.Parallel()
			var opts []testenv.RegistryOption
			if c.http2 {
				opts = append(opts, testenv.WithHTTP2())
			}
			reg := testenv.StartRegistry(t, opts...)
			reg.PushChart(t, "conn", "webapp", "1.0.0")
			// The proxy counts the connections the client's own transport opens.
			proxy := testenv.StartLatencyProxy(t, reg.Host, time.Millisecond)
			client, err := registry.New(registry.WithRootCAs(reg.CertPool))
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				var wg sync.WaitGroup
				errs := make(chan error, 32)
				for range 32 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if _, err := client.Tags(t.Context(), proxy.Host+"/conn/webapp"); err != nil {
							errs <- err
						}
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Fatal(err)
				}
			}
			c.check(t, proxy.Connections())
		})
	}
}

func TestASlowFirstAnswerHoldsUpNoOtherRead(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hold := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v2/conn/slow/tags/list" {
				once.Do(func() { close(arrived) })
				select {
				case <-release:
				case <-r.Context().Done():
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	reg := testenv.StartRegistry(t, testenv.WithHTTP2(), testenv.WithMiddleware(hold))
	reg.PushChart(t, "conn", "slow", "1.0.0")
	reg.PushChart(t, "conn", "fast", "1.0.0")
	client, err := registry.New(registry.WithRootCAs(reg.CertPool))
	if err != nil {
		t.Fatal(err)
	}
	slow := make(chan error, 1)
	go func() {
		_, err := client.Tags(t.Context(), reg.Host+"/conn/slow")
		slow <- err
	}()
	<-arrived // the first request to the host is on its way, and waits for its answer
	fast := make(chan error, 1)
	go func() {
		_, err := client.Tags(t.Context(), reg.Host+"/conn/fast")
		fast <- err
	}()
	select {
	case err := <-fast:
		if err != nil {
			t.Errorf("the second read failed: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the second read waited for the first one's answer")
	}
	close(release)
	if err := <-slow; err != nil {
		t.Errorf("the first read failed: %v", err)
	}
}
