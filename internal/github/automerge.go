package github

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// enableAutoMerge is the GraphQL mutation; REST has no endpoint for auto-merge.
const enableAutoMerge = `mutation EnableAutoMerge($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!) {
  enablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId, mergeMethod: $mergeMethod}) {
    pullRequest { number }
  }
}`

// autoMergeUnavailable holds, in lower case, pieces of the messages GitHub
// gives when auto-merge cannot be turned on for this repository or pull
// request in its current state, as opposed to a broken request.
var autoMergeUnavailable = []string{
	"auto merge is not allowed",           // the repository does not allow auto-merge
	"auto-merge is not allowed",           //
	"can't enable auto-merge",             // draft, closed, or branch rules that forbid it
	"clean status",                        // nothing to wait for: the pull request can be merged right now
	"enablepullrequestautomerge' doesn't", // a GitHub Enterprise Server release without auto-merge
}

type graphQLError struct {
	Message string `json:"message"`
}

// EnableAutoMerge turns on auto-merge with method MERGE, SQUASH or REBASE for the pull request with GraphQL ID nodeID.
//
// When GitHub will not allow auto-merge (the repository setting is off, the
// pull request is a draft, ...) the error wraps ErrAutoMergeUnavailable, so
// the caller can warn and go on.
func (c *Client) EnableAutoMerge(ctx context.Context, nodeID, method string) error {
	m := strings.ToUpper(method)
	if m != "MERGE" && m != "SQUASH" && m != "REBASE" {
		return fmt.Errorf("auto-merge method %q: use merge, squash or rebase", method)
	}
	if nodeID == "" {
		return fmt.Errorf("enable auto-merge: no pull request node ID; take it from the pull request GitHub returned")
	}
	body := map[string]any{
		"query":     enableAutoMerge,
		"variables": map[string]string{"pullRequestId": nodeID, "mergeMethod": m},
	}
	req, err := c.gh.NewRequest(ctx, http.MethodPost, c.graphQLURL, body)
	if err != nil {
		return fmt.Errorf("enable auto-merge on pull request %s: %w", nodeID, err)
	}
	var resp struct {
		Errors []graphQLError `json:"errors"`
	}
	if _, err := c.gh.Do(req, &resp); err != nil {
		return fmt.Errorf("enable auto-merge on pull request %s: %w", nodeID, err)
	}
	if len(resp.Errors) == 0 {
		return nil
	}
	// GraphQL reports failures with HTTP 200 and an "errors" list.
	msgs := make([]string, len(resp.Errors))
	unavailable := false
	for i, e := range resp.Errors {
		msgs[i] = e.Message
		lower := strings.ToLower(e.Message)
		for _, s := range autoMergeUnavailable {
			unavailable = unavailable || strings.Contains(lower, s)
		}
	}
	said := strings.Join(msgs, "; ")
	if unavailable {
		return fmt.Errorf("enable auto-merge on pull request %s: %w: GitHub says %q; allow auto-merge in the repository settings (Settings → General → Pull Requests), or turn auto-merge off for this promotion",
			nodeID, ErrAutoMergeUnavailable, said)
	}
	return fmt.Errorf("enable auto-merge on pull request %s: GitHub GraphQL API says %q", nodeID, said)
}
