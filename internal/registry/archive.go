package registry

import (
	"context"
	"encoding/json"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
)

// MaxChartBytes bounds a chart archive (the gzipped layer) the tool downloads. Helm's own
// loader then refuses archives that unpack to more than 100 MiB or hold a file over 5 MiB.
const MaxChartBytes = 16 << 20

// ChartArchive is a chart's packaged .tgz as helm pull would store it.
type ChartArchive struct {
	// Digest is the manifest digest the archive was read through.
	Digest string
	// LayerDigest is the digest the manifest gives the chart layer, which Data hashes to:
	// what a vendored charts/NAME-VERSION.tgz written from Data is checked against.
	LayerDigest string
	// Data is the gzipped tar of the chart directory.
	Data []byte
	// Annotations are the manifest's annotations.
	Annotations map[string]string
}

// ChartArchive downloads the chart layer of chart at ref (a tag or a manifest digest),
// refusing manifests that are not Helm charts and layers over MaxChartBytes. Only the
// reviewer's view (rendering) and the replacement of a vendored chart archive, which a
// config rule asks for, need it: planning never downloads a chart otherwise.
func (c *Client) ChartArchive(ctx context.Context, chart, ref string) (_ ChartArchive, err error) {
	defer func() { err = c.secrets.redact(err) }()
	repo, where, err := c.repository(chart)
	if err != nil {
		return ChartArchive{}, err
	}
	desc, raw, err := oras.FetchBytes(ctx, repo, ref, oras.FetchBytesOptions{MaxBytes: MaxManifestBytes})
	if err != nil {
		return ChartArchive{}, c.describe(ctx, err, "fetch manifest "+ref+" of", where)
	}
	out := ChartArchive{Digest: desc.Digest.String()}
	if desc.MediaType != ocispec.MediaTypeImageManifest {
		return out, fmt.Errorf("%s:%s is a %s: %w", where, ref, desc.MediaType, ErrNotChart)
	}
	var manifest ocispec.Manifest
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return out, fmt.Errorf("%s:%s: invalid manifest: %v", where, ref, err)
	}
	if manifest.Config.MediaType != ConfigMediaType {
		return out, fmt.Errorf("%s:%s has config type %q: %w", where, ref, manifest.Config.MediaType, ErrNotChart)
	}
	out.Annotations = manifest.Annotations
	var layer *ocispec.Descriptor
	for i, l := range manifest.Layers {
		if l.MediaType == ContentMediaType {
			if layer != nil {
				return out, fmt.Errorf("%s:%s has more than one chart layer: push it again with helm push", where, ref)
			}
			layer = &manifest.Layers[i]
		}
	}
	if layer == nil {
		return out, fmt.Errorf("%s:%s has no layer of type %s: push it again with helm push", where, ref, ContentMediaType)
	}
	if layer.Size > MaxChartBytes {
		return out, fmt.Errorf("%s:%s: the chart archive is %d bytes, more than the %d MiB the tool reads", where, ref, layer.Size, MaxChartBytes>>20)
	}
	// FetchAll verifies the size and the digest the manifest declares.
	data, err := content.FetchAll(ctx, repo, *layer)
	if err != nil {
		return out, c.describe(ctx, err, "fetch chart archive "+ref+" of", where)
	}
	out.Data, out.LayerDigest = data, layer.Digest.String()
	return out, nil
}
