package registry_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
)

// Paths of the three kinds of request the client makes, for fault rules.
const (
	tagsPath     = `/tags/list$`
	manifestPath = `/manifests/`
	blobPath     = `/blobs/`
)

// fastRetry makes retries take milliseconds, not seconds; the delays are not what is tested.
func fastRetry(retries int) registry.Option {
	return registry.WithRetry(retries, time.Millisecond, 5*time.Millisecond)
}

// faultyRegistry starts a registry behind a fault injector, with charts/webapp 1.0.0 and
// 1.1.0 pushed, and the request log cleared.
func faultyRegistry(t *testing.T, opts ...testenv.RegistryOption) (*testenv.Registry, *testenv.Faults) {
	t.Helper()
	faults := testenv.NewFaults()
	reg := testenv.StartRegistry(t, append([]testenv.RegistryOption{testenv.WithMiddleware(faults.Middleware)}, opts...)...)
	reg.PushChart(t, "charts", "webapp", "1.0.0")
	reg.PushChart(t, "charts", "webapp", "1.1.0", testenv.WithAppVersion("2.0.0"))
	reg.Requests.Reset()
	return reg, faults
}

// countPath counts the requests reg served whose path matches pattern.
func countPath(reg *testenv.Registry, pattern string) int {
	re := regexp.MustCompile(pattern)
	return reg.Requests.Count(func(_, path string) bool { return re.MatchString(path) })
}

// readChart lists the tags of chart and reads the chart at tag, as planning does.
func readChart(ctx context.Context, client *registry.Client, chart, tag string) (registry.ChartVersion, error) {
	tags, err := client.Tags(ctx, chart)
	if err != nil {
		return registry.ChartVersion{}, err
	}
	if !slices.Contains(tags, tag) {
		return registry.ChartVersion{}, fmt.Errorf("tags %v lack %s", tags, tag)
	}
	return client.Chart(ctx, chart, tag)
}

// onlyReads fails the test if the client sent the registry anything but GET and HEAD.
func onlyReads(t *testing.T, reg *testenv.Registry) {
	t.Helper()
	for _, r := range reg.Requests.All() {
		if !strings.HasPrefix(r, "GET ") && !strings.HasPrefix(r, "HEAD ") {
			t.Errorf("the client sent %q; it must only read", r)
		}
	}
}

func TestTransientFailuresAreRetriedUntilTheReadSucceeds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		path   string
		times  int
		action testenv.FaultAction
		// wantRequests is how many requests of path the read takes in all.
		wantRequests int
	}{
		{name: "a 500 on the tag list, twice", path: tagsPath, times: 2, action: testenv.Status(500), wantRequests: 3},
		{name: "a 502 on the tag list, twice", path: tagsPath, times: 2, action: testenv.Status(502), wantRequests: 3},
		{name: "a 503 on the tag list, twice", path: tagsPath, times: 2, action: testenv.Status(503), wantRequests: 3},
		{name: "a 503 on the manifest, twice", path: manifestPath, times: 2, action: testenv.Status(503), wantRequests: 3},
		{name: "a 502 on the config blob, twice", path: blobPath, times: 2, action: testenv.Status(502), wantRequests: 3},
		{name: "a reset connection on the tag list, twice", path: tagsPath, times: 2, action: testenv.ResetConnection(), wantRequests: 3},
		{name: "a reset connection on the manifest, twice", path: manifestPath, times: 2, action: testenv.ResetConnection(), wantRequests: 3},
		{name: "a connection closed without an answer on the tag list, twice", path: tagsPath, times: 2, action: testenv.CloseConnection(), wantRequests: 3},
		// Throttle answers every request inside its window with 429 again: with retries 1 ms
		// apart the client would spend all of them there and fail, unless it waits as told.
		{name: "a 429 with Retry-After: 1 is waited for, not hammered", path: tagsPath, action: testenv.Throttle(429, 1), wantRequests: 2},
		{name: "a 503 with Retry-After: 1 is waited for, not hammered", path: manifestPath, action: testenv.Throttle(503, 1), wantRequests: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg, faults := faultyRegistry(t)
			faults.Add(http.MethodGet, tt.path, tt.times, tt.action)
			client := newClient(t, reg, registry.WithRetry(3, time.Millisecond, 2*time.Second))
			cv, err := readChart(context.Background(), client, reg.Host+"/charts/webapp", "1.1.0")
			if err != nil {
				t.Fatalf("read with transient faults: %v\nrequests: %q", err, reg.Requests.All())
			}
			if cv.Metadata.AppVersion != "2.0.0" {
				t.Errorf("metadata = %+v, want webapp 1.1.0's", cv.Metadata)
			}
			if got := countPath(reg, tt.path); got != tt.wantRequests {
				t.Errorf("%d requests of %s, want %d: %q", got, tt.path, tt.wantRequests, reg.Requests.All())
			}
			onlyReads(t, reg)
		})
	}
}

