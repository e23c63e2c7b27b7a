package action

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/promote/gate"
)

// Summary renders a run as GitHub-flavoured Markdown for the step summary: what
// triggered it, each promoted source with its pull request, the pull requests, what was
// skipped and why (sources already up to date folded away), warnings and errors.
func Summary(res *promote.Result, trig Trigger) string {
	var b strings.Builder
	b.WriteString("## chart-promoter\n\n")
	source := cmp.Or(trig.Source, trig.Event)
	if source != "" {
		b.WriteString("**Trigger:** " + text(source) + "\n\n")
	}
	if trig.Ignore != "" {
		b.WriteString(text(trig.Ignore) + "\n")
		return b.String()
	}
	if res == nil {
		res = &promote.Result{}
	}
	plan := res.Plan
	if plan == nil {
		plan = &promote.Plan{}
	}
	skipped, current := plan.SplitSkipped()

	writeOutcome(&b, res, plan, len(current), len(skipped))
	writeChanges(&b, res, plan)
	writeVerified(&b, plan)
	writeHeld(&b, plan)
	writePullRequests(&b, res.Proposals)
	writeRendered(&b, plan)
	if len(skipped) > 0 {
		b.WriteString("### Skipped\n\n")
		writeSkips(&b, skipped)
	}
	if len(current) > 0 {
		fmt.Fprintf(&b, "<details><summary>%s up to date</summary>\n\n", plural(len(current), "source", "sources"))
		writeSkips(&b, current)
		b.WriteString("</details>\n\n")
	}
	writeWarnings(&b, plan)
	writeErrors(&b, res, plan)
	return b.String()
}

// writeOutcome is the one line a reader needs when the details do not matter.
func writeOutcome(b *strings.Builder, res *promote.Result, plan *promote.Plan, current, skipped int) {
	byAction := map[promote.PullRequestAction]int{}
	for _, p := range res.Proposals {
		byAction[p.Action]++
	}
	parts := []string{plural(len(plan.Changes), "change", "changes")}
	var prs []string
	for _, a := range []promote.PullRequestAction{promote.Opened, promote.Updated, promote.Unchanged, promote.Blocked, promote.Held, promote.Failed, promote.Planned} {
		if n := byAction[a]; n > 0 {
			prs = append(prs, fmt.Sprintf("%d %s", n, a))
		}
	}
	if len(prs) > 0 {
		parts = append(parts, "pull requests: "+strings.Join(prs, ", "))
	}
	parts = append(parts,
		fmt.Sprintf("%d up to date", current),
		fmt.Sprintf("%d skipped", skipped),
		plural(len(plan.Errors)+failedProposals(res), "error", "errors"))
	b.WriteString(strings.Join(parts, " · ") + "\n\n")
	if byAction[promote.Planned] > 0 {
		b.WriteString("> **Dry run:** nothing was pushed and no pull request was opened.\n\n")
	}
}

func writeChanges(b *strings.Builder, res *promote.Result, plan *promote.Plan) {
	if len(plan.Changes) == 0 && len(res.Proposals) == 0 {
		return
	}
	b.WriteString("### Promoted\n\n")
	t := newTable(b, "Application", "File", "Chart", "Version", "Pull request")
	row := func(c promote.Change, pr string) {
		t.row(application(c), code(fmt.Sprintf("%s:%d", c.File, c.Line)), code(c.Chart),
			code(c.From)+" → "+code(c.To), pr)
	}
	if len(res.Proposals) == 0 {
		for _, c := range plan.Changes {
			row(c, "")
		}
	}
	for _, p := range res.Proposals {
		for _, c := range p.Changes {
			row(c, pullRequest(p))
		}
	}
	t.end()
}

func application(c promote.Change) string {
	s := text(c.Application)
	if c.ApplicationSet != "" {
		s += " (ApplicationSet " + text(c.ApplicationSet) + ")"
	}
	return s
}

// pullRequest names a group's pull request and what the run did to it.
func pullRequest(p promote.Proposal) string {
	what := string(p.Action)
	if p.Action == promote.Planned {
		what = "planned (dry run)"
	}
	if p.Number == 0 {
		return text(what)
	}
	label := fmt.Sprintf("#%d", p.Number)
	if p.URL == "" {
		return text(label + " " + what)
	}
	return link(label, p.URL) + " " + text(what)
}

