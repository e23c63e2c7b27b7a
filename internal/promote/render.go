package promote

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/render"
)

// ChartArchives downloads chart archives; *registry.Client provides it.
type ChartArchives interface {
	// ChartArchive downloads chart at ref, a tag or a manifest digest.
	ChartArchive(ctx context.Context, chart, ref string) (registry.ChartArchive, error)
}

// RenderOptions turn on the reviewer's view: every change's chart is downloaded at both
// versions and rendered with its Application's Helm settings (see package render).
// Rendering never fails a plan: what goes wrong is a note on the change.
type RenderOptions struct {
	// Charts downloads the archives.
	Charts ChartArchives
	// Cluster is what is assumed of every destination cluster (kube version, API versions)
	// where an Application does not say.
	Cluster render.Cluster
	// Repository reads $ref value files from the checkout; nil leaves them out with a note.
	Repository render.Repository
	// Releases finds release notes on GitHub; nil links none. ReleaseHosts are the hosts
	// whose URLs are looked up (github.com, or a GitHub Enterprise Server's).
	Releases     render.Releases
	ReleaseHosts []string
	// Timeout and MaxRenderedBytes bound one Application (see render.Options).
	Timeout          time.Duration
	MaxRenderedBytes int
}

// render fills in every change's Render. Each chart version is downloaded once, each
// values diff and release link computed once per chart version pair.
func (p *Plan) render(ctx context.Context, o RenderOptions) {
	type loaded struct {
		chart       *render.Chart
		annotations map[string]string
		err         error
	}
	charts := map[string]loaded{}
	get := func(chart, ref, version string) loaded {
		k := chart + "@" + ref
		if l, ok := charts[k]; ok {
			return l
		}
		var l loaded
		a, err := o.Charts.ChartArchive(ctx, chart, ref)
		if err == nil {
			l.chart, err = render.LoadChart(a.Data)
			l.annotations = a.Annotations
		}
		if err != nil {
			l.err = fmt.Errorf("%s %s could not be read: %v", chartName(chart), version, err)
		}
		charts[k] = l
		return l
	}
	valuesDiffs, links := map[string]string{}, map[string]string{}
	files := map[string][]byte{}
	for i := range p.Changes {
		if ctx.Err() != nil {
			return
		}
		c := &p.Changes[i]
		res := render.NewResult(c.fromVersion(), c.toVersion())
		c.Render = res
		from := get(c.Chart, strings.ReplaceAll(c.From, "+", "_"), c.From)
		to := get(c.Chart, c.Digest, c.To)
		if from.err != nil || to.err != nil {
			for _, l := range []loaded{from, to} {
				if l.err != nil {
					res.Note("not rendered: %v", l.err)
				}
			}
			continue
		}
		pair := c.Chart + "@" + c.From + "→" + c.To
		if _, ok := valuesDiffs[pair]; !ok {
			valuesDiffs[pair] = render.ValuesDiff(from.chart, to.chart)
			md := c.Metadata
			candidates := append([]string{to.annotations[render.SourceAnnotation]}, md.Sources...)
			links[pair] = render.ReleaseNotes(ctx, o.Releases, o.ReleaseHosts, append(candidates, md.Home), md.Name, md.Version)
		}
		res.ValuesDiff, res.ReleaseNotes = valuesDiffs[pair], links[pair]
		if c.Kind == manifest.KindKustomization || c.Kind == manifest.KindChart {
			// The values such a source renders with are not read (yet): the chart's own
			// values diff above is what a reviewer gets.
			res.Note("manifests not rendered: rendering reads an Argo CD Application's Helm settings, not a %s's", strings.ToLower(c.Kind))
			continue
		}

		data, ok := files[c.File]
		if !ok {
			var err error
			if data, err = os.ReadFile(filepath.Join(p.Dir, filepath.FromSlash(c.File))); err != nil {
				res.Note("not rendered: %v", err)
				continue
			}
			files[c.File] = data
		}
		app, err := render.ReadApplication(data, render.Where{Line: c.Line, SourcePath: c.sourcePath, ElementPath: c.elementPath, Name: c.Application})
		if err != nil {
			res.Note("not rendered: %s: %v", c.File, err)
			continue
		}
		render.Compare(ctx, app, from.chart, to.chart, render.Options{
			Cluster: o.Cluster, Repository: o.Repository, Timeout: o.Timeout, MaxRenderedBytes: o.MaxRenderedBytes,
		}, res)
	}
}
