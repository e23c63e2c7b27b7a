package testenv

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

const fakeToken = "ghs_faketoken"

// callFake sends one request to the fake with the given Authorization header
// (none if empty) and returns the status, headers and decoded JSON body.
func callFake(t *testing.T, f *FakeGitHub, method, path, auth, body string) (int, http.Header, any) {
	t.Helper()
	req, err := http.NewRequest(method, f.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s %s: body is not JSON: %q", method, path, raw)
	}
	return resp.StatusCode, resp.Header, v
}

func startFakeWithRepo(t *testing.T, opts ...FakeGitHubOption) *FakeGitHub {
	t.Helper()
	f := StartFakeGitHub(t, fakeToken, opts...)
	f.AddRepo("acme", "fleet", "main")
	return f
}

func TestFakeGitHubAnswersWithGitHubsDocumentedShapes(t *testing.T) {
	const bearer = "Bearer " + fakeToken
	tests := []struct {
		name       string
		setup      func(f *FakeGitHub)
		method     string
		path       string
		auth       string
		body       string
		wantStatus int
		wantBody   map[string]any // keys that must be present with these values
	}{
		{
			name:       "a request without a token needs authentication",
			method:     "GET",
			path:       "/repos/acme/fleet/pulls",
			wantStatus: 401,
			wantBody:   map[string]any{"message": "Requires authentication", "documentation_url": "https://docs.github.com/rest"},
		},
		{
			name:       "a wrong token is bad credentials",
			method:     "GET",
			path:       "/repos/acme/fleet/pulls",
			auth:       "Bearer ghs_wrong",
			wantStatus: 401,
			wantBody:   map[string]any{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"},
		},
		{
			name:       "the older token scheme is accepted",
			method:     "GET",
			path:       "/repos/acme/fleet/git/ref/heads/main",
			auth:       "token " + fakeToken,
			wantStatus: 200,
			wantBody:   map[string]any{"ref": "refs/heads/main"},
		},
		{
			name: "a second pull request from the same head into the same base fails validation",
			setup: func(f *FakeGitHub) {
				f.OpenPR("acme", "fleet", FakePR{Title: "first", Head: "promote/web", Base: "main"})
			},
			method:     "POST",
			path:       "/repos/acme/fleet/pulls",
			auth:       bearer,
			body:       `{"title":"second","head":"promote/web","base":"main"}`,
			wantStatus: 422,
			wantBody: map[string]any{
				"message":           "Validation Failed",
				"errors":            []any{map[string]any{"resource": "PullRequest", "code": "custom", "message": "A pull request already exists for acme:promote/web."}},
				"documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
			},
		},
		{
			name:       "a pull request without a title fails validation on the field",
			method:     "POST",
			path:       "/repos/acme/fleet/pulls",
			auth:       bearer,
			body:       `{"head":"promote/web","base":"main"}`,
			wantStatus: 422,
			wantBody: map[string]any{
				"message": "Validation Failed",
				"errors":  []any{map[string]any{"resource": "PullRequest", "field": "title", "code": "missing_field"}},
			},
		},
		{
			name:       "a body that is not JSON is a bad request",
			method:     "POST",
			path:       "/repos/acme/fleet/pulls",
			auth:       bearer,
			body:       `{"title":`,
			wantStatus: 400,
			wantBody:   map[string]any{"message": "Problems parsing JSON"},
		},
		{
			name:       "an unknown pull request is not found",
			method:     "GET",
			path:       "/repos/acme/fleet/pulls/99",
			auth:       bearer,
			wantStatus: 404,
			wantBody:   map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/pulls/pulls#get-a-pull-request"},
		},
		{
			name:       "an unknown repository is not found",
			method:     "GET",
			path:       "/repos/acme/nope/pulls",
			auth:       bearer,
			wantStatus: 404,
			wantBody:   map[string]any{"message": "Not Found"},
		},
		{
			name:       "an unknown endpoint is a JSON 404",
			method:     "DELETE",
			path:       "/repos/acme/fleet",
			auth:       bearer,
			wantStatus: 404,
			wantBody:   map[string]any{"message": "Not Found"},
		},
		{
			name:       "a new branch must point at a commit GitHub has",
			method:     "POST",
			path:       "/repos/acme/fleet/git/refs",
			auth:       bearer,
			body:       `{"ref":"refs/heads/x","sha":"0000000000000000000000000000000000000000"}`,
			wantStatus: 422,
			wantBody:   map[string]any{"message": "Object does not exist"},
		},
		{
			name:       "a branch that exists cannot be created again",
			method:     "POST",
			path:       "/repos/acme/fleet/git/refs",
			auth:       bearer,
			body:       `{"ref":"refs/heads/main","sha":"MAIN"}`,
			wantStatus: 422,
			wantBody:   map[string]any{"message": "Reference already exists", "documentation_url": "https://docs.github.com/rest/git/refs#create-a-reference"},
		},
		{
			name:       "a blob's SHA is its Git object ID",
			method:     "POST",
			path:       "/repos/acme/fleet/git/blobs",
			auth:       bearer,
			body:       `{"content":"aGVsbG8K","encoding":"base64"}`, // "hello\n"
			wantStatus: 201,
			wantBody:   map[string]any{"sha": "ce013625030ba8dba906f756967f9e9ca394464a"},
		},
		{
			name:       "a GraphQL mutation in a repository without auto-merge fails with HTTP 200",
			setup:      func(f *FakeGitHub) { f.OpenPR("acme", "fleet", FakePR{Title: "t", Head: "promote/web", Base: "main"}) },
			method:     "POST",
			path:       "/graphql",
			auth:       bearer,
			body:       `{"query":"mutation { enablePullRequestAutoMerge(input: {pullRequestId: \"PR_YWNtZS9mbGVldCMx\", mergeMethod: SQUASH}) { clientMutationId } }"}`,
			wantStatus: 200,
			wantBody: map[string]any{
				"data": map[string]any{"enablePullRequestAutoMerge": nil},
				"errors": []any{map[string]any{
					"type": "UNPROCESSABLE", "path": []any{"enablePullRequestAutoMerge"},
					"message": "Pull request Auto merge is not allowed for this repository",
				}},
			},
		},
		{
			name:       "a GraphQL request with a bad argument has no data",
			method:     "POST",
			path:       "/graphql",
			auth:       bearer,
			body:       `{"query":"mutation($id: ID!) { enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: OCTOPUS}) { clientMutationId } }","variables":{"id":"PR_x"}}`,
			wantStatus: 200,
			wantBody:   map[string]any{"data": nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFakeWithRepo(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			body := strings.ReplaceAll(tt.body, "MAIN", f.Ref("acme", "fleet", "main"))
			status, _, got := callFake(t, f, tt.method, tt.path, tt.auth, body)
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d; body %v", status, tt.wantStatus, got)
			}
			obj, _ := got.(map[string]any)
			for k, want := range tt.wantBody {
				if v, ok := obj[k]; !ok || !reflect.DeepEqual(v, want) {
					t.Errorf("%q = %#v, want %#v", k, v, want)
				}
			}
		})
	}
}

func TestFakeGitHubPaginatesWithLinkHeaders(t *testing.T) {
	f := startFakeWithRepo(t)
	for i := range 120 {
		f.OpenPR("acme", "fleet", FakePR{Title: fmt.Sprint(i), Head: fmt.Sprintf("b%d", i), Base: "main"})
	}
	link := func(query string, rel string) string {
		return fmt.Sprintf(`<%s/repos/acme/fleet/pulls?%s>; rel=%q`, f.URL, query, rel)
	}
	tests := []struct {
		name      string
		query     string
		wantItems int
		wantLink  string
	}{
		{name: "the first page links to the next and the last", query: "?per_page=50", wantItems: 50,
			wantLink: link("page=2&per_page=50", "next") + ", " + link("page=3&per_page=50", "last")},
		{name: "a middle page links everywhere, in GitHub's order", query: "?per_page=50&page=2", wantItems: 50,
			wantLink: link("page=1&per_page=50", "prev") + ", " + link("page=3&per_page=50", "next") + ", " + link("page=3&per_page=50", "last") + ", " + link("page=1&per_page=50", "first")},
		{name: "the last page links back only", query: "?per_page=50&page=3", wantItems: 20,
			wantLink: link("page=2&per_page=50", "prev") + ", " + link("page=1&per_page=50", "first")},
		{name: "thirty per page by default", query: "", wantItems: 30,
			wantLink: link("page=2", "next") + ", " + link("page=4", "last")},
		{name: "a hundred per page at most", query: "?per_page=500", wantItems: 100,
			wantLink: link("page=2&per_page=500", "next") + ", " + link("page=2&per_page=500", "last")},
		{name: "a single page has no Link header", query: "?state=closed", wantItems: 0, wantLink: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, header, got := callFake(t, f, "GET", "/repos/acme/fleet/pulls"+tt.query, "Bearer "+fakeToken, "")
			items, _ := got.([]any)
			if status != 200 || len(items) != tt.wantItems {
				t.Errorf("status %d with %d items, want 200 with %d", status, len(items), tt.wantItems)
			}
			if l := header.Get("Link"); l != tt.wantLink {
				t.Errorf("Link:\n got %s\nwant %s", l, tt.wantLink)
			}
		})
	}
}