// writeVerified shows who signed each promoted version, so the reviewer sees what they
// approve.
func writeVerified(b *strings.Builder, plan *promote.Plan) {
	t := newTable(b, "Application", "Chart", "Version", "Signature")
	for _, c := range plan.Changes {
		if c.Verification == nil {
			continue
		}
		if t.rows == 0 && t.extra == 0 {
			b.WriteString("### Verified\n\n")
		}
		t.row(application(c), code(c.Chart), code(c.To), text(gate.Describe(*c.Verification)))
	}
	t.end()
}

// writeHeld lists the newer versions the gates passed over, for changes and skips alike,
// with when a version too young becomes eligible.
func writeHeld(b *strings.Builder, plan *promote.Plan) {
	t := newTable(b, "Application", "File", "Chart", "Held version", "Gate", "Reason", "Eligible from")
	row := func(app, file string, line int, chart string, held []gate.Hold) {
		for _, h := range held {
			if t.rows == 0 && t.extra == 0 {
				b.WriteString("### Held back\n\n")
			}
			until := "—"
			if h.Until != nil {
				until = h.Until.UTC().Format(time.RFC3339)
			}
			t.row(app, code(fmt.Sprintf("%s:%d", file, line)), code(chart), code(h.Version), text(h.Gate), text(h.Reason), text(until))
		}
	}
	for _, c := range plan.Changes {
		row(application(c), c.File, c.Line, c.Chart, c.Held)
	}
	for _, s := range plan.Skipped {
		row(text(s.Application), s.File, s.Line, s.Chart, s.Held)
	}
	t.end()
}

func writePullRequests(b *strings.Builder, proposals []promote.Proposal) {
	if len(proposals) == 0 {
		return
	}
	b.WriteString("### Pull requests\n\n")
	t := newTable(b, "Pull request", "Branch", "Changes", "Notes")
	for _, p := range proposals {
		var notes []string
		if p.Err != nil {
			notes = append(notes, text(p.Err.Error()))
		}
		if len(p.Superseded) > 0 {
			closed := make([]string, len(p.Superseded))
			for i, n := range p.Superseded {
				closed[i] = fmt.Sprintf("#%d", n)
			}
			notes = append(notes, text("closed "+strings.Join(closed, ", ")+" as superseded"))
		}
		for _, w := range p.Warnings {
			notes = append(notes, text(w))
		}
		title := pullRequest(p)
		if p.Title != "" {
			title += "<br>" + text(p.Title)
		}
		t.row(title, code(p.Branch), fmt.Sprint(len(p.Changes)), strings.Join(notes, "<br>"))
	}
	t.end()
}

func writeSkips(b *strings.Builder, skips []promote.Skip) {
	t := newTable(b, "Application", "File", "Chart", "Reason")
	for _, s := range skips {
		where := s.File
		if s.Line > 0 {
			where = fmt.Sprintf("%s:%d", s.File, s.Line)
		}
		t.row(text(s.Application), code(where), code(s.Chart), text(s.Reason))
	}
	t.end()
}

// writeWarnings lists what reviewers should know about the promoted sources; a pull
// request's own warnings (auto-merge refused) are in its row of the pull request table.
func writeWarnings(b *strings.Builder, plan *promote.Plan) {
	var items []string
	for _, w := range plan.Warnings {
		items = append(items, text(w.Describe(inputSpelling)))
	}
	for _, c := range plan.Changes {
		for _, w := range c.Warnings {
			items = append(items, fmt.Sprintf("%s (%s): %s", inlineCode(fmt.Sprintf("%s:%d", c.File, c.Line)), text(c.Application), text(w)))
		}
	}
	if len(items) == 0 {
		return
	}
	b.WriteString("### Warnings\n\n")
	bullets(b, items)
}

func writeErrors(b *strings.Builder, res *promote.Result, plan *promote.Plan) {
	var items []string
	for _, e := range plan.Errors {
		switch {
		case e.File != "" && e.Line > 0:
			items = append(items, inlineCode(fmt.Sprintf("%s:%d", e.File, e.Line))+": "+text(e.Message))
		case e.File != "":
			items = append(items, inlineCode(e.File)+": "+text(e.Message))
		case e.Chart != "":
			items = append(items, inlineCode(e.Chart)+": "+text(e.Message))
		default:
			items = append(items, text(e.Message))
		}
	}
	for _, p := range res.Proposals {
		if p.Failure() {
			items = append(items, inlineCode(p.Branch)+": "+text(p.Err.Error()))
		}
	}
	if len(items) == 0 {
		return
	}
	b.WriteString("### Errors\n\n")
	bullets(b, items)
}

func failedProposals(res *promote.Result) int {
	n := 0
	for _, p := range res.Proposals {
		if p.Failure() {
			n++
		}
	}
	return n
}
