package testenv

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Faults makes a registry misbehave on purpose: its rules pick requests by method and path
// and answer them in the registry's place, the way a flaky, rate-limiting, slow or hostile
// registry (or a proxy in front of one) would. Install it with WithMiddleware(f.Middleware);
// rules may be added before or after the registry starts, and are safe for concurrent use.
//
// The first rule that matches a request and still has answers left answers it; a request
// no rule answers goes to the registry untouched.
type Faults struct {
	mu    sync.Mutex
	rules []*FaultRule
}

// FaultRule is one rule of a Faults: which requests it answers, how often, and how.
type FaultRule struct {
	owner  *Faults
	method string
	path   *regexp.Regexp
	times  int // answers left; < 0 means no limit
	action FaultAction
	hits   int
}

// FaultAction answers a request the rule matched; next is the registry behind the
// injector, for actions that only alter or delay what it answers.
type FaultAction func(w http.ResponseWriter, r *http.Request, next http.Handler)

// NewFaults returns an injector without rules: every request goes to the registry.
func NewFaults() *Faults { return &Faults{} }

// Add makes the first times requests whose method is method ("" for any) and whose URL
// path matches the regular expression path be answered by action; times 0 means every
// such request. It returns the rule, which counts what it answered.
func (f *Faults) Add(method, path string, times int, action FaultAction) *FaultRule {
	if times <= 0 {
		times = -1
	}
	rule := &FaultRule{owner: f, method: method, path: regexp.MustCompile(path), times: times, action: action}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, rule)
	return rule
}

// Hits returns how many requests the rule has matched and handed to its action (an action
// such as Throttle may still pass some on to the registry).
func (r *FaultRule) Hits() int {
	r.owner.mu.Lock()
	defer r.owner.mu.Unlock()
	return r.hits
}

// Middleware is the http middleware to pass to WithMiddleware.
func (f *Faults) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rule := f.match(r); rule != nil {
			rule.action(w, r, next)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (f *Faults) match(r *http.Request) *FaultRule {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, rule := range f.rules {
		if rule.times == 0 || (rule.method != "" && rule.method != r.Method) || !rule.path.MatchString(r.URL.Path) {
			continue
		}
		if rule.times > 0 {
			rule.times--
		}
		rule.hits++
		return rule
	}
	return nil
}

// Status answers with code and the given header pairs ("Retry-After", "1", …) and a body
// in the registry error format, as Distribution writes its own errors.
func Status(code int, header ...string) FaultAction {
	if len(header)%2 != 0 {
		panic("testenv: Status takes header name and value pairs")
	}
	return func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		for i := 0; i < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{
			"code": "UNAVAILABLE", "message": fmt.Sprintf("injected %d %s", code, http.StatusText(code)),
		}}})
	}
}

// Throttle answers code (429 or 503) with "Retry-After: seconds" and, like a real rate
// limiter, keeps answering it to every request that comes back before those seconds have
// passed; the first request after that goes to the registry. A client that does not wait as
// told spends its retries inside the window and fails, so a test can tell that it waited by
// counting answers, without timing anything.
func Throttle(code, seconds int) FaultAction {
	var mu sync.Mutex
	var reopens time.Time
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		mu.Lock()
		now := time.Now()
		switch {
		case reopens.IsZero():
			reopens = now.Add(time.Duration(seconds) * time.Second)
		case !now.Before(reopens):
			mu.Unlock()
			next.ServeHTTP(w, r)
			return
		}
		mu.Unlock()
		Status(code, "Retry-After", strconv.Itoa(seconds))(w, r, next)
	}
}

// ResetConnection drops the TCP connection with a reset (RST) instead of an answer, as a
// crashed load balancer does: the client reads "connection reset by peer".
func ResetConnection() FaultAction {
	return func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		raw := conn
		if tc, ok := conn.(*tls.Conn); ok {
			raw = tc.NetConn()
		}
		if tcp, ok := raw.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0) // close with RST, not FIN
		}
		_ = raw.Close()
	}
}

