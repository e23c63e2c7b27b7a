package gate

import (
	"context"
	"encoding/json"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/chart-promoter/chart-promoter/internal/registry"
)

// Chart is the first gate: the tag must hold a Helm chart (a container image may share the
// repository), whose digest and metadata it reads for the gates after it and the change.
//
// A version an open pull request proposes, with the digest and config its marker recorded,
// is confirmed with a HEAD of its manifest and a read of its config blob: no manifest GET,
// which Docker Hub counts as a pull. The re-push alarm (Unchanged) has compared the digest
// before any chain runs.
type Chart struct{}

// Name is "chart".
func (Chart) Name() string { return "chart" }

// Check reads c's manifest (or confirms it by HEAD) and fails with an error wrapping
// registry.ErrNotChart when it is not a Helm chart.
func (Chart) Check(ctx context.Context, c *Candidate) (*Hold, error) {
	if c.chart != nil {
		return nil, nil
	}
	if c.chartErr != nil {
		return nil, c.chartErr
	}
	cv, complete, err := read(ctx, c)
	if err != nil {
		c.chartErr = err
		return nil, err
	}
	c.chart, c.complete = &cv, complete
	return nil, nil
}

// read fetches c's chart version: from the HEAD and the marker when a pull request recorded
// it, from the manifest otherwise.
func read(ctx context.Context, c *Candidate) (cv registry.ChartVersion, complete bool, err error) {
	for _, k := range c.Known() {
		if k.Config.Digest == "" {
			continue
		}
		desc, err := c.resolve(ctx)
		if err != nil {
			return cv, false, err
		}
		if desc.Digest.String() != k.Digest {
			continue
		}
		md, err := metadata(ctx, c, k.Config)
		if err != nil {
			return cv, false, err
		}
		manifest := ocispec.Manifest{MediaType: desc.MediaType, Config: k.Config}
		if k.Created != "" {
			manifest.Annotations = map[string]string{AnnotationCreated: k.Created}
		}
		return registry.ChartVersion{Tag: c.Version.Tag, Digest: k.Digest, Metadata: md, Location: c.Chart, Descriptor: desc, Manifest: manifest}, false, nil
	}
	cv, err = c.repo.reg.Chart(ctx, c.Chart, c.Version.Tag)
	return cv, true, err
}

// metadata reads the chart's Chart.yaml from its config blob, checking size and digest.
func metadata(ctx context.Context, c *Candidate, config ocispec.Descriptor) (registry.Metadata, error) {
	var md registry.Metadata
	if config.MediaType != registry.ConfigMediaType || config.Size < 0 || config.Size > registry.MaxConfigBytes {
		return md, fmt.Errorf("%s:%s: the pull request's marker records a config blob that is not a chart's (%s, %d bytes); close the pull request to have it proposed afresh", c.Chart, c.Version.Tag, config.MediaType, config.Size)
	}
	store, err := c.repo.open(ctx)
	if err != nil {
		return md, err
	}
	rc, err := store.Fetch(ctx, config)
	if err != nil {
		return md, err
	}
	defer rc.Close()
	raw, err := content.ReadAll(rc, config)
	if err != nil {
		return md, fmt.Errorf("%s:%s: chart metadata: %w", c.Chart, c.Version.Tag, err)
	}
	if err := json.Unmarshal(raw, &md); err != nil {
		return md, fmt.Errorf("%s:%s: chart metadata is not valid JSON: %v", c.Chart, c.Version.Tag, err)
	}
	return md, nil
}