func TestFakeGitHubListsPullRequestsLikeGitHub(t *testing.T) {
	f := startFakeWithRepo(t)
	n := f.OpenPR("acme", "fleet", FakePR{Title: "t", Head: "promote/web", Base: "main"})
	f.SetPRState("acme", "fleet", n, "closed", true)

	_, _, list := callFake(t, f, "GET", "/repos/acme/fleet/pulls?state=closed&head=acme:promote/web", "Bearer "+fakeToken, "")
	_, _, single := callFake(t, f, "GET", fmt.Sprintf("/repos/acme/fleet/pulls/%d", n), "Bearer "+fakeToken, "")
	listed := list.([]any)[0].(map[string]any)
	if _, ok := listed["merged"]; ok || listed["merged_at"] == nil {
		t.Errorf("listed pull request has merged=%v merged_at=%v; GitHub's list leaves out merged and sets merged_at", listed["merged"], listed["merged_at"])
	}
	if single.(map[string]any)["merged"] != true {
		t.Errorf("single pull request has merged=%v, want true", single.(map[string]any)["merged"])
	}
	_, _, other := callFake(t, f, "GET", "/repos/acme/fleet/pulls?state=all&head=someone-else:promote/web", "Bearer "+fakeToken, "")
	if len(other.([]any)) != 0 {
		t.Errorf("a head filter for another owner matched %d pull requests, want 0", len(other.([]any)))
	}
}

