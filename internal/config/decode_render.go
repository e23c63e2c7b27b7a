package config

import (
	"strings"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/version"
)

// render decodes the top-level render: block; nil when the file has none.
func (d *decoder) render(root map[string]any) *Render {
	m, ok := root["render"].(map[string]any)
	if !ok {
		return nil
	}
	loc := []string{"render"}
	r := &Render{Pos: d.pos(loc)}
	if b, ok := m["enabled"].(bool); ok {
		r.Enabled = &Setting[bool]{Value: b, Pos: d.keyPos(child(loc, "enabled"))}
	}
	if s, ok := m["kubeVersion"].(string); ok {
		at := child(loc, "kubeVersion")
		// The check rendering applies: a version it cannot read would be a note on every
		// Application instead of one error here.
		if _, err := version.KubeVersion(s); err != nil {
			d.fail(at, "%v", err)
		} else {
			r.KubeVersion = &Setting[string]{Value: strings.TrimSpace(s), Pos: d.keyPos(at)}
		}
	}
	if list, ok := m["apiVersions"].([]any); ok {
		r.APIVersions = &Setting[[]string]{Value: strings_(list), Pos: d.keyPos(child(loc, "apiVersions"))}
	}
	if s, ok := m["timeout"].(string); ok {
		at := child(loc, "timeout")
		timeout, err := ParseDuration(s)
		switch {
		case err != nil:
			d.fail(at, "%v", err)
		case timeout == 0:
			d.fail(at, "a render timeout of 0 would leave every Application out: write e.g. 30s or 2m, or enabled: false to turn rendering off")
		default:
			r.Timeout = &Setting[time.Duration]{Value: timeout, Pos: d.keyPos(at)}
		}
	}
	if n, ok := m["maxBytes"].(int64); ok && n > 0 {
		at := child(loc, "maxBytes")
		if n > 1<<31-1 {
			d.fail(at, "%d bytes is more than a rendering can be compared in memory: write at most %d (2 GiB)", n, 1<<31-1)
		} else {
			r.MaxBytes = &Setting[int]{Value: int(n), Pos: d.keyPos(at)}
		}
	}
	return r
}
