package registry

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"oras.land/oras-go/v2/content/oci"

	"github.com/chart-promoter/chart-promoter/internal/setting"
)

// layoutScheme prefixes a mirror target that is an OCI image layout directory.
const layoutScheme = "oci-layout:"

// Mirror redirects charts under a prefix to another registry or to OCI layouts on disk.
type Mirror struct {
	// Prefix is host[:port][/path]: the charts it covers.
	Prefix string
	// registry is host[:port][/path] of the replacement registry, or "".
	registry string
	// layout is a directory holding one OCI image layout per repository, or "".
	layout string
}

// ParseMirror reads "HOST[/PATH]=TARGET". TARGET is another registry ("mirror.local:5000/ghcr")
// or "oci-layout:DIR", a directory where the chart host/path/name is the OCI image layout
// DIR/path/name — the layout `oras copy --to-oci-layout` writes, one per repository.
func ParseMirror(spec string) (Mirror, error) {
	from, to, ok := strings.Cut(spec, "=")
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	from = strings.TrimRight(strings.TrimPrefix(from, "oci://"), "/")
	if !ok || from == "" || to == "" {
		return Mirror{}, &setting.InputError{Input: "mirror", Value: spec, Want: "HOST=TARGET, e.g. ghcr.io=mirror.local:5000/ghcr or ghcr.io=oci-layout:./charts"}
	}
	m := Mirror{Prefix: strings.ToLower(from)}
	if dir, isLayout := strings.CutPrefix(to, layoutScheme); isLayout {
		if dir == "" {
			return Mirror{}, &setting.InputError{Input: "mirror", Value: spec, Want: "oci-layout:DIR, with the directory of the layouts"}
		}
		m.layout = dir
	} else {
		m.registry = strings.TrimRight(strings.TrimPrefix(to, "oci://"), "/")
	}
	return m, nil
}

// String returns the mirror as "PREFIX=TARGET".
func (m Mirror) String() string {
	if m.layout != "" {
		return m.Prefix + "=" + layoutScheme + m.layout
	}
	return m.Prefix + "=" + m.registry
}

type mirrors []Mirror

// match returns the mirror with the longest prefix covering chart, and chart's remainder.
func (ms mirrors) match(chart string) (Mirror, string, bool) {
	var best Mirror
	var rest string
	found := false
	for _, m := range ms {
		r, ok := strings.CutPrefix(chart, m.Prefix)
		if !ok || (r != "" && r[0] != '/') {
			continue
		}
		if !found || len(m.Prefix) > len(best.Prefix) {
			best, rest, found = m, strings.TrimPrefix(r, "/"), true
		}
	}
	return best, rest, found
}

// layout opens (once) the OCI image layout for repository rest under dir.
func (c *Client) layout(dir, rest string) (target, error) {
	path := filepath.Join(dir, filepath.FromSlash(rest))
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.layouts[path]; ok {
		return t, nil
	}
	if _, err := os.Stat(filepath.Join(path, "index.json")); err != nil {
		return nil, fmt.Errorf("no OCI image layout at %s (write one with `oras copy REF --to-oci-layout %s:TAG`): %w", path, path, err)
	}
	store, err := oci.NewFromFS(context.Background(), os.DirFS(path))
	if err != nil {
		return nil, fmt.Errorf("read OCI image layout %s: %w", path, err)
	}
	c.layouts[path] = store
	return store, nil
}