func TestFakeGitHubSignsCommitsItWritesForTheToken(t *testing.T) {
	f := startFakeWithRepo(t)
	main := f.Ref("acme", "fleet", "main")
	_, _, tree := callFake(t, f, "POST", "/repos/acme/fleet/git/trees", "Bearer "+fakeToken,
		`{"base_tree":"`+f.mustCommitTree("acme", "fleet", main)+`","tree":[{"path":"a.txt","mode":"100644","type":"blob","content":"a\n"}]}`)
	treeSHA := tree.(map[string]any)["sha"].(string)
	tests := []struct {
		name         string
		extra        string
		wantVerified bool
		wantReason   string
	}{
		{name: "a commit without author is signed by GitHub", extra: "", wantVerified: true, wantReason: "valid"},
		{name: "a commit naming an author is left unsigned", extra: `,"author":{"name":"A","email":"a@example.com"}`, wantVerified: false, wantReason: "unsigned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, got := callFake(t, f, "POST", "/repos/acme/fleet/git/commits", "Bearer "+fakeToken,
				`{"message":"m","tree":"`+treeSHA+`","parents":["`+main+`"]`+tt.extra+`}`)
			commit := got.(map[string]any)
			v := commit["verification"].(map[string]any)
			if status != 201 || v["verified"] != tt.wantVerified || v["reason"] != tt.wantReason {
				t.Errorf("status %d, verification %v; want 201, verified %v, reason %q", status, v, tt.wantVerified, tt.wantReason)
			}
			if file, ok := f.File("acme", "fleet", commit["sha"].(string), "README.md"); !ok || string(file) != "# fleet\n" {
				t.Errorf("README.md from the base tree = %q, %v", file, ok)
			}
		})
	}
}

func TestFakeGitHubRefusesAnUpdateThatIsNotAFastForwardUnlessForced(t *testing.T) {
	f := startFakeWithRepo(t)
	main := f.Ref("acme", "fleet", "main")
	tree := f.mustCommitTree("acme", "fleet", main)
	commit := func(msg string) string {
		_, _, c := callFake(t, f, "POST", "/repos/acme/fleet/git/commits", "Bearer "+fakeToken, `{"message":"`+msg+`","tree":"`+tree+`","parents":["`+main+`"]}`)
		return c.(map[string]any)["sha"].(string)
	}
	c1, c2 := commit("one"), commit("two")
	f.SetRef("acme", "fleet", "topic", c1)

	status, _, got := callFake(t, f, "PATCH", "/repos/acme/fleet/git/refs/heads/topic", "Bearer "+fakeToken, `{"sha":"`+c2+`"}`)
	if status != 422 || got.(map[string]any)["message"] != "Update is not a fast forward" {
		t.Errorf("unforced sideways update = %d %v, want 422 Update is not a fast forward", status, got)
	}
	status, _, _ = callFake(t, f, "PATCH", "/repos/acme/fleet/git/refs/heads/topic", "Bearer "+fakeToken, `{"sha":"`+c2+`","force":true}`)
	if status != 200 || f.Ref("acme", "fleet", "topic") != c2 {
		t.Errorf("forced update = %d, branch at %s; want 200 and %s", status, f.Ref("acme", "fleet", "topic"), c2)
	}
}

