// Package argocd reads Applications from Argo CD's API server: whether an upstream stage
// is Synced and Healthy at a revision, and when that revision was deployed. It reads
// only; the tool never deploys anything itself.
package argocd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxResponseBytes bounds an Application read: a large one with thousands of resources
// is a few megabytes.
const maxResponseBytes = 32 << 20

// Client reads Applications from one Argo CD API server.
type Client struct {
	server *url.URL
	token  string
	http   *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (TLS settings, proxies, timeouts).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// New returns a client for the API server at server (https://argocd.example.com) that
// authenticates with token, an Argo CD account or project token.
func New(server, token string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(server, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("argocd server %q: want an https:// URL of the Argo CD API server", server)
	}
	c := &Client{server: u, token: token, http: &http.Client{Timeout: 30 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Application is the part of an Argo CD Application the stage gate reads.
type Application struct {
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Status Status `json:"status"`
}

// Status is an Application's status as the API serves it (v1alpha1ApplicationStatus).
type Status struct {
	Sync struct {
		// Status is Synced, OutOfSync or Unknown.
		Status string `json:"status"`
		// Revision is the synced revision of a single-source Application: for a Helm
		// chart, the chart version; Revisions is the same per source of a multi-source one.
		Revision  string   `json:"revision,omitempty"`
		Revisions []string `json:"revisions,omitempty"`
	} `json:"sync"`
	Health struct {
		// Status is Healthy, Progressing, Degraded, Suspended, Missing or Unknown.
		Status  string `json:"status"`
		Message string `json:"message,omitempty"`
	} `json:"health"`
	// History is the deployments, oldest first.
	History []History `json:"history,omitempty"`
}

// History is one deployment of an Application (v1alpha1RevisionHistory).
type History struct {
	ID         int64     `json:"id"`
	Revision   string    `json:"revision,omitempty"`
	Revisions  []string  `json:"revisions,omitempty"`
	DeployedAt time.Time `json:"deployedAt"`
}

// Revision returns the synced revision of source index i (0 for a single source).
func (s Status) Revision(i int) string {
	if len(s.Sync.Revisions) > 0 {
		if i < len(s.Sync.Revisions) {
			return s.Sync.Revisions[i]
		}
		return ""
	}
	return s.Sync.Revision
}

// DeployedSince returns when revision began its current unbroken run of deployments of
// source i, from the history; ok is false when the newest deployment is another revision.
func (s Status) DeployedSince(i int, revision string) (time.Time, bool) {
	var since time.Time
	found := false
	for j := len(s.History) - 1; j >= 0; j-- {
		h := s.History[j]
		rev := h.Revision
		if len(h.Revisions) > 0 {
			rev = ""
			if i < len(h.Revisions) {
				rev = h.Revisions[i]
			}
		}
		if rev != revision {
			break
		}
		since, found = h.DeployedAt, true
	}
	return since, found
}

// ErrNotFound means the API server has no such Application, or the token may not see it
// (Argo CD answers "permission denied" for both, so as not to reveal which).
var ErrNotFound = errors.New("no such Application, or the token may not read it")

// Application reads the Application name in namespace (the Argo CD namespace when empty).
func (c *Client) Application(ctx context.Context, name, namespace string) (*Application, error) {
	u := *c.server
	u.Path = strings.TrimRight(u.Path, "/") + "/api/v1/applications/" + url.PathEscape(name)
	if namespace != "" {
		u.RawQuery = url.Values{"appNamespace": {namespace}}.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("argocd %s: read Application %s: %w (is the server reachable from the runner?)", c.server.Host, name, redact(err, c.token))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("argocd %s: read Application %s: %w", c.server.Host, name, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("argocd %s: Application %s: %w (%s)", c.server.Host, name, ErrNotFound, apiMessage(body))
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, fmt.Errorf("argocd %s: the token was not accepted (%s): check the secret tokenEnv names", c.server.Host, apiMessage(body))
	default:
		return nil, fmt.Errorf("argocd %s: Application %s: HTTP %d (%s)", c.server.Host, name, resp.StatusCode, apiMessage(body))
	}
	var app Application
	if err := json.Unmarshal(body, &app); err != nil {
		return nil, fmt.Errorf("argocd %s: Application %s: invalid JSON: %v", c.server.Host, name, err)
	}
	return &app, nil
}

// apiMessage picks the message out of an Argo CD error body ({"error","code","message"}).
func apiMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && (e.Message != "" || e.Error != "") {
		if e.Message != "" {
			return e.Message
		}
		return e.Error
	}
	if len(body) > 200 {
		body = body[:200]
	}
	return strings.TrimSpace(string(body))
}

// redact keeps the token out of an error that might quote a request.
func redact(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "***"))
}
