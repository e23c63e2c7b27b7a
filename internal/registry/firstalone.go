package registry

import (
	"net/http"
	"net/http/httptrace"
	"sync"
)

// firstAlone sends the first request to each host alone, until it has a connection, and
// lets the others follow then. Until a host has a connection, Go's transport dials one for
// every request waiting; when the handshake then says HTTP/2, which carries every request
// on one connection, it keeps the first and closes the others, each after a full TCP and
// TLS handshake: a plan that starts 64 reads at once would pay 64 handshakes for one
// connection. Over HTTP/1.1 the others still open the connections they need. The others
// wait for the connection only, not for the answer, so a slow first answer holds up no
// one.
type firstAlone struct {
	next  http.RoundTripper
	mu    sync.Mutex
	hosts map[string]chan struct{} // closed once the host's first request has a connection, or failed
}

func newFirstAlone(next http.RoundTripper) *firstAlone {
	return &firstAlone{next: next, hosts: map[string]chan struct{}{}}
}

func (t *firstAlone) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	connected, seen := t.hosts[req.URL.Host]
	if !seen {
		connected = make(chan struct{})
		t.hosts[req.URL.Host] = connected
	}
	t.mu.Unlock()
	if !seen {
		var once sync.Once
		release := func() { once.Do(func() { close(connected) }) }
		// Without a connection (the dial failed, say) the others go and try for themselves.
		defer release()
		trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { release() }}
		return t.next.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	}
	select {
	case <-connected:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	return t.next.RoundTrip(req)
}