// CloseConnection closes the connection without a byte of answer: the client reads EOF.
func CloseConnection() FaultAction {
	return func(http.ResponseWriter, *http.Request, http.Handler) { panic(http.ErrAbortHandler) }
}

// Delay waits d before passing the request to the registry, or until the client gives
// up, whichever is first; a client that gave up gets no answer.
func Delay(d time.Duration) FaultAction {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			next.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	}
}

// Hang never answers: it waits until the client gives up (or ten minutes pass, so that a
// broken test cannot keep the registry from shutting down for ever).
func Hang() FaultAction { return Delay(10 * time.Minute) }

// Redirect answers with code (307, say) and a Location that target builds from the request,
// as a registry that keeps its blobs in S3 or GCS redirects to a presigned URL.
func Redirect(code int, target func(r *http.Request) string) FaultAction {
	return func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
		http.Redirect(w, r, target(r), code)
	}
}

// Rewrite lets the registry answer, then hands its status, header and body to edit, and
// sends what edit returns instead. The Content-Length is set to the new body's length;
// every other header, Docker-Content-Digest included, is left as edit leaves it.
func Rewrite(edit func(status int, header http.Header, body []byte) (int, []byte)) FaultAction {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		res := rec.Result()
		body := rec.Body.Bytes()
		status, body := edit(res.StatusCode, res.Header, slices.Clone(body))
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	}
}

// HugeTagList answers 200 with a tag list body of size bytes, streamed without being held
// in memory: a registry (or something posing as one) that never stops talking.
func HugeTagList(size int64) FaultAction {
	return func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		w.WriteHeader(http.StatusOK)
		prefix := []byte(`{"name":"huge","tags":["`)
		if _, err := w.Write(prefix); err != nil {
			return
		}
		chunk := bytes.Repeat([]byte("1.0.0-padding."), 4096)
		for left := size - int64(len(prefix)); left > 0; {
			n := min(int64(len(chunk)), left)
			if _, err := w.Write(chunk[:n]); err != nil {
				return // the client stopped reading
			}
			left -= n
		}
	}
}

// Pages configures Paginate.
type Pages struct {
	// PerPage is the number of tags on each page; 0 means 10.
	PerPage int
	// Tags edits the registry's full tag list before it is paged (adds hostile tags, say);
	// the result must not name a tag twice, since pages are found by their last tag.
	Tags func(tags []string) []string
	// Overlap starts every page after the first with the last tag of the page before, as
	// registries have been seen to do: every page boundary repeats a tag.
	Overlap bool
	// FailPage is the 1-based page answered with FailStatus instead; 0 for none. Pages are
	// counted as if Overlap were off.
	FailPage int
	// FailStatus is the status of the failed page; 0 means 500.
	FailStatus int
	// FailTimes is how many times the failed page fails before it is served; 0 means always.
	FailTimes int
	// LinkOrigin, when set ("https://elsewhere:443"), is put in front of the Link to the next
	// page, which is otherwise a path on the registry itself.
	LinkOrigin string
}

