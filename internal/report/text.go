// Package report renders a plan for people and programs: a readable summary with a
// unified diff for terminals, and JSON for pipelines.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/promote"
)

// TextOptions shape the human-readable report.
type TextOptions struct {
	// Color adds ANSI colours (for a terminal).
	Color bool
	// Diff appends a unified diff of every edited file.
	Diff bool
	// Verbose lists every skipped source; otherwise up-to-date sources are only counted.
	Verbose bool
	// Applied words the changes as done rather than proposed.
	Applied bool
}

// upToDatePrefix starts the reason of a source that needs no change.
const upToDatePrefix = "up to date"

// Text writes the plan for a person: changes, skips with reasons, the diff and a summary
// line. Errors are not included: the caller writes them to stderr.
func Text(w io.Writer, plan *promote.Plan, o TextOptions) {
	p := painter{o.Color}
	if len(plan.Changes) > 0 {
		verb := "Would change"
		if o.Applied {
			verb = "Changed"
		}
		fmt.Fprintln(w, p.bold(fmt.Sprintf("%s %d source(s):", verb, len(plan.Changes))))
		for _, c := range plan.Changes {
			fmt.Fprintf(w, "  %s  %s %s\n", p.bold(fmt.Sprintf("%s:%d", c.File, c.Line)), c.Kind, c.Application)
			fmt.Fprintf(w, "      %s  %s → %s  %s\n", c.Chart, p.red(c.From), p.green(c.To),
				p.dim(fmt.Sprintf("(%s, %s)", c.Constraint, shortDigest(c.Digest))))
			for _, warning := range c.Warnings {
				fmt.Fprintf(w, "      %s %s\n", p.yellow("warning:"), warning)
			}
		}
		fmt.Fprintln(w)
	}

	var listed []promote.Skip
	for _, s := range plan.Skipped {
		if !o.Verbose && strings.HasPrefix(s.Reason, upToDatePrefix) {
			continue
		}
		listed = append(listed, s)
	}
	if len(listed) > 0 {
		fmt.Fprintln(w, p.bold(fmt.Sprintf("Skipped %d:", len(listed))))
		for _, s := range listed {
			where := s.File
			if s.Line > 0 {
				where = fmt.Sprintf("%s:%d", s.File, s.Line)
			}
			who := strings.TrimSpace(s.Application + "  " + s.Chart)
			if who != "" {
				who = "  " + who
			}
			fmt.Fprintf(w, "  %s%s\n      %s\n", where, who, p.dim(s.Reason))
		}
		fmt.Fprintln(w)
	}

	if o.Diff {
		for _, f := range plan.Files {
			if err := UnifiedDiff(w, f.File, f.Before, f.After, o.Color); err != nil {
				fmt.Fprintln(w, err)
			}
		}
		if len(plan.Files) > 0 {
			fmt.Fprintln(w)
		}
	}

	current := countUpToDate(plan.Skipped)
	fmt.Fprintf(w, "%d change(s) in %d file(s), %d up to date, %d skipped, %d error(s)\n",
		len(plan.Changes), len(plan.Files), current, len(plan.Skipped)-current, len(plan.Errors))
}

func countUpToDate(skips []promote.Skip) int {
	n := 0
	for _, s := range skips {
		if strings.HasPrefix(s.Reason, upToDatePrefix) {
			n++
		}
	}
	return n
}

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

// JSON writes the plan as one JSON object: {"changes":[…],"skipped":[…],"errors":[…]}.
func JSON(w io.Writer, plan *promote.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(plan)
}
