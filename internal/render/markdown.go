package render

import (
	"fmt"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/markdown"
)

// MaxSummaryRows bounds the resource rows of one summary table, so that the summary of
// every Application fits in a pull request body whatever the chart renders.
const MaxSummaryRows = 25

// SummaryMarkdown is the part of the reviewer's view that is always shown: counts, CRDs,
// images, a table of the resources that change, and the notes. Everything from the chart
// is escaped.
func SummaryMarkdown(r *Result) string {
	var b strings.Builder
	if r.Rendered {
		s := r.Summary
		if s.Empty() {
			fmt.Fprintf(&b, "Renders the same resources at %s and %s (%d unchanged).\n\n", markdown.Code(r.From), markdown.Code(r.To), s.Unchanged)
		} else {
			fmt.Fprintf(&b, "**%d added · %d removed · %d changed** (%d unchanged) · rendered diff +%d −%d lines\n\n",
				len(s.Added), len(s.Removed), len(s.Changed), s.Unchanged, s.LinesAdded, s.LinesRemoved)
		}
		var items []string
		for _, c := range s.CRDs {
			items = append(items, "⚠️ CRD "+c.Change+": "+markdown.Code(c.Name))
		}
		for _, im := range s.Images {
			items = append(items, "Image: "+imageMarkdown(im))
		}
		writeItems(&b, items)
		rows := 0
		row := func(change string, refs []Ref) {
			for _, ref := range refs {
				if rows == 0 {
					b.WriteString("| Change | Kind | Namespace | Name |\n| --- | --- | --- | --- |\n")
				}
				rows++
				if rows <= MaxSummaryRows {
					ns := ref.Namespace
					if ns == "" {
						ns = "—"
					}
					fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", change, markdown.Text(ref.Kind), markdown.Text(ns), markdown.Code(ref.Name))
				}
			}
		}
		row("added", s.Added)
		row("removed", s.Removed)
		row("changed", s.Changed)
		if rows > MaxSummaryRows {
			fmt.Fprintf(&b, "\n…and %d more.\n", rows-MaxSummaryRows)
		}
		if rows > 0 {
			b.WriteString("\n")
		}
	}
	var notes []string
	for _, n := range r.Notes {
		notes = append(notes, markdown.Text(n))
	}
	writeItems(&b, notes)
	return b.String()
}

func imageMarkdown(im ImageChange) string {
	var s string
	switch {
	case im.From == "":
		s = markdown.Code(im.To) + " (new)"
	case im.To == "":
		s = markdown.Code(im.From) + " (gone)"
	default:
		s = markdown.Code(im.From) + " → " + markdown.Code(im.To)
	}
	if len(im.Resources) > 0 {
		where := im.Resources
		more := ""
		if len(where) > 3 {
			where, more = where[:3], fmt.Sprintf(", and %d more", len(im.Resources)-3)
		}
		s += " in " + markdown.Text(strings.Join(where, ", ")+more)
	}
	return s
}

func writeItems(b *strings.Builder, items []string) {
	for i, it := range items {
		if i == MaxSummaryRows {
			fmt.Fprintf(b, "- …and %d more.\n", len(items)-MaxSummaryRows)
			break
		}
		b.WriteString("- " + it + "\n")
	}
	if len(items) > 0 {
		b.WriteString("\n")
	}
}

// DiffMarkdown renders a unified diff collapsed in <details>, in at most budget bytes: a
// longer diff is cut at a line, and the cut says how many lines are left out and where
// the whole diff is (pointer, e.g. "the step summary of the workflow run").
func DiffMarkdown(title, diff string, budget int, pointer string) string {
	if diff == "" {
		return ""
	}
	lines := strings.Split(strings.TrimSuffix(diff, "\n"), "\n")
	summary := fmt.Sprintf("%s (%d lines)", title, len(lines))
	whole := markdown.Details(summary, markdown.Block("diff", diff))
	if len(whole) <= budget {
		return whole
	}
	// What the block costs besides its lines: the element, the fences (a fence may grow
	// by the backticks a line holds) and the line saying what was cut.
	overhead := len(markdown.Details(summary, markdown.Block("diff", ""))) + 200 + len(pointer) + len(title)
	room := budget - overhead
	var kept strings.Builder
	n := 0
	for _, l := range lines {
		if kept.Len()+len(l)+1 > room {
			break
		}
		kept.WriteString(l + "\n")
		n++
	}
	cut := fmt.Sprintf("%d more lines are not shown here: the whole diff is in %s.", len(lines)-n, pointer)
	if n == 0 {
		if budget < len(title)+len(cut)+16 {
			return ""
		}
		return "*" + markdown.Text(title) + "*: " + markdown.Text(cut) + "\n"
	}
	return markdown.Details(summary+", cut", markdown.Block("diff", kept.String())+"\n"+markdown.Text(cut)+"\n")
}
