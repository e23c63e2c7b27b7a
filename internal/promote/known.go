package promote

import (
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/chart-promoter/chart-promoter/internal/github"
	"github.com/chart-promoter/chart-promoter/internal/promote/gate"
	"github.com/chart-promoter/chart-promoter/internal/registry"
)

// KnownVersions reads what the tool's open pull requests propose from the hidden markers
// in their bodies: for every chart version, the digest it was proposed at, so that a
// later plan confirms it with a HEAD and notices a re-pushed tag. Pull requests without a
// marker, and markers written before digests were recorded, add nothing.
func KnownVersions(prs []*github.PullRequest) map[gate.TagRef][]gate.Known {
	out := map[gate.TagRef][]gate.Known{}
	for _, pr := range prs {
		m, ok := parseMarker(pr.Body)
		if !ok {
			continue
		}
		seen := map[gate.TagRef]bool{}
		for _, v := range m.Versions {
			ref := gate.TagRef{Chart: v.Chart, Tag: v.Tag}
			if v.Tag == "" || v.Digest == "" || seen[ref] {
				continue
			}
			seen[ref] = true
			k := gate.Known{Digest: v.Digest, PullRequest: pr.Number, Branch: pr.Head, Created: v.Created}
			if d, err := digest.Parse(v.ConfigDigest); err == nil && v.ConfigSize > 0 {
				k.Config = ocispec.Descriptor{MediaType: registry.ConfigMediaType, Digest: d, Size: v.ConfigSize}
			}
			out[ref] = append(out[ref], k)
		}
	}
	return out
}

// knownByChart indexes known versions by chart, then tag, as resolution reads them.
func knownByChart(known map[gate.TagRef][]gate.Known) map[string]map[string][]gate.Known {
	if len(known) == 0 {
		return nil
	}
	out := map[string]map[string][]gate.Known{}
	for ref, ks := range known {
		if out[ref.Chart] == nil {
			out[ref.Chart] = map[string][]gate.Known{}
		}
		out[ref.Chart][ref.Tag] = ks
	}
	return out
}

// chartErrors are the plan's errors for a chart that could not be resolved: one, or one
// per pull request whose tag was re-pushed, so each can be acted on.
func chartErrors(chart string, err error, sources int) []Error {
	message := fmt.Sprintf("%v (%d source(s) not planned)", err, sources)
	var moved *gate.MovedError
	if !errors.As(err, &moved) {
		return []Error{{Chart: chart, Message: message}}
	}
	out := make([]Error, 0, len(moved.PullRequests))
	for _, k := range moved.PullRequests {
		one := *moved
		one.PullRequests = []gate.Known{k}
		out = append(out, Error{Chart: chart, Message: fmt.Sprintf("%v (%d source(s) not planned)", &one, sources), Repushed: &Repushed{
			Tag: moved.Tag, Recorded: k.Digest, Found: moved.Found, PullRequest: k.PullRequest, Branch: k.Branch,
		}})
	}
	return out
}
