package registry

import (
	"io"
	"net/http"
)

// maxDrain bounds what is read and thrown away to keep a connection reusable.
const maxDrain = 64 << 10

// drainBodies reads what is left of a response body (up to maxDrain) before closing it.
// oras-go's JSON decoder stops before a registry's trailing newline, and Go's HTTP client
// throws away a connection whose body was not read to the end: without this, every tag
// list costs a new TCP and TLS handshake.
type drainBodies struct{ next http.RoundTripper }

func (t drainBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err == nil && resp.Body != nil {
		resp.Body = drainingBody{resp.Body}
	}
	return resp, err
}

type drainingBody struct{ io.ReadCloser }

func (b drainingBody) Close() error {
	_, _ = io.CopyN(io.Discard, b.ReadCloser, maxDrain)
	return b.ReadCloser.Close()
}
