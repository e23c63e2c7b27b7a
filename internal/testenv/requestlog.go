package testenv

import (
	"net/http"
	"sync"
)

// RequestLog records every HTTP request a Registry served, safe for
// concurrent use, so tests can assert what an operation costs on the wire.
type RequestLog struct {
	mu      sync.Mutex
	entries []loggedRequest
}

type loggedRequest struct {
	method, path, rawQuery string
}

func (e loggedRequest) String() string {
	if e.rawQuery == "" {
		return e.method + " " + e.path
	}
	return e.method + " " + e.path + "?" + e.rawQuery
}

// Count returns how many recorded requests match filter, which sees the
// method and the URL path without query; a nil filter counts every request.
func (l *RequestLog) Count(filter func(method, path string) bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.entries {
		if filter == nil || filter(e.method, e.path) {
			n++
		}
	}
	return n
}

// Reset forgets all recorded requests, typically after test setup so that
// only the traffic of the code under test is counted.
func (l *RequestLog) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
}

// All returns the recorded requests in arrival order as "METHOD /path?query".
func (l *RequestLog) All() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, len(l.entries))
	for i, e := range l.entries {
		out[i] = e.String()
	}
	return out
}

// wrap records each request before handing it on; it sits outermost so that
// requests rejected by auth or by a fault-injecting middleware still count.
func (l *RequestLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.entries = append(l.entries, loggedRequest{r.Method, r.URL.Path, r.URL.RawQuery})
		l.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}
