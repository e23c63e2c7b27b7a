package promote

import (
	"fmt"
	"sort"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/markdown"
	"github.com/chart-promoter/chart-promoter/internal/render"
)

// renderPointer says where a diff cut from a pull request body can be read whole.
const renderPointer = "the step summary of the workflow run that wrote this pull request, and in the output of chart-promoter plan --render"

// RenderMarkdown is the reviewer's view of a group's changes in at most budget bytes: per
// chart version pair the release notes and the values diff, per Application the summary
// (always shown whole) and the rendered diff. Diffs share what the summaries leave of
// the budget, each collapsed and cut to its share with a pointer to the whole.
func RenderMarkdown(changes []Change, budget int, pointer string) string {
	type part struct {
		text string // Markdown shown as it is
		// a diff block to fit: title and unified diff
		title, diff string
		share       int
	}
	var parts []*part
	add := func(p part) { parts = append(parts, &p) }
	pairs := map[string][]Change{}
	var order []string
	for _, c := range changes {
		if c.Render == nil {
			continue
		}
		k := c.Chart + "@" + c.From + "→" + c.To
		if pairs[k] == nil {
			order = append(order, k)
		}
		pairs[k] = append(pairs[k], c)
	}
	if len(order) == 0 {
		return ""
	}
	sort.Strings(order)
	add(part{text: "\n## What changes in the cluster\n\nRendered in-process with Helm " + render.HelmVersion + " and each Application's Helm settings, as Argo CD renders them; no cluster was contacted.\n"})
	for _, k := range order {
		cs := pairs[k]
		first := cs[0]
		r := first.Render
		add(part{text: fmt.Sprintf("\n### %s %s → %s\n\n", markdown.Text(chartName(first.Chart)), markdown.Code(first.From), markdown.Code(first.To))})
		if r.ReleaseNotes != "" {
			add(part{text: "Release notes: " + markdown.Link(first.To, r.ReleaseNotes) + "\n\n"})
		}
		if r.ValuesDiff != "" {
			add(part{title: "Default values (values.yaml)", diff: r.ValuesDiff})
		} else if r.Rendered || len(r.Notes) == 0 {
			add(part{text: "The default values are the same.\n\n"})
		}
		for _, c := range cs {
			add(part{text: fmt.Sprintf("\n#### %s\n\n%s", markdown.Text(c.Application), render.SummaryMarkdown(c.Render))})
			if c.Render.Diff != "" {
				add(part{title: "Rendered diff of " + c.Application, diff: c.Render.Diff})
			}
		}
	}
	fixed := 0
	var blocks []*part
	for _, p := range parts {
		fixed += len(p.text)
		if p.diff != "" {
			blocks = append(blocks, p)
		}
	}
	// Water-filling: small diffs are shown whole, and what they leave goes to the large.
	left := budget - fixed
	sort.SliceStable(blocks, func(i, j int) bool { return len(blocks[i].diff) < len(blocks[j].diff) })
	for i, p := range blocks {
		share := max(left, 0) / (len(blocks) - i)
		whole := len(render.DiffMarkdown(p.title, p.diff, 1<<62, pointer))
		p.share = min(whole, share)
		left -= p.share
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.text)
		if p.diff != "" {
			b.WriteString(render.DiffMarkdown(p.title, p.diff, p.share, pointer))
			b.WriteString("\n")
		}
	}
	return b.String()
}
