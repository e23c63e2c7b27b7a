package testenv

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// FakeGitHub is an in-memory GitHub REST API, plus the one GraphQL mutation
// chart-promoter sends, served by httptest on 127.0.0.1.
//
// GitHub, unlike a registry, cannot run in a test, so this is a fake; it is
// written from GitHub's REST documentation, not from our client: status
// codes, error bodies with "message" and "documentation_url", validation
// errors, Link pagination (30 per page by default, at most 100), rate-limit
// headers, and the list endpoint leaving out "merged". Where GitHub checks
// things the fake cannot know (collaborators, branch protection, commits
// pushed with git), it accepts the request.
//
// Git database objects are kept flat: a tree maps full paths to blobs, and
// tree and commit SHAs are fake (blob SHAs are real Git blob IDs). Commits
// made without author, committer or signature come back signed and
// "verified", as GitHub signs them for the token's identity.
type FakeGitHub struct {
	URL           string      // REST root, like https://api.github.com; GraphQL is at URL+"/graphql"
	EnterpriseURL string      // the same API laid out like GitHub Enterprise Server: URL+"/api/v3", GraphQL at URL+"/api/graphql"
	Requests      *RequestLog // every request, including those refused by auth or by a middleware
	Login         string      // the token's user: author of pull requests, comments and commits made through the API

	token string

	mu     sync.Mutex
	repos  map[string]*fakeRepo // by "owner/name"
	writes int
	used   map[string]int // requests counted against each rate limit: "core" (REST), "graphql"
	limit  int            // requests per hour each rate limit allows
	nextID int64          // database IDs of pull requests, comments and commits
}

// FakePR is a pull request as FakeGitHub stores it.
type FakePR struct {
	Number              int
	NodeID              string
	State               string // "open" or "closed"
	Merged              bool
	Draft               bool
	Title, Body         string
	Head, Base          string // branch names
	HeadSHA             string // the fake's branch, if it has one, takes precedence
	Labels              []string
	Reviewers           []string // requested reviewers, users
	TeamReviewers       []string // requested reviewers, team slugs
	Assignees           []string
	Author              string
	AutoMerge           string // merge method (MERGE, SQUASH, REBASE) once auto-merge is on, else ""
	MaintainerCanModify bool
	Milestone           int // number of the milestone, 0 for none
}

// FakeCommit is a commit as FakeGitHub stores it.
type FakeCommit struct {
	SHA      string
	Tree     string
	Parents  []string
	Message  string
	Verified bool
}

// FakeGitHubOption configures StartFakeGitHub.
type FakeGitHubOption func(*fakeGitHubConfig)

type fakeGitHubConfig struct {
	login       string
	middlewares []func(http.Handler) http.Handler
	rateLimit   int
}

// fakeRateLimit is the fake's rate limit unless WithFakeGitHubRateLimit sets one: GitHub's
// for a token of a user, which no test comes near.
const fakeRateLimit = 5000

// WithFakeGitHubRateLimit sets how many requests each rate limit (REST, and GraphQL apart)
// allows before the fake refuses them as GitHub does: 403, "API rate limit exceeded",
// x-ratelimit-remaining 0 and the reset time. Requests that fail authentication count
// against no limit.
func WithFakeGitHubRateLimit(requests int) FakeGitHubOption {
	return func(c *fakeGitHubConfig) { c.rateLimit = requests }
}

// WithFakeGitHubMiddleware wraps the API's handler, inside request logging and outside auth, to inject faults; the first middleware given is the outermost.
func WithFakeGitHubMiddleware(mw func(http.Handler) http.Handler) FakeGitHubOption {
	return func(c *fakeGitHubConfig) { c.middlewares = append(c.middlewares, mw) }
}

// WithFakeGitHubLogin sets the login of the token's user, "chart-promoter[bot]" by default.
func WithFakeGitHubLogin(login string) FakeGitHubOption {
	return func(c *fakeGitHubConfig) { c.login = login }
}

// StartFakeGitHub starts a fake GitHub that accepts token as "Bearer TOKEN" or "token TOKEN", stopped by tb.Cleanup.
func StartFakeGitHub(tb testing.TB, token string, opts ...FakeGitHubOption) *FakeGitHub {
	tb.Helper()
	cfg := fakeGitHubConfig{login: "chart-promoter[bot]", rateLimit: fakeRateLimit}
	for _, o := range opts {
		o(&cfg)
	}
	f := &FakeGitHub{
		Requests: &RequestLog{},
		Login:    cfg.login,
		token:    token,
		repos:    map[string]*fakeRepo{},
		used:     map[string]int{},
		limit:    cfg.rateLimit,
	}
	var h http.Handler = f.routes()
	h = f.countWrites(h)
	h = f.authenticate(h)
	h = ghEnterpriseLayout(h)
	for i := len(cfg.middlewares) - 1; i >= 0; i-- {
		h = cfg.middlewares[i](h)
	}
	srv := httptest.NewServer(f.Requests.wrap(h))
	tb.Cleanup(srv.Close)
	f.URL = srv.URL
	f.EnterpriseURL = srv.URL + "/api/v3"
	return f
}

// AddRepo creates repository owner/name whose defaultBranch holds one commit with a README.md.
func (f *FakeGitHub) AddRepo(owner, name, defaultBranch string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	r := &fakeRepo{
		owner: owner, name: name, id: f.nextID, defaultBranch: defaultBranch,
		comments: map[int][]*fakeComment{},
		refs:     map[string]string{},
		blobs:    map[string][]byte{},
		trees:    map[string]map[string]string{},
		commits:  map[string]*fakeCommit{},
	}
	readme := r.putBlob([]byte("# " + name + "\n"))
	tree := r.putTree(map[string]string{"README.md": readme})
	email := owner + "@users.noreply.github.com"
	c := &fakeCommit{tree: tree, message: "Initial commit", authorName: owner, authorEmail: email, committerName: owner, committerEmail: email, date: time.Now().UTC()}
	r.putCommit(c)
	r.refs["refs/heads/"+defaultBranch] = c.sha
	f.repos[owner+"/"+name] = r
}

// SetAutoMergeAllowed turns the repository's "Allow auto-merge" setting on or off; it starts off, as on GitHub.
func (f *FakeGitHub) SetAutoMergeAllowed(owner, name string, allowed bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mustRepo(owner, name).autoMerge = allowed
}

// AddMilestone creates an open milestone with number and title in the repository.
func (f *FakeGitHub) AddMilestone(owner, name string, number int, title string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRepo(owner, name)
	if r.milestones == nil {
		r.milestones = map[int]string{}
	}
	r.milestones[number] = title
}

// ForbidActionsPullRequests switches off the repository setting "Allow GitHub Actions to
// create and approve pull requests", as new repositories and organisations have it: GitHub
// then refuses to create a pull request with 403 and the message it sends for that.
func (f *FakeGitHub) ForbidActionsPullRequests(owner, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mustRepo(owner, name).noActionsPRs = true
}