// Paginate serves a repository's tag list in pages of its own, with Link headers to
// /v2/NAME/tags/list?last=TAG&n=PERPAGE as the distribution spec describes, whatever page
// size the registry itself uses; match it to GET requests for tags/list.
func Paginate(p Pages) FaultAction {
	if p.PerPage <= 0 {
		p.PerPage = 10
	}
	if p.FailStatus == 0 {
		p.FailStatus = http.StatusInternalServerError
	}
	var mu sync.Mutex
	failures := 0
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		name, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/v2/"), "/tags/list")
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		tags, refused, err := allTags(r, next)
		switch {
		case refused != nil: // a 401 challenge, say: the client sees it as the registry sent it
			for k, v := range refused.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(refused.Code)
			_, _ = w.Write(refused.Body.Bytes())
			return
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if p.Tags != nil {
			tags = p.Tags(tags)
		}
		start, page := 0, 1
		if q := r.URL.Query(); q.Has("last") {
			i := slices.Index(tags, q.Get("last"))
			if i < 0 {
				http.Error(w, "unknown last tag", http.StatusBadRequest)
				return
			}
			start = i + 1
			page = start/p.PerPage + 1
			if p.Overlap {
				start = i
			}
		}
		if page == p.FailPage {
			mu.Lock()
			fail := p.FailTimes == 0 || failures < p.FailTimes
			failures++
			mu.Unlock()
			if fail {
				Status(p.FailStatus)(w, r, next)
				return
			}
		}
		end := min(start+p.PerPage, len(tags))
		if p.Overlap && start > 0 {
			end = min(start+1+p.PerPage, len(tags))
		}
		if end < len(tags) {
			q := url.Values{"last": {tags[end-1]}, "n": {strconv.Itoa(p.PerPage)}}
			w.Header().Set("Link", fmt.Sprintf(`<%s/v2/%s/tags/list?%s>; rel="next"`, p.LinkOrigin, name, q.Encode()))
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"name": name, "tags": tags[start:end]})
	}
}

// allTags reads the registry's whole tag list for r's repository, following the registry's
// own pagination, with r's headers (its credentials) on every request. A page the registry
// refuses is returned as it answered.
func allTags(r *http.Request, next http.Handler) ([]string, *httptest.ResponseRecorder, error) {
	var tags []string
	target := r.URL.Path
	for range 10000 {
		req := r.Clone(r.Context())
		u, err := url.Parse(target)
		if err != nil {
			return nil, nil, err
		}
		req.URL.Path, req.URL.RawQuery, req.RequestURI = u.Path, u.RawQuery, u.RequestURI()
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			return nil, rec, nil
		}
		var page struct{ Tags []string }
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			return nil, nil, err
		}
		tags = append(tags, page.Tags...)
		link := rec.Header().Get("Link")
		if link == "" {
			return tags, nil, nil
		}
		start, end := strings.Index(link, "<"), strings.Index(link, ">")
		if start < 0 || end < start {
			return nil, nil, fmt.Errorf("testenv: Paginate: bad Link %q", link)
		}
		target = link[start+1 : end]
	}
	return nil, nil, fmt.Errorf("testenv: Paginate: the registry's tag list does not end")
}

// OtherHost is a TLS server on another origin than the registry (another port of
// 127.0.0.1): the blob store a registry redirects to, or a host a hostile Link points at. It
// records every request it is sent, so tests can show that nothing, or nothing secret,
// reached it.
type OtherHost struct {
	// URL is "https://127.0.0.1:PORT"; Host is "127.0.0.1:PORT".
	URL, Host string

	srv      *httptest.Server
	mu       sync.Mutex
	requests []*http.Request
}

// StartOtherHost starts an OtherHost that answers with handler (404 for a nil handler),
// stopped by tb.Cleanup.
func StartOtherHost(tb testing.TB, handler http.Handler) *OtherHost {
	tb.Helper()
	if handler == nil {
		handler = http.NotFoundHandler()
	}
	o := &OtherHost{}
	o.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.requests = append(o.requests, r.Clone(context.Background()))
		o.mu.Unlock()
		handler.ServeHTTP(w, r)
	}))
	o.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	o.srv.StartTLS()
	tb.Cleanup(o.srv.Close)
	o.URL = o.srv.URL
	o.Host = strings.TrimPrefix(o.srv.URL, "https://")
	return o
}

// Certificate returns the server's certificate, for a client to add to its trusted roots.
func (o *OtherHost) Certificate() *x509.Certificate { return o.srv.Certificate() }

// Count returns how many requests the host was sent.
func (o *OtherHost) Count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.requests)
}

// Authorizations returns the Authorization headers of the requests it was sent, empty ones
// left out.
func (o *OtherHost) Authorizations() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, r := range o.requests {
		if h := r.Header.Get("Authorization"); h != "" {
			out = append(out, h)
		}
	}
	return out
}
