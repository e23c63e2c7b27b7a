package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/render"
	"github.com/chart-promoter/chart-promoter/internal/report"
)

// explainFlags are what explain needs of plan's flags, and --offline.
type explainFlags struct {
	scanFlags
	json, offline bool
	color         string
}

func newExplainCommand() *cobra.Command {
	f := &explainFlags{}
	cmd := &cobra.Command{
		Use:   "explain APPLICATION|FILE:LINE",
		Short: "Say which rules, annotations and comments decided a source's policy, and what a plan does with it",
		Long: `Explain the policy of every chart source of an Application (or ApplicationSet), of a file,
or of the targetRevision on one line of a file: which config rules apply and why, which
setting decided each policy field and which settings it won over, and, unless --offline,
what a plan proposes for the source or why it proposes nothing.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("explain takes one Application name or FILE:LINE, e.g. explain webapp-production or explain apps/production/webapp.yaml:22")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runExplain(cmd, f, args[0]) },
	}
	f.scanFlags.register(cmd, "semver constraint where neither a manifest nor a config rule sets one, as for plan", "give up after this long")
	fl := cmd.Flags()
	fl.BoolVar(&f.json, "json", false, "print one JSON object {query, config, precedence, sources}")
	fl.BoolVar(&f.offline, "offline", false, "explain the policy only: do not ask the registry what a plan would propose")
	fl.StringVar(&f.color, "color", "auto", "colour the output: auto, always or never")
	return cmd
}

func runExplain(cmd *cobra.Command, f *explainFlags, arg string) error {
	stdout := cmd.OutOrStdout()
	color, err := useColor(f.color, stdout)
	if err != nil {
		return err
	}
	pf := planFlags{scanFlags: f.scanFlags,
		// explain says what a plan proposes, not what the new version renders to.
		renderFlags: renderFlags{never: true, renderTimeout: render.DefaultTimeout, maxRendered: render.DefaultMaxRenderedBytes}}
	var opts promote.Options
	if f.offline {
		opts, err = pf.offlineOptions()
	} else {
		opts, err = pf.options(cmd)
	}
	if err != nil {
		return err
	}
	q, err := promote.ParseQuery(f.dir, arg)
	if err != nil {
		return usageError{err}
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	e, err := promote.Explain(ctx, opts, q, !f.offline)
	if err != nil {
		return pf.planError(ctx, err)
	}
	if f.json {
		return report.ExplainJSON(stdout, e)
	}
	report.ExplainText(stdout, e, color)
	return nil
}
