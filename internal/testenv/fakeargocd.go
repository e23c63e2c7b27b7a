package testenv

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// FakeArgoCD serves the one call of Argo CD's API server the tool makes,
// GET /api/v1/applications/{name}?appNamespace=NS, as Argo CD's swagger
// (server/application/application.proto) defines it: the Application as JSON,
// bearer-token authentication, and the {"error","code","message"} bodies of
// gRPC-gateway errors (16 unauthenticated, 7 permission denied, 5 not found).
type FakeArgoCD struct {
	URL   string
	Token string

	mu   sync.Mutex
	apps map[string]json.RawMessage // "namespace/name"
	down bool
	// Requests counts the calls served.
	Requests int
}

// StartFakeArgoCD starts the fake on loopback; it accepts only token.
func StartFakeArgoCD(tb testing.TB, token string) *FakeArgoCD {
	tb.Helper()
	f := &FakeArgoCD{Token: token, apps: map[string]json.RawMessage{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// SetApplication stores an Application (a JSON object with metadata and status) in
// namespace ("" for argocd, Argo CD's default).
func (f *FakeArgoCD) SetApplication(tb testing.TB, namespace, name, status string) {
	tb.Helper()
	if namespace == "" {
		namespace = "argocd"
	}
	doc := `{"metadata":{"name":` + quote(name) + `,"namespace":` + quote(namespace) + `},"status":` + status + `}`
	if !json.Valid([]byte(doc)) {
		tb.Fatalf("testenv: invalid Application status JSON: %s", status)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apps[namespace+"/"+name] = json.RawMessage(doc)
}

// SetDown makes the server answer 503, as a proxy in front of a stopped server does.
func (f *FakeArgoCD) SetDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *FakeArgoCD) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Requests++
	if f.down {
		http.Error(w, "upstream connect error", http.StatusServiceUnavailable)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/api/v1/applications/")
	if r.Method != http.MethodGet || !ok || name == "" || strings.Contains(name, "/") {
		grpcError(w, http.StatusNotImplemented, 12, "Not Implemented")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.Token {
		grpcError(w, http.StatusUnauthorized, 16, "no session information")
		return
	}
	ns := r.URL.Query().Get("appNamespace")
	if ns == "" {
		ns = "argocd"
	}
	app, ok := f.apps[ns+"/"+name]
	if !ok {
		grpcError(w, http.StatusNotFound, 5, `applications.argoproj.io "`+name+`" not found`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(app)
}

func grpcError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": msg, "code": code, "message": msg})
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