func TestPersistentFailuresEndAfterBoundedRetriesWithAClearError(t *testing.T) {
	t.Parallel()
	const retries = 2
	tests := []struct {
		name   string
		path   string
		action testenv.FaultAction
		// wantRequests is how many requests of path the client makes before it gives up.
		wantRequests int
		wantIn       []string
	}{
		{
			name: "a tag list that always answers 503", path: tagsPath, action: testenv.Status(503), wantRequests: retries + 1,
			wantIn: []string{"list tags of", "/charts/webapp", "503", "try again later"},
		},
		{
			name: "a manifest that always answers 500", path: manifestPath, action: testenv.Status(500), wantRequests: retries + 1,
			wantIn: []string{"fetch manifest 1.1.0 of", "/charts/webapp", "500", "try again later"},
		},
		{
			name: "a config blob that always answers 502", path: blobPath, action: testenv.Status(502), wantRequests: retries + 1,
			wantIn: []string{"fetch chart metadata 1.1.0 of", "/charts/webapp", "502"},
		},
		{
			name: "a tag list whose connection is always reset", path: tagsPath, action: testenv.ResetConnection(), wantRequests: retries + 1,
			wantIn: []string{"list tags of", "/charts/webapp", "connection reset by peer"},
		},
		{
			// The first request of a client is on a new connection, which net/http does not
			// retry by itself: every request counted is one of the client's attempts.
			name: "a tag list whose connection always closes without an answer", path: tagsPath, action: testenv.CloseConnection(), wantRequests: retries + 1,
			wantIn: []string{"list tags of", "/charts/webapp", "EOF", "connection was dropped"},
		},
		{
			name: "a Retry-After of an hour on 429 is not slept through", path: tagsPath, action: testenv.Status(429, "Retry-After", "3600"), wantRequests: 1,
			wantIn: []string{"list tags of", "/charts/webapp", "429 Too Many Requests", "retried after 1h0m0s", "try again later"},
		},
		{
			name: "a Retry-After date a day away on 503 is not slept through", path: manifestPath,
			action:       testenv.Status(503, "Retry-After", time.Now().Add(24*time.Hour).UTC().Format(http.TimeFormat)),
			wantRequests: 1,
			wantIn:       []string{"fetch manifest 1.1.0 of", "503 Service Unavailable", "asked to be retried after", "try again later"},
		},
		{
			name: "a 404 is not retried", path: manifestPath, action: testenv.Status(404), wantRequests: 1,
			wantIn: []string{"fetch manifest 1.1.0 of", "not found"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg, faults := faultyRegistry(t)
			faults.Add(http.MethodGet, tt.path, 0, tt.action)
			client := newClient(t, reg, fastRetry(retries))
			_, err := readChart(context.Background(), client, reg.Host+"/charts/webapp", "1.1.0")
			if err == nil {
				t.Fatal("the read succeeded against a registry that always fails")
			}
			for _, want := range append(tt.wantIn, reg.Host) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if got := countPath(reg, tt.path); got != tt.wantRequests {
				t.Errorf("%d requests of %s, want %d: %q", got, tt.path, tt.wantRequests, reg.Requests.All())
			}
			onlyReads(t, reg)
		})
	}
}

func TestTheDefaultRetriesAreBounded(t *testing.T) {
	t.Parallel()
	reg, faults := faultyRegistry(t)
	faults.Add("", tagsPath, 0, testenv.Status(503, "Retry-After", "0"))
	// Retry-After: 0 means "now": the default policy still backs off, 5 times at most.
	client := newClient(t, reg, registry.WithRetry(registry.DefaultRetries, time.Millisecond, time.Millisecond))
	if _, err := client.Tags(context.Background(), reg.Host+"/charts/webapp"); err == nil {
		t.Fatal("Tags succeeded against a registry that always answers 503")
	}
	if got, want := countPath(reg, tagsPath), registry.DefaultRetries+1; got != want {
		t.Errorf("%d requests, want %d (one and %d retries)", got, want, registry.DefaultRetries)
	}
}

func TestWithRetryRefusesNonsense(t *testing.T) {
	t.Parallel()
	for _, opt := range []registry.Option{
		registry.WithRetry(-1, time.Second, time.Second),
		registry.WithRetry(1, 0, time.Second),
		registry.WithRetry(1, time.Second, time.Millisecond),
	} {
		if _, err := registry.New(opt); err == nil || !strings.Contains(err.Error(), "retries") {
			t.Errorf("New with a bad retry option: %v, want an error about retries", err)
		}
	}
	// Zero retries is valid: one attempt, no retry.
	if _, err := registry.New(registry.WithRetry(0, time.Second, time.Second)); err != nil {
		t.Errorf("WithRetry(0, …): %v", err)
	}
}

