package action

import (
	"cmp"
	"net/url"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/render"
)

// RenderOptions are the reviewer's view the inputs ask for, or nil with render: false.
// The checkout serves $ref value files of the workflow's repository; releases (nil in a
// dry run without a token) links release notes.
func (in Inputs) RenderOptions(charts promote.ChartArchives, releases render.Releases) *promote.RenderOptions {
	if !in.Render {
		return nil
	}
	host := "github.com"
	if u, err := url.Parse(in.APIURL); err == nil && u.Hostname() != "" && !strings.EqualFold(u.Hostname(), "api.github.com") {
		host = u.Hostname() // GitHub Enterprise Server serves repositories from the API's host
	}
	o := &promote.RenderOptions{
		Charts:           charts,
		Cluster:          render.Cluster{KubeVersion: in.KubeVersion, APIVersions: in.APIVersions},
		Releases:         releases,
		ReleaseHosts:     []string{host},
		Timeout:          in.RenderTimeout,
		MaxRenderedBytes: in.RenderMaxBytes,
	}
	if repo, err := gitrepo.Open(cmp.Or(in.WorkingDirectory, ".")); err == nil {
		o.Repository = render.NewGitRepository(repo, "https://"+host+"/"+in.Repository)
	}
	return o
}

var _ promote.ChartArchives = (*registry.Client)(nil)

// maxRenderedSummary bounds the rendered changes in the step summary, which GitHub
// refuses beyond 1 MiB: diffs past it are cut with a count of the lines left out.
const maxRenderedSummary = 800 << 10

// writeRendered adds the reviewer's view of every change, the whole diffs as far as the
// step summary allows (pull request bodies point here for what they cut).
func writeRendered(b *strings.Builder, plan *promote.Plan) {
	if section := promote.RenderMarkdown(plan.Changes, maxRenderedSummary-b.Len(), "the output of chart-promoter plan --render"); section != "" {
		b.WriteString(section + "\n")
	}
}