// PullRequests returns a copy of the repository's pull requests, oldest first.
func (f *FakeGitHub) PullRequests(owner, name string) []FakePR {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRepo(owner, name)
	out := make([]FakePR, len(r.pulls))
	for i, p := range r.pulls {
		out[i] = p.snapshot(r)
	}
	return out
}

// Comments returns the bodies of the comments on issue or pull request number, oldest first.
func (f *FakeGitHub) Comments(owner, name string, number int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.mustRepo(owner, name).comments[number] {
		out = append(out, c.body)
	}
	return out
}

// AddComment seeds a comment by author on pull request number, as if a person wrote it.
func (f *FakeGitHub) AddComment(owner, name string, number int, author, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRepo(owner, name)
	f.mustPull(r, number)
	f.nextID++
	r.comments[number] = append(r.comments[number], &fakeComment{id: f.nextID, body: body, author: author, created: time.Now().UTC()})
}

// OpenPR seeds an open pull request, by default authored by "octocat", and returns its number; Number, NodeID and State are assigned.
func (f *FakeGitHub) OpenPR(owner, name string, pr FakePR) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRepo(owner, name)
	if pr.Author == "" {
		pr.Author = "octocat"
	}
	pr.State, pr.Merged = "open", false
	p := f.newPull(r, pr)
	return p.Number
}

// SetPRState closes, reopens or merges a pull request between runs; merged implies closed.
func (f *FakeGitHub) SetPRState(owner, name string, number int, state string, merged bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.mustPull(f.mustRepo(owner, name), number)
	now := time.Now().UTC()
	if merged {
		state = "closed"
		p.mergedAt = now
	}
	if state == "closed" && p.State == "open" {
		p.closedAt = now
		p.AutoMerge = ""
	}
	if state == "open" {
		p.closedAt = time.Time{}
	}
	p.State, p.Merged, p.updated = state, merged, now
}

// Ref returns the commit branch points at, or "" if the branch does not exist.
func (f *FakeGitHub) Ref(owner, name, branch string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mustRepo(owner, name).refs["refs/heads/"+branch]
}

// SetRef points branch at sha, as a push by someone else would; sha "" deletes the branch.
func (f *FakeGitHub) SetRef(owner, name, branch, sha string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRepo(owner, name)
	if sha == "" {
		delete(r.refs, "refs/heads/"+branch)
		return
	}
	r.refs["refs/heads/"+branch] = sha
}

// Commit returns the commit with sha, if the fake has it.
func (f *FakeGitHub) Commit(owner, name, sha string) (FakeCommit, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.mustRepo(owner, name).commits[sha]
	if !ok {
		return FakeCommit{}, false
	}
	return FakeCommit{SHA: c.sha, Tree: c.tree, Parents: slices.Clone(c.parents), Message: c.message, Verified: c.verified()}, true
}

// File returns the content of path in the commit that rev (a branch name or a commit SHA) names.
func (f *FakeGitHub) File(owner, name, rev, path string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRepo(owner, name)
	sha := rev
	if s, ok := r.refs["refs/heads/"+rev]; ok {
		sha = s
	}
	c, ok := r.commits[sha]
	if !ok {
		return nil, false
	}
	blob, ok := r.trees[c.tree][path]
	if !ok {
		return nil, false
	}
	return slices.Clone(r.blobs[blob]), true
}

// Writes returns how many requests other than GET and HEAD succeeded, GraphQL mutations included.
func (f *FakeGitHub) Writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes
}

// mustRepo panics on test set-up mistakes, which have no useful recovery.
func (f *FakeGitHub) mustRepo(owner, name string) *fakeRepo {
	r, ok := f.repos[owner+"/"+name]
	if !ok {
		panic(fmt.Sprintf("testenv: FakeGitHub has no repository %s/%s; call AddRepo first", owner, name))
	}
	return r
}

func (f *FakeGitHub) mustPull(r *fakeRepo, number int) *fakePull {
	p := r.pull(number)
	if p == nil {
		panic(fmt.Sprintf("testenv: FakeGitHub has no pull request %s/%s#%d", r.owner, r.name, number))
	}
	return p
}

// --- state ---

type fakeRepo struct {
	owner, name   string
	id            int64
	defaultBranch string
	autoMerge     bool
	// noActionsPRs models the setting "Allow GitHub Actions to create and approve pull
	// requests" switched off: creating a pull request is refused with 403.
	noActionsPRs bool
	milestones   map[int]string // number → title, open milestones only
	lastNumber   int            // issues and pull requests share one sequence of numbers
	pulls        []*fakePull
	comments     map[int][]*fakeComment
	refs         map[string]string            // "refs/heads/main" → commit SHA
	blobs        map[string][]byte            // SHA → content
	trees        map[string]map[string]string // SHA → path → blob SHA
	commits      map[string]*fakeCommit
	releases     map[string]bool // tags that have a release
}

type fakePull struct {
	FakePR
	id                          int64
	created, updated            time.Time
	closedAt, mergedAt          time.Time
	autoMergeBy, autoMergeTitle string
}

type fakeComment struct {
	id      int64
	body    string
	author  string
	created time.Time
}

type fakeCommit struct {
	sha, tree, message            string
	parents                       []string
	authorName, authorEmail       string
	committerName, committerEmail string
	date                          time.Time
	seq                           int64 // tells apart commits that are otherwise identical
	signedByGitHub                bool
}

func (c *fakeCommit) verified() bool { return c.signedByGitHub }

func (r *fakeRepo) pull(number int) *fakePull {
	for _, p := range r.pulls {
		if p.Number == number {
			return p
		}
	}
	return nil
}

// headSHA tracks the branch when the fake has it, as GitHub does.
func (r *fakeRepo) headSHA(p *fakePull) string {
	if sha, ok := r.refs["refs/heads/"+p.Head]; ok {
		return sha
	}
	return p.HeadSHA
}

func (p *fakePull) snapshot(r *fakeRepo) FakePR {
	s := p.FakePR
	s.HeadSHA = r.headSHA(p)
	s.Labels = slices.Clone(p.Labels)
	s.Reviewers = slices.Clone(p.Reviewers)
	s.TeamReviewers = slices.Clone(p.TeamReviewers)
	s.Assignees = slices.Clone(p.Assignees)
	return s
}

func (f *FakeGitHub) newPull(r *fakeRepo, pr FakePR) *fakePull {
	r.lastNumber++
	f.nextID++
	now := time.Now().UTC()
	pr.Number = r.lastNumber
	pr.NodeID = "PR_" + base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%s/%s#%d", r.owner, r.name, pr.Number))
	p := &fakePull{FakePR: pr, id: f.nextID, created: now, updated: now}
	r.pulls = append(r.pulls, p)
	return p
}

