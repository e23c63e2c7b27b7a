// Package report renders a plan for people and programs: a readable summary with a
// unified diff for terminals, and JSON for pipelines.
package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/promote/gate"
	"github.com/chart-promoter/chart-promoter/internal/setting"
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
	// Spell names settings in warnings; nil means command-line flags (setting.Flag).
	Spell setting.Speller
}

// Text writes the plan for a person: changes, skips with reasons, the diff and a summary
// line. Errors are not included: the caller writes them to stderr.
func Text(w io.Writer, plan *promote.Plan, o TextOptions) {
	p := painter{o.Color}
	if len(plan.Changes) > 0 {
		heading := "Changes"
		if o.Applied {
			heading = "Applied"
		}
		fmt.Fprintln(w, p.bold(fmt.Sprintf("%s (%d):", heading, len(plan.Changes))))
		for _, c := range plan.Changes {
			fmt.Fprintf(w, "  %s  %s\n", p.bold(fmt.Sprintf("%s:%d", c.File, c.Line)), who(c))
			fmt.Fprintf(w, "      %s  %s → %s\n", c.Chart, p.red(c.From), p.green(c.To))
			fmt.Fprintf(w, "      %s\n", p.dim(details(c)))
			if c.Verification != nil {
				fmt.Fprintf(w, "      %s\n", gate.Describe(*c.Verification))
			}
			if a := c.Archives; a != nil {
				fmt.Fprintf(w, "      %s\n", archiveLine(a))
			}
			writeHeld(w, p, c.Held)
			for _, warning := range c.Warnings {
				fmt.Fprintf(w, "      %s %s\n", p.yellow("warning:"), warning)
			}
		}
		fmt.Fprintln(w)
	}

	skipped, current := plan.SplitSkipped()
	writeSkips(w, p, "Skipped", skipped)
	if o.Verbose {
		writeSkips(w, p, "Up to date", current)
	}

	if o.Diff {
		for _, f := range plan.Files {
			if err := UnifiedDiff(w, f.File, f.Before, f.After, o.Color); err != nil {
				fmt.Fprintln(w, err)
			}
		}
		for _, a := range plan.Archives {
			BinaryDiff(w, a, o.Color)
		}
		if len(plan.Files)+len(plan.Archives) > 0 {
			fmt.Fprintln(w)
		}
	}

	spell := o.Spell
	if spell == nil {
		spell = setting.Flag
	}
	writeWarnings(w, p, plan.Warnings, spell)
	writeRendered(w, p, plan)

	hint := ""
	if len(current) > 0 && !o.Verbose {
		hint = " (-v lists them)"
	}
	warnings := ""
	if len(plan.Warnings) > 0 {
		warnings = fmt.Sprintf(", %d warning(s)", len(plan.Warnings))
	}
	archives := ""
	if len(plan.Archives) > 0 {
		archives = fmt.Sprintf(" and %d vendored archive(s)", len(plan.Archives))
	}
	fmt.Fprintf(w, "%d change(s) in %d file(s)%s, %d up to date%s, %d skipped, %d error(s)%s\n",
		len(plan.Changes), len(plan.Files), archives, len(current), hint, len(skipped), len(plan.Errors), warnings)
}

// archiveLine says which vendored archive a change replaces with which.
func archiveLine(a *promote.ArchiveReplacement) string {
	if a.Removed == "" {
		return fmt.Sprintf("archive %s added (%s, %d bytes); the old one stays: another dependency uses it", a.Added, shortDigest(a.Digest), a.Size)
	}
	return fmt.Sprintf("archive %s → %s (%s, %d bytes)", a.Removed, a.Added, shortDigest(a.Digest), a.Size)
}

// writeWarnings lists the settings that did nothing and the risks taken, before the
// summary line, where a person reading the end of the output sees them.
func writeWarnings(w io.Writer, p painter, warnings []promote.Warning, spell setting.Speller) {
	if len(warnings) == 0 {
		return
	}
	fmt.Fprintln(w, p.bold(fmt.Sprintf("Warnings (%d):", len(warnings))))
	for _, warning := range warnings {
		fmt.Fprintf(w, "  %s %s\n", p.yellow("warning:"), warning.Describe(spell))
	}
	fmt.Fprintln(w)
}

// who names the Application a change belongs to, and its ApplicationSet.
func who(c promote.Change) string {
	if c.ApplicationSet != "" && c.ApplicationSet != c.Application {
		return fmt.Sprintf("Application %s (ApplicationSet %s)", c.Application, c.ApplicationSet)
	}
	return c.Kind + " " + c.Application
}

// details says why this version: the constraint and where it was set, what the chart
// ships, and its immutable address.
func details(c promote.Change) string {
	parts := []string{fmt.Sprintf("allowed by %s (%s)", c.Constraint, c.ConstraintOrigin)}
	if c.Metadata.AppVersion != "" {
		parts = append(parts, "appVersion "+c.Metadata.AppVersion)
	}
	parts = append(parts, shortDigest(c.Digest))
	return strings.Join(parts, " · ")
}

func writeSkips(w io.Writer, p painter, heading string, skips []promote.Skip) {
	if len(skips) == 0 {
		return
	}
	fmt.Fprintln(w, p.bold(fmt.Sprintf("%s (%d):", heading, len(skips))))
	for _, s := range skips {
		where := s.File
		if s.Line > 0 {
			where = fmt.Sprintf("%s:%d", s.File, s.Line)
		}
		names := strings.TrimSpace(s.Application + "  " + s.Chart)
		if names != "" {
			names = "  " + names
		}
		fmt.Fprintf(w, "  %s%s\n      %s\n", where, names, p.dim(s.Reason))
		writeHeld(w, p, s.Held)
	}
	fmt.Fprintln(w)
}

// writeHeld lists the versions the gates held back, each with its reason and, for a
// version too young, when it becomes eligible.
func writeHeld(w io.Writer, p painter, held []gate.Hold) {
	for _, h := range held {
		fmt.Fprintf(w, "      %s %s\n", p.yellow("held:"), h)
	}
}

func shortDigest(d string) string {

	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}
