package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/report"
)

// scanFlags are the flags of every command that reads the tree and asks the registry:
// plan, apply, promote and explain.
type scanFlags struct {
	registryFlags
	dir         string
	config      string
	constraint  string
	include     []string
	exclude     []string
	concurrency int
	timeout     time.Duration
}

// register adds the scanning flags; constraint and timeout say what those two mean for
// the command.
func (f *scanFlags) register(cmd *cobra.Command, constraint, timeout string) {
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "dir", ".", "directory of Argo CD manifests to scan")
	fl.StringVar(&f.config, "config", "", "repository config file (default: "+config.FileName+" in --dir, else in .github/)")
	fl.StringVar(&f.constraint, "constraint", "", constraint)
	fl.StringArrayVar(&f.include, "include", nil, "glob of files to scan (repeatable; default *.yaml, *.yml and Kustomization)")
	fl.StringArrayVar(&f.exclude, "exclude", nil, "glob of files to leave out (repeatable)")
	fl.IntVar(&f.concurrency, "concurrency", promote.DefaultConcurrency, fmt.Sprintf("registry reads in flight per registry host (at most %d)", promote.MaxConcurrency))
	fl.DurationVar(&f.timeout, "timeout", 10*time.Minute, timeout)
	f.registryFlags.register(cmd)
}

// planFlags are the flags of plan and apply.
type planFlags struct {
	scanFlags
	charts []string
	outputFlags
	renderFlags
	color   string
	verbose bool
}

func newPlanCommand(apply bool) *cobra.Command {
	f := &planFlags{}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show which targetRevisions would move, and the diff; change nothing",
		Args:  noArgs,
	}
	if apply {
		cmd.Use, cmd.Short = "apply", "Move targetRevisions to the newest allowed chart versions, editing the files"
	}
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return runPlan(cmd, f, apply) }
	f.register(cmd)
	return cmd
}

// register adds the flags of every command that plans.
func (f *planFlags) register(cmd *cobra.Command) {
	f.scanFlags.register(cmd, "semver constraint where neither a manifest nor a config rule sets one (default \"*\": newest release)", "give up the whole run after this long")
	fl := cmd.Flags()
	fl.StringArrayVar(&f.charts, "chart", nil, "only promote this chart repository, e.g. oci://ghcr.io/acme/charts/webapp (repeatable)")
	f.outputFlags.register(cmd, "one document {changes, skipped, errors, warnings}")
	fl.StringVar(&f.color, "color", "auto", "colour the diff: auto, always or never")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "list up-to-date sources too")
	fl.BoolVar(&f.verbose, "debug", false, "same as -v, as helm spells it")
	f.renderFlags.register(cmd, false)
}

func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q (flags start with --)", args[0])
	}
	return nil
}

// options checks the planning flags and builds the plan options with a registry client.
// repoURLs are more URLs that name the scanned checkout's repository, for $ref value files.
func (f *planFlags) options(cmd *cobra.Command, repoURLs ...string) (promote.Options, error) {
	opts, err := f.offlineOptions()
	if err != nil {
		return opts, err
	}
	reg, err := f.client(cmd.InOrStdin(), f.charts)
	if err != nil {
		return promote.Options{}, err
	}
	opts.Registry = reg
	rs, warnings, err := f.renderFlags.settings(opts.Config, givenFlags(cmd.Flags()))
	if err != nil {
		return promote.Options{}, err
	}
	opts.Warnings = append(opts.Warnings, warnings...)
	if opts.Render, err = f.renderFlags.options(rs, reg, f.dir, cmp.Or(os.Getenv("GITHUB_API_URL"), "https://api.github.com"), f.requestTimeout, repoURLs...); err != nil {
		return promote.Options{}, err
	}
	return opts, nil
}

// offlineOptions checks the planning flags and reads the config file, without a registry.
func (f *planFlags) offlineOptions() (promote.Options, error) {
	if info, err := os.Stat(f.dir); err != nil || !info.IsDir() {
		return promote.Options{}, usagef("--dir %s is not a readable directory", f.dir)
	}
	if f.concurrency < 1 {
		return promote.Options{}, usagef("--concurrency must be at least 1")
	}
	if f.concurrency > promote.MaxConcurrency {
		return promote.Options{}, usagef("--concurrency must be at most %d (reads in flight per registry host)", promote.MaxConcurrency)
	}
	cfg, err := loadConfig(f.dir, f.config)
	if err != nil {
		return promote.Options{}, err
	}
	return promote.Options{
		Dir:               f.dir,
		Include:           f.include,
		Exclude:           f.exclude,
		Charts:            f.charts,
		DefaultConstraint: f.constraint,
		Config:            cfg,
		Concurrency:       f.concurrency,
	}, nil
}

// planError turns a failure to plan at all into the right exit status.
func (f *planFlags) planError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("gave up after --timeout %s: %w", f.timeout, err)
	}
	return usageError{err}
}

func runPlan(cmd *cobra.Command, f *planFlags, apply bool) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	color, err := useColor(f.color, stdout)
	if err != nil {
		return err
	}
	format, err := f.format()
	if err != nil {
		return err
	}
	opts, err := f.options(cmd)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	plan, err := promote.Make(ctx, opts)
	if err != nil {
		return f.planError(ctx, err)
	}
	if apply {
		plan.Apply()
	}
	switch format {
	case "json":
		err = report.JSON(stdout, plan)
	case "yaml":
		err = report.YAML(stdout, plan)
	default:
		report.Text(stdout, plan, report.TextOptions{Color: color, Diff: true, Verbose: f.verbose, Applied: apply})
	}
	printRemoved(stderr, plan)
	if err != nil {
		return err
	}
	if format != "table" {
		printWarnings(stderr, plan.Warnings)
	}
	printErrors(stderr, plan)
	if plan.HasErrors() {
		return errFailed
	}
	return nil
}

// printRemoved says which temporary files of an interrupted run this one removed.
func printRemoved(w io.Writer, plan *promote.Plan) {
	for _, f := range plan.Removed {
		fmt.Fprintln(w, "removed", f+": a temporary file an interrupted chart-promoter run left")
	}
}

func printErrors(w io.Writer, plan *promote.Plan) {
	for _, e := range plan.Errors {
		fmt.Fprintln(w, "error:", e.Error())
	}
}

// loadConfig reads the repository config file and checks its templates; any problem
// with it is a usage error, so that nothing is planned with half a policy.
func loadConfig(dir, explicit string) (*config.Config, error) {
	cfg, err := config.Load(dir, explicit)
	if err == nil {
		// The templates' fields too, before anything is read.
		err = promote.CheckConfig(cfg)
	}
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}