// putBlob stores content under its real Git blob ID.
func (r *fakeRepo) putBlob(content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	sha := hex.EncodeToString(h.Sum(nil))
	r.blobs[sha] = slices.Clone(content)
	return sha
}

func (r *fakeRepo) putTree(entries map[string]string) string {
	paths := make([]string, 0, len(entries))
	for p := range entries {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	h := sha1.New()
	h.Write([]byte("fake tree\n"))
	for _, p := range paths {
		fmt.Fprintf(h, "%s %s\n", entries[p], p)
	}
	sha := hex.EncodeToString(h.Sum(nil))
	r.trees[sha] = entries
	return sha
}

func (r *fakeRepo) putCommit(c *fakeCommit) {
	h := sha1.New()
	fmt.Fprintf(h, "fake commit %d\ntree %s\nparents %v\n%s\n%d\n%s", c.seq, c.tree, c.parents, c.authorName, c.date.UnixNano(), c.message)
	c.sha = hex.EncodeToString(h.Sum(nil))
	r.commits[c.sha] = c
}

// isAncestor reports whether commit a is b or one of b's ancestors.
func (r *fakeRepo) isAncestor(a, b string) bool {
	seen := map[string]bool{}
	todo := []string{b}
	for len(todo) > 0 {
		sha := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if sha == a {
			return true
		}
		if seen[sha] {
			continue
		}
		seen[sha] = true
		if c, ok := r.commits[sha]; ok {
			todo = append(todo, c.parents...)
		}
	}
	return false
}

// --- HTTP plumbing ---

// Documentation URLs GitHub puts into error bodies.
const (
	ghDocsREST       = "https://docs.github.com/rest"
	ghDocsRateLimits = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"
	ghDocsGraphQL    = "https://docs.github.com/graphql"
	ghDocsPulls      = "https://docs.github.com/rest/pulls/pulls"
	ghDocsReviewers  = "https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request"
	ghDocsComments   = "https://docs.github.com/rest/issues/comments"
	ghDocsLabels     = "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue"
	ghDocsAssignees  = "https://docs.github.com/rest/issues/assignees#add-assignees-to-an-issue"
	ghDocsRefs       = "https://docs.github.com/rest/git/refs"
	ghDocsBlobs      = "https://docs.github.com/rest/git/blobs#create-a-blob"
	ghDocsTrees      = "https://docs.github.com/rest/git/trees#create-a-tree"
	ghDocsCommits    = "https://docs.github.com/rest/git/commits"
)

type ghPrefixKey struct{}

// ghEnterpriseLayout serves GitHub Enterprise Server's paths, /api/v3/... and
// /api/graphql, from the same handler, remembering the prefix for Link headers.
func ghEnterpriseLayout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/graphql":
			r = r.Clone(context.WithValue(r.Context(), ghPrefixKey{}, "/api"))
			r.URL.Path, r.URL.RawPath = "/graphql", ""
		case strings.HasPrefix(r.URL.Path, "/api/v3/"):
			r = r.Clone(context.WithValue(r.Context(), ghPrefixKey{}, "/api/v3"))
			r.URL.Path = strings.TrimPrefix(r.URL.Path, "/api/v3")
			r.URL.RawPath = strings.TrimPrefix(r.URL.RawPath, "/api/v3")
		}
		next.ServeHTTP(w, r)
	})
}

func (f *FakeGitHub) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		docs := ghDocsREST
		if r.URL.Path == "/graphql" {
			docs = ghDocsGraphQL
		}
		scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		switch {
		case scheme == "":
			ghWriteError(w, http.StatusUnauthorized, "Requires authentication", docs)
			return
		case (!strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "token")) || cred != f.token:
			ghWriteError(w, http.StatusUnauthorized, "Bad credentials", docs)
			return
		}
		resource := "core"
		if r.URL.Path == "/graphql" {
			resource = "graphql"
		}
		// Every authenticated request counts; once none remain, GitHub refuses them
		// until the hour is over (the fake's hour never ends).
		f.mu.Lock()
		exceeded := f.used[resource] >= f.limit
		if !exceeded {
			f.used[resource]++
		}
		used := f.used[resource]
		f.mu.Unlock()
		h := w.Header()
		h.Set("X-RateLimit-Limit", strconv.Itoa(f.limit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(f.limit-used))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
		h.Set("X-RateLimit-Used", strconv.Itoa(used))
		h.Set("X-RateLimit-Resource", resource)
		h.Set("X-GitHub-Media-Type", "github.v3; format=json")
		if exceeded {
			ghWriteError(w, http.StatusForbidden, "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.", ghDocsRateLimits)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type ghStatusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *ghStatusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// countWrites counts successful REST writes; GraphQL answers 200 even when a
// mutation fails, so that handler counts its own.
func (f *FakeGitHub) countWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &ghStatusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.URL.Path != "/graphql" && rec.status < 300 {
			f.mu.Lock()
			f.writes++
			f.mu.Unlock()
		}
	})
}

func (f *FakeGitHub) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h func(w http.ResponseWriter, r *http.Request, repo *fakeRepo)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			defer f.mu.Unlock()
			repo, ok := f.repos[r.PathValue("owner")+"/"+r.PathValue("repo")]
			if !ok {
				ghWriteError(w, http.StatusNotFound, "Not Found", ghDocsREST)
				return
			}
			h(w, r, repo)
		})
	}
	handle("GET /repos/{owner}/{repo}", f.getRepo)
	handle("GET /repos/{owner}/{repo}/pulls", f.listPulls)
	handle("POST /repos/{owner}/{repo}/pulls", f.createPull)
	handle("GET /repos/{owner}/{repo}/pulls/{number}", f.getPull)
	handle("PATCH /repos/{owner}/{repo}/pulls/{number}", f.updatePull)
	handle("POST /repos/{owner}/{repo}/pulls/{number}/requested_reviewers", f.requestReviewers)
	handle("GET /repos/{owner}/{repo}/issues/{number}/comments", f.listComments)
	handle("POST /repos/{owner}/{repo}/issues/{number}/comments", f.createComment)
	handle("POST /repos/{owner}/{repo}/issues/{number}/labels", f.addLabels)
	handle("POST /repos/{owner}/{repo}/issues/{number}/assignees", f.addAssignees)
	handle("PATCH /repos/{owner}/{repo}/issues/{number}", f.updateIssue)
	handle("GET /repos/{owner}/{repo}/git/ref/{ref...}", f.getRef)
	handle("GET /repos/{owner}/{repo}/git/refs/{ref...}", f.getRef)
	handle("POST /repos/{owner}/{repo}/git/refs", f.createRef)
	handle("PATCH /repos/{owner}/{repo}/git/refs/{ref...}", f.updateRef)
	handle("POST /repos/{owner}/{repo}/git/blobs", f.createBlob)
	handle("POST /repos/{owner}/{repo}/git/trees", f.createTree)
	handle("POST /repos/{owner}/{repo}/git/commits", f.createCommit)
	handle("GET /repos/{owner}/{repo}/git/commits/{sha}", f.getCommit)
	handle("GET /repos/{owner}/{repo}/releases/tags/{tag}", f.getReleaseByTag)
	mux.HandleFunc("POST /graphql", f.graphQL)
	// GitHub answers unknown paths and unsupported methods with a JSON 404.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		ghWriteError(w, http.StatusNotFound, "Not Found", ghDocsREST)
	})
	return mux
}