func TestFakeGitHubCountsOnlySuccessfulWrites(t *testing.T) {
	f := startFakeWithRepo(t, WithFakeGitHubMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("fail") != "" {
				w.WriteHeader(http.StatusBadGateway)
				fmt.Fprint(w, `{"message":"Server Error"}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	}))
	f.SetAutoMergeAllowed("acme", "fleet", true)
	bearer := "Bearer " + fakeToken
	callFake(t, f, "GET", "/repos/acme/fleet/pulls", bearer, "")
	callFake(t, f, "POST", "/repos/acme/fleet/pulls?fail=1", bearer, `{"title":"t","head":"b","base":"main"}`)
	callFake(t, f, "POST", "/repos/acme/fleet/pulls", bearer, `{"head":"b","base":"main"}`) // 422
	callFake(t, f, "POST", "/repos/acme/fleet/pulls", "Bearer wrong", `{"title":"t","head":"b","base":"main"}`)
	if w := f.Writes(); w != 0 {
		t.Fatalf("Writes = %d after a read, an injected 502, a 422 and a 401; want 0", w)
	}
	callFake(t, f, "POST", "/repos/acme/fleet/pulls", bearer, `{"title":"t","head":"b","base":"main"}`)
	node := f.PullRequests("acme", "fleet")[0].NodeID
	callFake(t, f, "POST", "/graphql", bearer, `{"query":"mutation { enablePullRequestAutoMerge(input: {pullRequestId: \"nope\"}) { clientMutationId } }"}`)
	callFake(t, f, "POST", "/graphql", bearer, `{"query":"mutation { enablePullRequestAutoMerge(input: {pullRequestId: \"`+node+`\"}) { clientMutationId } }"}`)
	if w := f.Writes(); w != 2 {
		t.Errorf("Writes = %d after creating a pull request and one successful mutation, want 2", w)
	}
	if n := f.Requests.Count(nil); n != 7 {
		t.Errorf("Requests logged %d, want all 7, refused ones included", n)
	}
}

func TestFakeGitHubServesTheEnterpriseServerLayout(t *testing.T) {
	f := startFakeWithRepo(t)
	for i := range 3 {
		f.OpenPR("acme", "fleet", FakePR{Title: "t", Head: fmt.Sprint(i), Base: "main"})
	}
	req, _ := http.NewRequest("GET", f.EnterpriseURL+"/repos/acme/fleet/pulls?per_page=2", nil)
	req.Header.Set("Authorization", "Bearer "+fakeToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := fmt.Sprintf(`<%s/api/v3/repos/acme/fleet/pulls?page=2&per_page=2>; rel="next"`, f.URL)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Link"), want) {
		t.Errorf("status %d, Link %q; want 200 and links under /api/v3 starting %q", resp.StatusCode, resp.Header.Get("Link"), want)
	}
}

// mustCommitTree returns the tree of commit sha, for tests that write Git objects by hand.
func (f *FakeGitHub) mustCommitTree(owner, name, sha string) string {
	c, ok := f.Commit(owner, name, sha)
	if !ok {
		panic("no commit " + sha)
	}
	return c.Tree
}

func TestFakeGitHubRunsOutOfRequestsAsGitHubDoes(t *testing.T) {
	f := startFakeWithRepo(t, WithFakeGitHubRateLimit(2))
	const bearer = "Bearer " + fakeToken
	for _, wantRemaining := range []string{"1", "0"} {
		status, h, _ := callFake(t, f, http.MethodGet, "/repos/acme/fleet/pulls", bearer, "")
		if status != http.StatusOK || h.Get("X-RateLimit-Remaining") != wantRemaining || h.Get("X-RateLimit-Limit") != "2" || h.Get("X-RateLimit-Resource") != "core" {
			t.Fatalf("status %d, remaining %q of %q (%s); want 200 with %s left of 2", status, h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Resource"), wantRemaining)
		}
	}
	status, h, body := callFake(t, f, http.MethodGet, "/repos/acme/fleet/pulls", bearer, "")
	msg, _ := body.(map[string]any)["message"].(string)
	if status != http.StatusForbidden || h.Get("X-RateLimit-Remaining") != "0" || h.Get("X-RateLimit-Reset") == "" || !strings.HasPrefix(msg, "API rate limit exceeded") {
		t.Errorf("past the limit: status %d, remaining %q, reset %q, message %q; want GitHub's 403", status, h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Reset"), msg)
	}
	// GraphQL has a budget of its own.
	status, h, _ = callFake(t, f, http.MethodPost, "/graphql", bearer, `{"query":"{ viewer { login } }"}`)
	if status == http.StatusForbidden || h.Get("X-RateLimit-Resource") != "graphql" || h.Get("X-RateLimit-Remaining") != "1" {
		t.Errorf("GraphQL after REST ran out: status %d, resource %q, remaining %q; want its own budget", status, h.Get("X-RateLimit-Resource"), h.Get("X-RateLimit-Remaining"))
	}
	// A request without credentials is refused before it counts.
	if status, _, _ := callFake(t, f, http.MethodGet, "/repos/acme/fleet/pulls", "", ""); status != http.StatusUnauthorized {
		t.Errorf("unauthenticated request: status %d, want 401", status)
	}
}