func TestASlowRegistryRunsIntoTheRequestTimeout(t *testing.T) {
	t.Parallel()
	reg, faults := faultyRegistry(t)
	faults.Add(http.MethodGet, tagsPath, 0, testenv.Hang())
	client := newClient(t, reg, fastRetry(1), registry.WithRequestTimeout(100*time.Millisecond))
	// The test's own deadline is generous: the client must give up long before it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := client.Tags(ctx, reg.Host+"/charts/webapp")
	if ctx.Err() != nil {
		t.Fatalf("the client waited for the test's deadline: %v", err)
	}
	if err == nil || !strings.Contains(err.Error(), "timeout") || !strings.Contains(err.Error(), "--request-timeout") || !strings.Contains(err.Error(), "/charts/webapp") {
		t.Errorf("Tags from a registry that never answers: %v, want an error about the request timeout naming the repository", err)
	}
	if got := countPath(reg, tagsPath); got != 2 {
		t.Errorf("%d requests, want 2 (a timeout is retried, a bounded number of times)", got)
	}
}

func TestACancelledRunStopsWaitingForARegistry(t *testing.T) {
	t.Parallel()
	reg, faults := faultyRegistry(t)
	faults.Add(http.MethodGet, tagsPath, 0, testenv.Hang())
	// No request timeout to speak of: only the caller's deadline can end the wait.
	client := newClient(t, reg, registry.WithRequestTimeout(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := client.Tags(ctx, reg.Host+"/charts/webapp")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Tags after the deadline: %v, want context.DeadlineExceeded", err)
	}
}

func TestATagListFailingPartWayFailsTheWholeList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		failTimes int // 0: page 3 always fails
		wantErr   bool
	}{
		{name: "page 3 of 5 failing for good fails the list, naming the repository", wantErr: true},
		{name: "page 3 of 5 failing once is retried and the whole list read", failTimes: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg, faults := faultyRegistry(t)
			dgst := reg.PushChart(t, "charts", "paged", "0.1.0")
			var want []string
			for i := range 49 {
				want = append(want, fmt.Sprintf("0.2.%d", i))
			}
			reg.TagMany(t, "charts/paged", dgst, want)
			want = append(want, "0.1.0")
			faults.Add(http.MethodGet, tagsPath, 0, testenv.Paginate(testenv.Pages{PerPage: 10, FailPage: 3, FailStatus: 500, FailTimes: tt.failTimes}))
			reg.Requests.Reset()

			client := newClient(t, reg, fastRetry(2))
			tags, err := client.Tags(context.Background(), reg.Host+"/charts/paged")
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), reg.Host+"/charts/paged") || !strings.Contains(err.Error(), "500") {
					t.Errorf("Tags = %d tags, %v; want an error naming the repository and the status", len(tags), err)
				}
				if tags != nil {
					t.Errorf("Tags returned %d tags with its error; a partial list must not be used", len(tags))
				}
				if got := countPath(reg, tagsPath); got != 2+3 {
					t.Errorf("%d tag list requests, want 5 (pages 1 and 2, page 3 three times)", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Tags: %v", err)
			}
			slices.Sort(tags)
			slices.Sort(want)
			if !slices.Equal(tags, want) {
				t.Errorf("Tags = %d tags, want all %d", len(tags), len(want))
			}
		})
	}
}

func TestAPOSTIsNeverRetried(t *testing.T) {
	// An identity token in docker's config makes oras-go trade it for an access token with an
	// OAuth2 POST: the one request the client makes that is not a GET or a HEAD.
	const user, password = "ci-bot", "s3cret-passw0rd"
	dir := isolateCredentials(t)
	reg, faults := faultyRegistry(t, testenv.WithTokenAuth(user, password))
	token := faults.Add(http.MethodPost, `^/token$`, 0, testenv.Status(503))
	config := filepath.Join(dir, "config.json")
	writeIdentityToken(t, config, reg.Host, "refresh-token-value")
	store, err := registry.CredentialStore(registry.CredentialOptions{DockerConfig: config})
	if err != nil {
		t.Fatal(err)
	}
	client := newClient(t, reg, registry.WithCredentials(store), fastRetry(3))
	if _, err := client.Tags(context.Background(), reg.Host+"/charts/webapp"); err == nil {
		t.Fatal("Tags succeeded although the token endpoint fails")
	}
	if token.Hits() != 1 {
		t.Errorf("the token POST was sent %d times, want once: %q", token.Hits(), reg.Requests.All())
	}
}

// writeIdentityToken writes a docker config.json holding an identity (refresh) token for host,
// as `docker login` does for registries that issue them (ACR, for one).
func writeIdentityToken(t *testing.T, path, host, token string) {
	t.Helper()
	data := fmt.Sprintf(`{"auths": {%q: {"identitytoken": %q}}}`, host, token)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
