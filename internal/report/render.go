package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/render"
)

// writeRendered prints the reviewer's view of every rendered change: per chart version
// pair the release notes and the values diff, per Application the summary, the notes and
// the rendered diff, coloured like git diff on a terminal.
func writeRendered(w io.Writer, p painter, plan *promote.Plan) {
	seen := map[string]bool{}
	for _, c := range plan.Changes {
		r := c.Render
		if r == nil {
			continue
		}
		fmt.Fprintln(w, p.bold(fmt.Sprintf("What %s %s → %s changes for %s:", c.Chart, c.From, c.To, who(c))))
		pair := c.Chart + "@" + c.From + "→" + c.To
		if !seen[pair] {
			seen[pair] = true
			if r.ReleaseNotes != "" {
				fmt.Fprintf(w, "  release notes: %s\n", r.ReleaseNotes)
			}
			if r.ValuesDiff != "" {
				fmt.Fprintln(w, "  default values:")
				writeDiff(w, p, r.ValuesDiff)
			}
		}
		if r.Rendered {
			s := r.Summary
			fmt.Fprintf(w, "  %s added, %s removed, %s changed, %d unchanged; diff +%d -%d lines\n",
				p.green(fmt.Sprint(len(s.Added))), p.red(fmt.Sprint(len(s.Removed))), p.yellow(fmt.Sprint(len(s.Changed))), s.Unchanged, s.LinesAdded, s.LinesRemoved)
			for _, group := range []struct {
				sign  string
				paint func(string) string
				refs  []render.Ref
			}{{"+", p.green, s.Added}, {"-", p.red, s.Removed}, {"~", p.yellow, s.Changed}} {
				for _, ref := range group.refs {
					fmt.Fprintf(w, "    %s %s\n", group.paint(group.sign), inert(ref.String()))
				}
			}
			for _, crd := range s.CRDs {
				fmt.Fprintf(w, "    %s CRD %s %s\n", p.yellow("!"), inert(crd.Name), crd.Change)
			}
			for _, im := range s.Images {
				fmt.Fprintf(w, "    image %s → %s  %s\n", inert(orNone(im.From)), inert(orNone(im.To)), p.dim(inert(strings.Join(im.Resources, ", "))))
			}
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  %s %s\n", p.yellow("note:"), inert(n))
		}
		if r.Diff != "" {
			writeDiff(w, p, r.Diff)
		}
		fmt.Fprintln(w)
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// inert replaces the control characters of text from a chart (an escape sequence could
// rewrite the terminal) with U+FFFD.
func inert(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return '\ufffd'
		}
		return r
	}, s)
}

// writeDiff prints a unified diff indented, coloured like git diff.
func writeDiff(w io.Writer, p painter, diff string) {
	for _, l := range strings.Split(strings.TrimSuffix(diff, "\n"), "\n") {
		l = inert(l)
		switch {
		case strings.HasPrefix(l, "+++ "), strings.HasPrefix(l, "--- "):
			l = p.bold(l)
		case strings.HasPrefix(l, "@@"):
			l = p.cyan(l)
		case strings.HasPrefix(l, "+"):
			l = p.green(l)
		case strings.HasPrefix(l, "-"):
			l = p.red(l)
		}
		fmt.Fprintln(w, "    "+l)
	}
}
