package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	gh "github.com/google/go-github/v93/github"
)

// ReleaseURL returns the web page of the release of owner/repo tagged tag; found is false
// when there is no such release (or no such repository the token can see).
func (c *Client) ReleaseURL(ctx context.Context, owner, repo, tag string) (url string, found bool, err error) {
	rel, _, err := c.gh.Repositories.GetReleaseByTag(ctx, owner, repo, tag)
	var respErr *gh.ErrorResponse
	switch {
	case errors.As(err, &respErr) && respErr.Response != nil && respErr.Response.StatusCode == http.StatusNotFound:
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("look up release %s of %s/%s: %w", tag, owner, repo, err)
	}
	return rel.GetHTMLURL(), rel.GetHTMLURL() != "", nil
}
