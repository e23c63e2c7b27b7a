package gate

import (
	"context"
	"fmt"
	"strings"
)

// Unchanged is the re-push alarm: a tag an open pull request proposes must still hold the
// digest the pull request recorded. A tag that moved means someone pushed other content
// under a version a reviewer may already be approving; that is never a quiet update but an
// error for the chart, until the tag holds the recorded digest again or the pull request
// is closed.
//
// Resolution runs it on every version open pull requests propose before any chain walks,
// whatever their place among the candidates, so the alarm also sounds when a newer version
// would be proposed. It costs one HEAD per such version.
type Unchanged struct{}

// Name is "tag".
func (Unchanged) Name() string { return "tag" }

// Check compares the tag's digest now with what the pull requests recorded; it never holds
// a version, it passes or it fails with a *MovedError.
func (Unchanged) Check(ctx context.Context, c *Candidate) (*Hold, error) {
	known := c.Known()
	if len(known) == 0 {
		return nil, nil
	}
	desc, err := c.resolve(ctx)
	if err != nil {
		return nil, err
	}
	found := desc.Digest.String()
	var moved []Known
	for _, k := range known {
		if k.Digest != found {
			moved = append(moved, k)
		}
	}
	if len(moved) > 0 {
		return nil, &MovedError{Chart: c.Chart, Tag: c.Version.Tag, Found: found, PullRequests: moved}
	}
	return nil, nil
}

// MovedError is a tag that holds another digest than the one open pull requests recorded.
type MovedError struct {
	Chart, Tag string
	// Found is the digest the tag holds now.
	Found string
	// PullRequests recorded another digest for the tag.
	PullRequests []Known
}

func (e *MovedError) Error() string {
	var recorded []string
	for _, k := range e.PullRequests {
		recorded = append(recorded, fmt.Sprintf("pull request #%d proposed it as %s", k.PullRequest, k.Digest))
	}
	return fmt.Sprintf("tag %s now holds %s, but %s: it was pushed again with other content. Nothing is proposed for this chart until the tag holds the recorded digest again or the pull request is closed; ask the chart's publisher which content is the release",
		e.Tag, e.Found, strings.Join(recorded, ", and "))
}