// getRepo answers with the fields of GitHub's repository object the client reads.
func (f *FakeGitHub) getRepo(w http.ResponseWriter, _ *http.Request, repo *fakeRepo) {
	ghWriteJSON(w, http.StatusOK, map[string]any{
		"id": repo.id, "name": repo.name, "full_name": repo.owner + "/" + repo.name,
		"owner":          map[string]any{"login": repo.owner},
		"default_branch": repo.defaultBranch, "allow_auto_merge": repo.autoMerge, "private": false,
	})
}

func ghWriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func ghWriteError(w http.ResponseWriter, status int, message, docs string) {
	ghWriteJSON(w, status, map[string]any{"message": message, "documentation_url": docs, "status": strconv.Itoa(status)})
}

// ghValidationFailed writes GitHub's 422 body; each error is a
// resource/field/code(/message) object.
func ghValidationFailed(w http.ResponseWriter, docs string, errs ...map[string]string) {
	ghWriteJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message": "Validation Failed", "errors": errs, "documentation_url": docs, "status": "422",
	})
}

// ghDecode reads a JSON request body, answering 400 like GitHub when it is not JSON.
func ghDecode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		ghWriteError(w, http.StatusBadRequest, "Problems parsing JSON", ghDocsREST)
		return false
	}
	return true
}

// ghPaginate cuts items to the requested page and sets GitHub's Link header.
func ghPaginate[T any](w http.ResponseWriter, r *http.Request, items []T) []T {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per < 1 {
		per = 30
	}
	per = min(per, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	last := max((len(items)+per-1)/per, 1)

	prefix, _ := r.Context().Value(ghPrefixKey{}).(string)
	link := func(p int, rel string) string {
		q.Set("page", strconv.Itoa(p))
		return fmt.Sprintf(`<http://%s%s%s?%s>; rel=%q`, r.Host, prefix, r.URL.Path, q.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(min(page-1, last), "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	start := min((page-1)*per, len(items))
	return items[start:min(start+per, len(items))]
}

// --- JSON shapes ---

func ghUserJSON(login string) map[string]any {
	h := fnv.New32a()
	h.Write([]byte(login))
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	return map[string]any{"login": login, "id": h.Sum32(), "type": typ, "html_url": "https://github.com/" + login}
}

func ghLabelJSON(name string) map[string]any {
	h := fnv.New32a()
	h.Write([]byte(name))
	return map[string]any{"id": h.Sum32(), "name": name, "color": "ededed", "default": false, "description": nil}
}

func (f *FakeGitHub) apiURL(r *http.Request, format string, args ...any) string {
	prefix, _ := r.Context().Value(ghPrefixKey{}).(string)
	return "http://" + r.Host + prefix + fmt.Sprintf(format, args...)
}

func ghDeref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func ghNullableString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func ghNullableTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(time.RFC3339)
}

// pullJSON renders a pull request; the list endpoint leaves out "merged" and
// the other fields GitHub computes only for a single pull request.
func (f *FakeGitHub) pullJSON(r *http.Request, repo *fakeRepo, p *fakePull, single bool) map[string]any {
	repoJSON := map[string]any{"id": repo.id, "name": repo.name, "full_name": repo.owner + "/" + repo.name, "owner": ghUserJSON(repo.owner)}
	users := func(logins []string) []any {
		out := []any{}
		for _, l := range logins {
			out = append(out, ghUserJSON(l))
		}
		return out
	}
	labels := []any{}
	for _, l := range p.Labels {
		labels = append(labels, ghLabelJSON(l))
	}
	teams := []any{}
	for _, t := range p.TeamReviewers {
		teams = append(teams, map[string]any{"slug": t, "name": t})
	}
	var autoMerge any
	if p.AutoMerge != "" {
		autoMerge = map[string]any{"enabled_by": ghUserJSON(p.autoMergeBy), "merge_method": strings.ToLower(p.AutoMerge), "commit_title": p.autoMergeTitle, "commit_message": ""}
	}
	out := map[string]any{
		"url":                   f.apiURL(r, "/repos/%s/%s/pulls/%d", repo.owner, repo.name, p.Number),
		"id":                    p.id,
		"node_id":               p.NodeID,
		"html_url":              fmt.Sprintf("https://github.com/%s/%s/pull/%d", repo.owner, repo.name, p.Number),
		"number":                p.Number,
		"state":                 p.State,
		"locked":                false,
		"title":                 p.Title,
		"body":                  ghNullableString(p.Body),
		"user":                  ghUserJSON(p.Author),
		"labels":                labels,
		"draft":                 p.Draft,
		"assignees":             users(p.Assignees),
		"requested_reviewers":   users(p.Reviewers),
		"requested_teams":       teams,
		"created_at":            p.created.Format(time.RFC3339),
		"updated_at":            p.updated.Format(time.RFC3339),
		"closed_at":             ghNullableTime(p.closedAt),
		"merged_at":             ghNullableTime(p.mergedAt),
		"auto_merge":            autoMerge,
		"maintainer_can_modify": p.MaintainerCanModify,
		"head": map[string]any{
			"label": repo.owner + ":" + p.Head, "ref": p.Head, "sha": repo.headSHA(p),
			"user": ghUserJSON(repo.owner), "repo": repoJSON,
		},
		"base": map[string]any{
			"label": repo.owner + ":" + p.Base, "ref": p.Base, "sha": repo.refs["refs/heads/"+p.Base],
			"user": ghUserJSON(repo.owner), "repo": repoJSON,
		},
	}
	if single {
		out["merged"] = p.Merged
		out["mergeable"] = nil
		out["mergeable_state"] = "unknown"
		out["comments"] = len(repo.comments[p.Number])
	}
	return out
}

func (f *FakeGitHub) commentJSON(r *http.Request, repo *fakeRepo, number int, c *fakeComment) map[string]any {
	return map[string]any{
		"id":         c.id,
		"url":        f.apiURL(r, "/repos/%s/%s/issues/comments/%d", repo.owner, repo.name, c.id),
		"html_url":   fmt.Sprintf("https://github.com/%s/%s/pull/%d#issuecomment-%d", repo.owner, repo.name, number, c.id),
		"issue_url":  f.apiURL(r, "/repos/%s/%s/issues/%d", repo.owner, repo.name, number),
		"body":       c.body,
		"user":       ghUserJSON(c.author),
		"created_at": c.created.Format(time.RFC3339),
		"updated_at": c.created.Format(time.RFC3339),
	}
}

func (f *FakeGitHub) refJSON(r *http.Request, repo *fakeRepo, ref string) map[string]any {
	return map[string]any{
		"ref":     ref,
		"node_id": "REF_" + base64.RawURLEncoding.EncodeToString([]byte(repo.owner+"/"+repo.name+":"+ref)),
		"url":     f.apiURL(r, "/repos/%s/%s/git/%s", repo.owner, repo.name, ref),
		"object": map[string]any{
			"sha":  repo.refs[ref],
			"type": "commit",
			"url":  f.apiURL(r, "/repos/%s/%s/git/commits/%s", repo.owner, repo.name, repo.refs[ref]),
		},
	}
}

func (f *FakeGitHub) commitJSON(r *http.Request, repo *fakeRepo, c *fakeCommit) map[string]any {
	parents := []any{}
	for _, p := range c.parents {
		parents = append(parents, map[string]any{
			"sha":      p,
			"url":      f.apiURL(r, "/repos/%s/%s/git/commits/%s", repo.owner, repo.name, p),
			"html_url": fmt.Sprintf("https://github.com/%s/%s/commit/%s", repo.owner, repo.name, p),
		})
	}
	verification := map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil}
	if c.signedByGitHub {
		verification = map[string]any{
			"verified":    true,
			"reason":      "valid",
			"signature":   "-----BEGIN PGP SIGNATURE-----\n\nfake signature by testenv.FakeGitHub\n-----END PGP SIGNATURE-----\n",
			"payload":     fmt.Sprintf("tree %s\n\n%s", c.tree, c.message),
			"verified_at": c.date.Format(time.RFC3339),
		}
	}
	return map[string]any{
		"sha":          c.sha,
		"node_id":      "C_" + base64.RawURLEncoding.EncodeToString([]byte(c.sha)),
		"url":          f.apiURL(r, "/repos/%s/%s/git/commits/%s", repo.owner, repo.name, c.sha),
		"html_url":     fmt.Sprintf("https://github.com/%s/%s/commit/%s", repo.owner, repo.name, c.sha),
		"author":       map[string]any{"name": c.authorName, "email": c.authorEmail, "date": c.date.Format(time.RFC3339)},
		"committer":    map[string]any{"name": c.committerName, "email": c.committerEmail, "date": c.date.Format(time.RFC3339)},
		"tree":         map[string]any{"sha": c.tree, "url": f.apiURL(r, "/repos/%s/%s/git/trees/%s", repo.owner, repo.name, c.tree)},
		"message":      c.message,
		"parents":      parents,
		"verification": verification,
	}
}

// --- pull requests ---

func (f *FakeGitHub) listPulls(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	// The fake ignores a head filter without "owner:"; GitHub wants one.
	headOwner, headRef, qualified := strings.Cut(q.Get("head"), ":")
	var matched []*fakePull
	for _, p := range slices.Backward(repo.pulls) { // newest first: GitHub sorts by creation, descending
		if (state != "all" && p.State != state) ||
			(q.Get("base") != "" && p.Base != q.Get("base")) ||
			(qualified && (headOwner != repo.owner || p.Head != headRef)) {
			continue
		}
		matched = append(matched, p)
	}
	if q.Get("direction") == "asc" {
		slices.Reverse(matched)
	}
	out := []any{}
	for _, p := range ghPaginate(w, r, matched) {
		out = append(out, f.pullJSON(r, repo, p, false))
	}
	ghWriteJSON(w, http.StatusOK, out)
}

func (f *FakeGitHub) pullFromPath(w http.ResponseWriter, r *http.Request, repo *fakeRepo, docs string) *fakePull {
	n, err := strconv.Atoi(r.PathValue("number"))
	if p := repo.pull(n); err == nil && p != nil {
		return p
	}
	ghWriteError(w, http.StatusNotFound, "Not Found", docs)
	return nil
}

func (f *FakeGitHub) getPull(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	if p := f.pullFromPath(w, r, repo, ghDocsPulls+"#get-a-pull-request"); p != nil {
		ghWriteJSON(w, http.StatusOK, f.pullJSON(r, repo, p, true))
	}
}

func (f *FakeGitHub) createPull(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	const docs = ghDocsPulls + "#create-a-pull-request"
	var in struct {
		Title               *string `json:"title"`
		Body                *string `json:"body"`
		Head                string  `json:"head"`
		Base                string  `json:"base"`
		Draft               bool    `json:"draft"`
		MaintainerCanModify *bool   `json:"maintainer_can_modify"`
	}
	if !ghDecode(w, r, &in) {
		return
	}
	for _, req := range []struct{ field, value string }{{"head", in.Head}, {"base", in.Base}, {"title", ghDeref(in.Title)}} {
		if req.value == "" {
			ghValidationFailed(w, docs, map[string]string{"resource": "PullRequest", "field": req.field, "code": "missing_field"})
			return
		}
	}
	head := in.Head
	if owner, ref, ok := strings.Cut(in.Head, ":"); ok {
		if owner != repo.owner { // forks are not modelled
			ghValidationFailed(w, docs, map[string]string{"resource": "PullRequest", "field": "head", "code": "invalid"})
			return
		}
		head = ref
	}
	if head == in.Base {
		ghValidationFailed(w, docs, map[string]string{"resource": "PullRequest", "code": "custom", "message": fmt.Sprintf("No commits between %s and %s", in.Base, head)})
		return
	}
	for _, p := range repo.pulls {
		if p.State == "open" && p.Head == head && p.Base == in.Base {
			ghValidationFailed(w, docs, map[string]string{"resource": "PullRequest", "code": "custom", "message": fmt.Sprintf("A pull request already exists for %s:%s.", repo.owner, head)})
			return
		}
	}
	if repo.noActionsPRs {
		ghWriteError(w, http.StatusForbidden, "GitHub Actions is not permitted to create or approve pull requests.", docs)
		return
	}
	pr := FakePR{State: "open", Title: *in.Title, Body: ghDeref(in.Body), Head: head, Base: in.Base, Draft: in.Draft, Author: f.Login, MaintainerCanModify: true}
	if in.MaintainerCanModify != nil {
		pr.MaintainerCanModify = *in.MaintainerCanModify
	}
	p := f.newPull(repo, pr)
	w.Header().Set("Location", f.apiURL(r, "/repos/%s/%s/pulls/%d", repo.owner, repo.name, p.Number))
	ghWriteJSON(w, http.StatusCreated, f.pullJSON(r, repo, p, true))
}

func (f *FakeGitHub) updatePull(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	const docs = ghDocsPulls + "#update-a-pull-request"
	p := f.pullFromPath(w, r, repo, docs)
	if p == nil {
		return
	}
	var in struct {
		Title               *string `json:"title"`
		Body                *string `json:"body"`
		State               *string `json:"state"`
		Base                *string `json:"base"`
		MaintainerCanModify *bool   `json:"maintainer_can_modify"`
	}
	if !ghDecode(w, r, &in) {
		return
	}
	if in.State != nil && *in.State != "open" && *in.State != "closed" {
		ghValidationFailed(w, docs, map[string]string{"resource": "PullRequest", "field": "state", "code": "invalid"})
		return
	}
	if in.State != nil && *in.State == "open" && p.State == "closed" {
		if p.Merged {
			ghValidationFailed(w, docs, map[string]string{"resource": "PullRequest", "code": "custom", "field": "state", "message": "state cannot be changed. The pull request cannot be reopened, it has been merged."})
			return
		}
		for _, o := range repo.pulls {
			if o != p && o.State == "open" && o.Head == p.Head && o.Base == p.Base {
				ghValidationFailed(w, docs, map[string]string{"resource": "PullRequest", "code": "custom", "message": fmt.Sprintf("A pull request already exists for %s:%s.", repo.owner, p.Head)})
				return
			}
		}
	}
	now := time.Now().UTC()
	if in.Title != nil {
		p.Title = *in.Title
	}
	if in.Body != nil {
		p.Body = *in.Body
	}
	if in.Base != nil {
		p.Base = *in.Base
	}
	if in.MaintainerCanModify != nil {
		p.MaintainerCanModify = *in.MaintainerCanModify
	}
	if in.State != nil && *in.State != p.State {
		p.State = *in.State
		if p.State == "closed" {
			p.closedAt, p.AutoMerge = now, ""
		} else {
			p.closedAt = time.Time{}
		}
	}
	p.updated = now
	ghWriteJSON(w, http.StatusOK, f.pullJSON(r, repo, p, true))
}

func (f *FakeGitHub) requestReviewers(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	p := f.pullFromPath(w, r, repo, ghDocsReviewers)
	if p == nil {
		return
	}
	var in struct {
		Reviewers     []string `json:"reviewers"`
		TeamReviewers []string `json:"team_reviewers"`
	}
	if !ghDecode(w, r, &in) {
		return
	}
	if slices.Contains(in.Reviewers, p.Author) {
		ghValidationFailed(w, ghDocsReviewers, map[string]string{"resource": "PullRequest", "code": "custom", "message": "Review cannot be requested from pull request author."})
		return
	}
	for _, u := range in.Reviewers {
		if !slices.Contains(p.Reviewers, u) {
			p.Reviewers = append(p.Reviewers, u)
		}
	}
	for _, t := range in.TeamReviewers {
		if !slices.Contains(p.TeamReviewers, t) {
			p.TeamReviewers = append(p.TeamReviewers, t)
		}
	}
	p.updated = time.Now().UTC()
	ghWriteJSON(w, http.StatusCreated, f.pullJSON(r, repo, p, true))
}

// --- issues: comments, labels, assignees (every pull request is an issue) ---

func (f *FakeGitHub) listComments(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	p := f.pullFromPath(w, r, repo, ghDocsComments+"#list-issue-comments")
	if p == nil {
		return
	}
	out := []any{}
	for _, c := range ghPaginate(w, r, repo.comments[p.Number]) {
		out = append(out, f.commentJSON(r, repo, p.Number, c))
	}
	ghWriteJSON(w, http.StatusOK, out)
}

func (f *FakeGitHub) createComment(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	const docs = ghDocsComments + "#create-an-issue-comment"
	p := f.pullFromPath(w, r, repo, docs)
	if p == nil {
		return
	}
	var in struct {
		Body string `json:"body"`
	}
	if !ghDecode(w, r, &in) {
		return
	}
	if in.Body == "" {
		ghValidationFailed(w, docs, map[string]string{"resource": "IssueComment", "field": "body", "code": "missing_field"})
		return
	}
	f.nextID++
	c := &fakeComment{id: f.nextID, body: in.Body, author: f.Login, created: time.Now().UTC()}
	repo.comments[p.Number] = append(repo.comments[p.Number], c)
	w.Header().Set("Location", f.apiURL(r, "/repos/%s/%s/issues/comments/%d", repo.owner, repo.name, c.id))
	ghWriteJSON(w, http.StatusCreated, f.commentJSON(r, repo, p.Number, c))
}

func (f *FakeGitHub) addLabels(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	p := f.pullFromPath(w, r, repo, ghDocsLabels)
	if p == nil {
		return
	}
	// GitHub takes a bare array of names or {"labels": [...]}.
	var raw json.RawMessage
	if !ghDecode(w, r, &raw) {
		return
	}
	var names []string
	if err := json.Unmarshal(raw, &names); err != nil {
		var obj struct {
			Labels []string `json:"labels"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			ghValidationFailed(w, ghDocsLabels, map[string]string{"resource": "Label", "field": "labels", "code": "invalid"})
			return
		}
		names = obj.Labels
	}
	for _, n := range names {
		if !slices.Contains(p.Labels, n) {
			p.Labels = append(p.Labels, n)
		}
	}
	p.updated = time.Now().UTC()
	out := []any{}
	for _, l := range p.Labels {
		out = append(out, ghLabelJSON(l))
	}
	ghWriteJSON(w, http.StatusOK, out)
}

// updateIssue models the milestone of "Update an issue", the only field the tool sets
// there; an unknown milestone is refused as GitHub refuses it.
func (f *FakeGitHub) updateIssue(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	const docs = "https://docs.github.com/rest/issues/issues#update-an-issue"
	p := f.pullFromPath(w, r, repo, docs)
	if p == nil {
		return
	}
	var in struct {
		Milestone *int `json:"milestone"`
	}
	if !ghDecode(w, r, &in) {
		return
	}
	if in.Milestone != nil {
		if _, ok := repo.milestones[*in.Milestone]; !ok {
			ghValidationFailed(w, docs, map[string]string{"resource": "Issue", "field": "milestone", "code": "invalid", "value": strconv.Itoa(*in.Milestone)})
			return
		}
		p.Milestone = *in.Milestone
	}
	p.updated = time.Now().UTC()
	issue := f.pullJSON(r, repo, p, false)
	issue["url"] = f.apiURL(r, "/repos/%s/%s/issues/%d", repo.owner, repo.name, p.Number)
	ghWriteJSON(w, http.StatusOK, issue)
}

func (f *FakeGitHub) addAssignees(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	p := f.pullFromPath(w, r, repo, ghDocsAssignees)
	if p == nil {
		return
	}
	var in struct {
		Assignees []string `json:"assignees"`
	}
	if !ghDecode(w, r, &in) {
		return
	}
	for _, u := range in.Assignees {
		if !slices.Contains(p.Assignees, u) {
			p.Assignees = append(p.Assignees, u)
		}
	}
	p.updated = time.Now().UTC()
	// The issue view of the pull request.
	issue := f.pullJSON(r, repo, p, false)
	issue["url"] = f.apiURL(r, "/repos/%s/%s/issues/%d", repo.owner, repo.name, p.Number)
	issue["pull_request"] = map[string]any{"url": f.apiURL(r, "/repos/%s/%s/pulls/%d", repo.owner, repo.name, p.Number)}
	for _, k := range []string{"head", "base", "requested_reviewers", "requested_teams", "auto_merge", "maintainer_can_modify", "merged_at"} {
		delete(issue, k)
	}
	ghWriteJSON(w, http.StatusCreated, issue)
}

// --- Git database ---

func (f *FakeGitHub) getRef(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	ref := "refs/" + r.PathValue("ref")
	if _, ok := repo.refs[ref]; !ok {
		ghWriteError(w, http.StatusNotFound, "Not Found", ghDocsRefs+"#get-a-reference")
		return
	}
	ghWriteJSON(w, http.StatusOK, f.refJSON(r, repo, ref))
}

func (f *FakeGitHub) createRef(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	const docs = ghDocsRefs + "#create-a-reference"
	var in struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	if !ghDecode(w, r, &in) {
		return
	}
	switch {
	case !strings.HasPrefix(in.Ref, "refs/") || strings.Count(in.Ref, "/") < 2:
		ghWriteError(w, http.StatusUnprocessableEntity, "Reference name must start with 'refs/' and have at least two slashes.", docs)
	case repo.commits[in.SHA] == nil:
		ghWriteError(w, http.StatusUnprocessableEntity, "Object does not exist", docs)
	case repo.refs[in.Ref] != "":
		ghWriteError(w, http.StatusUnprocessableEntity, "Reference already exists", docs)
	default:
		repo.refs[in.Ref] = in.SHA
		w.Header().Set("Location", f.apiURL(r, "/repos/%s/%s/git/%s", repo.owner, repo.name, in.Ref))
		ghWriteJSON(w, http.StatusCreated, f.refJSON(r, repo, in.Ref))
	}
}

func (f *FakeGitHub) updateRef(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	const docs = ghDocsRefs + "#update-a-reference"
	ref := "refs/" + r.PathValue("ref")
	var in struct {
		SHA   string `json:"sha"`
		Force bool   `json:"force"`
	}
	if !ghDecode(w, r, &in) {
		return
	}
	current, exists := repo.refs[ref]
	switch {
	case !exists:
		ghWriteError(w, http.StatusUnprocessableEntity, "Reference does not exist", docs)
	case repo.commits[in.SHA] == nil:
		ghWriteError(w, http.StatusUnprocessableEntity, "Object does not exist", docs)
	case !in.Force && !repo.isAncestor(current, in.SHA):
		ghWriteError(w, http.StatusUnprocessableEntity, "Update is not a fast forward", docs)
	default:
		repo.refs[ref] = in.SHA
		ghWriteJSON(w, http.StatusOK, f.refJSON(r, repo, ref))
	}
}

func (f *FakeGitHub) createBlob(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	var in struct {
		Content  *string `json:"content"`
		Encoding string  `json:"encoding"`
	}
	if !ghDecode(w, r, &in) {
		return
	}
	if in.Content == nil {
		ghWriteError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"content\" wasn't supplied.", ghDocsBlobs)
		return
	}
	content := []byte(*in.Content)
	switch in.Encoding {
	case "", "utf-8":
	case "base64":
		var err error
		if content, err = base64.StdEncoding.DecodeString(*in.Content); err != nil {
			ghWriteError(w, http.StatusUnprocessableEntity, "Invalid request.\n\ncontent is not valid Base64.", ghDocsBlobs)
			return
		}
	default:
		ghWriteError(w, http.StatusUnprocessableEntity, fmt.Sprintf("encoding must be utf-8 or base64, not %q", in.Encoding), ghDocsBlobs)
		return
	}
	sha := repo.putBlob(content)
	ghWriteJSON(w, http.StatusCreated, map[string]any{"sha": sha, "url": f.apiURL(r, "/repos/%s/%s/git/blobs/%s", repo.owner, repo.name, sha)})
}

func (f *FakeGitHub) createTree(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	var in struct {
		BaseTree string `json:"base_tree"`
		Tree     []struct {
			Path    string  `json:"path"`
			Mode    string  `json:"mode"`
			Type    string  `json:"type"`
			SHA     *string `json:"sha"`
			Content *string `json:"content"`
		} `json:"tree"`
	}
	if !ghDecode(w, r, &in) {
		return
	}
	if in.Tree == nil {
		ghWriteError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"tree\" wasn't supplied.", ghDocsTrees)
		return
	}
	entries := map[string]string{}
	if in.BaseTree != "" {
		base, ok := repo.trees[in.BaseTree]
		if !ok {
			ghWriteError(w, http.StatusUnprocessableEntity, "base_tree is not a valid tree oid", ghDocsTrees)
			return
		}
		for p, sha := range base {
			entries[p] = sha
		}
	}
	for _, e := range in.Tree {
		if e.Path == "" || strings.HasPrefix(e.Path, "/") {
			ghWriteError(w, http.StatusUnprocessableEntity, fmt.Sprintf("tree.path %q is invalid", e.Path), ghDocsTrees)
			return
		}
		if e.SHA == nil && e.Content == nil { // "sha": null deletes, a whole directory too
			for p := range entries {
				if p == e.Path || strings.HasPrefix(p, e.Path+"/") {
					delete(entries, p)
				}
			}
			continue
		}
		if e.Type != "blob" || (e.Mode != "100644" && e.Mode != "100755" && e.Mode != "120000") {
			ghWriteError(w, http.StatusUnprocessableEntity, fmt.Sprintf("fake GitHub supports blob entries (mode 100644, 100755 or 120000) only, not type %q mode %q", e.Type, e.Mode), ghDocsTrees)
			return
		}
		switch {
		case e.Content != nil:
			entries[e.Path] = repo.putBlob([]byte(*e.Content))
		case repo.blobs[*e.SHA] == nil:
			ghWriteError(w, http.StatusUnprocessableEntity, fmt.Sprintf("tree.sha %s is not a valid blob", *e.SHA), ghDocsTrees)
			return
		default:
			entries[e.Path] = *e.SHA
		}
	}
	sha := repo.putTree(entries)
	ghWriteJSON(w, http.StatusCreated, f.treeJSON(r, repo, sha))
}

// treeJSON lists the flat tree as GitHub lists a tree read with recursive=1, blobs only.
func (f *FakeGitHub) treeJSON(r *http.Request, repo *fakeRepo, sha string) map[string]any {
	paths := make([]string, 0, len(repo.trees[sha]))
	for p := range repo.trees[sha] {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	list := []any{}
	for _, p := range paths {
		blob := repo.trees[sha][p]
		list = append(list, map[string]any{
			"path": p, "mode": "100644", "type": "blob", "sha": blob, "size": len(repo.blobs[blob]),
			"url": f.apiURL(r, "/repos/%s/%s/git/blobs/%s", repo.owner, repo.name, blob),
		})
	}
	return map[string]any{"sha": sha, "url": f.apiURL(r, "/repos/%s/%s/git/trees/%s", repo.owner, repo.name, sha), "tree": list, "truncated": false}
}

func (f *FakeGitHub) createCommit(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	const docs = ghDocsCommits + "#create-a-commit"
	var in struct {
		Message   *string         `json:"message"`
		Tree      string          `json:"tree"`
		Parents   []string        `json:"parents"`
		Author    json.RawMessage `json:"author"`
		Committer json.RawMessage `json:"committer"`
		Signature string          `json:"signature"`
	}
	if !ghDecode(w, r, &in) {
		return
	}
	switch {
	case in.Message == nil:
		ghWriteError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"message\" wasn't supplied.", docs)
		return
	case in.Tree == "":
		ghWriteError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"tree\" wasn't supplied.", docs)
		return
	case repo.trees[in.Tree] == nil:
		ghWriteError(w, http.StatusUnprocessableEntity, "Tree SHA does not exist", docs)
		return
	}
	for _, p := range in.Parents {
		if repo.commits[p] == nil {
			ghWriteError(w, http.StatusUnprocessableEntity, "Parent SHA does not exist or is not a commit object", docs)
			return
		}
	}
	h := fnv.New32a()
	h.Write([]byte(f.Login))
	c := &fakeCommit{
		tree: in.Tree, message: *in.Message, parents: in.Parents,
		authorName: f.Login, authorEmail: fmt.Sprintf("%d+%s@users.noreply.github.com", h.Sum32(), f.Login),
		date: time.Now().UTC(),
		// GitHub signs a commit it writes for the token's identity; one
		// that names someone else or carries a signature it leaves alone.
		signedByGitHub: ghIsNullJSON(in.Author) && ghIsNullJSON(in.Committer) && in.Signature == "",
	}
	c.committerName, c.committerEmail = c.authorName, c.authorEmail
	if c.signedByGitHub {
		c.committerName, c.committerEmail = "GitHub", "noreply@github.com"
	}
	f.nextID++
	c.seq = f.nextID
	repo.putCommit(c)
	w.Header().Set("Location", f.apiURL(r, "/repos/%s/%s/git/commits/%s", repo.owner, repo.name, c.sha))
	ghWriteJSON(w, http.StatusCreated, f.commitJSON(r, repo, c))
}

func ghIsNullJSON(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

func (f *FakeGitHub) getCommit(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	c, ok := repo.commits[r.PathValue("sha")]
	if !ok {
		ghWriteError(w, http.StatusNotFound, "Not Found", ghDocsCommits+"#get-a-commit-object")
		return
	}
	ghWriteJSON(w, http.StatusOK, f.commitJSON(r, repo, c))
}

// --- GraphQL: enablePullRequestAutoMerge only ---

// Arguments of the mutation's input, not the declarations of variables
// with the same names ("$mergeMethod: PullRequestMergeMethod!").
var (
	gqlPullRequestID = regexp.MustCompile(`(?:^|[^$\w])pullRequestId\s*:\s*(\$\w+|"[^"]*")`)
	gqlMergeMethod   = regexp.MustCompile(`(?:^|[^$\w])mergeMethod\s*:\s*(\$\w+|\w+)`)
)

// gqlArgument resolves an argument written inline or passed as a $variable.
func gqlArgument(re *regexp.Regexp, query string, vars map[string]any) (string, bool) {
	m := re.FindStringSubmatch(query)
	if m == nil {
		return "", false
	}
	if name, ok := strings.CutPrefix(m[1], "$"); ok {
		v, ok := vars[name].(string)
		return v, ok
	}
	return strings.Trim(m[1], `"`), true
}

func (f *FakeGitHub) graphQL(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		ghWriteError(w, http.StatusBadRequest, "Problems parsing JSON", ghDocsGraphQL)
		return
	}
	// Errors in the request itself leave no data; errors while running
	// the mutation leave its field null. Both come with HTTP 200.
	requestError := func(msg string) {
		ghWriteJSON(w, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{"message": msg}}})
	}
	mutationError := func(typ, msg string) {
		ghWriteJSON(w, http.StatusOK, map[string]any{
			"data":   map[string]any{"enablePullRequestAutoMerge": nil},
			"errors": []any{map[string]any{"type": typ, "path": []string{"enablePullRequestAutoMerge"}, "message": msg}},
		})
	}
	if !strings.Contains(in.Query, "enablePullRequestAutoMerge") {
		requestError("testenv.FakeGitHub implements only the enablePullRequestAutoMerge mutation")
		return
	}
	id, ok := gqlArgument(gqlPullRequestID, in.Query, in.Variables)
	if !ok {
		requestError("Argument 'pullRequestId' on InputObject 'EnablePullRequestAutoMergeInput' is required. Expected type ID!")
		return
	}
	method, ok := gqlArgument(gqlMergeMethod, in.Query, in.Variables)
	if !ok {
		method = "MERGE"
	}
	if method != "MERGE" && method != "SQUASH" && method != "REBASE" {
		requestError(fmt.Sprintf("Argument 'mergeMethod' on InputObject 'EnablePullRequestAutoMergeInput' has an invalid value (%s). Expected type 'PullRequestMergeMethod'.", method))
		return
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	var repo *fakeRepo
	var pull *fakePull
	for _, rp := range f.repos {
		for _, p := range rp.pulls {
			if p.NodeID == id {
				repo, pull = rp, p
			}
		}
	}
	switch {
	case pull == nil:
		mutationError("NOT_FOUND", fmt.Sprintf("Could not resolve to a node with the global id of '%s'", id))
	case !repo.autoMerge:
		mutationError("UNPROCESSABLE", "Pull request Auto merge is not allowed for this repository")
	case pull.State != "open" || pull.Draft:
		mutationError("UNPROCESSABLE", "Can't enable auto-merge for this pull request.")
	default:
		pull.AutoMerge, pull.autoMergeBy, pull.autoMergeTitle = method, f.Login, fmt.Sprintf("%s (#%d)", pull.Title, pull.Number)
		pull.updated = time.Now().UTC()
		f.writes++
		ghWriteJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
			"enablePullRequestAutoMerge": map[string]any{"pullRequest": map[string]any{"id": pull.NodeID, "number": pull.Number}},
		}})
	}
}
