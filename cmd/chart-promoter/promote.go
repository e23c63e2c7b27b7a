package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/chart-promoter/chart-promoter/internal/github"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/report"
)

// promoteFlags are plan's flags plus where and how to propose.
type promoteFlags struct {
	planFlags
	apiURL   string
	settings promote.Settings
}

func newPromoteCommand() *cobra.Command {
	f := &promoteFlags{}
	cmd := &cobra.Command{
		Use:   "promote --repo OWNER/NAME",
		Short: "Commit the promotions to branches and open or update pull requests",
		Long: `Plan, then give each group of changes a branch, a commit and a pull request: opened when
new, updated when a newer version is allowed, left alone when nothing is new or when someone
else has pushed to the branch. The token comes from GITHUB_TOKEN (or GH_TOKEN); the API from
GITHUB_API_URL (GitHub Enterprise Server: https://HOST/api/v3).

The templates are Go text/template texts over .Group, .Branch, .Chart, .Charts, .Versions,
.Applications, .Digest, .Metadata, .Changes and .Default (the default text); see the README.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPromote(cmd, f) },
	}
	f.planFlags.register(cmd)
	s := &f.settings
	fl := cmd.Flags()
	// Pull requests show the rendered changes unless --render=false.
	f.render = true
	fl.Lookup("render").DefValue = "true"
	fl.StringVar(&s.Repository, "repo", os.Getenv("GITHUB_REPOSITORY"), "GitHub repository OWNER/NAME (default $GITHUB_REPOSITORY)")
	fl.StringVar(&s.Base, "base", "", "branch the pull requests target (default: the repository's default branch)")
	fl.StringVar(&s.GroupBy, "group-by", "chart", "one pull request per chart, application, or all")
	fl.StringVar(&s.CommitVia, "commit-via", "git", "git (push from this checkout) or api (GitHub signs the commit)")
	fl.StringVar(&s.BranchPrefix, "branch-prefix", promote.DefaultBranchPrefix, "start of every promotion branch name")
	fl.StringVar(&f.apiURL, "api-url", cmp.Or(os.Getenv("GITHUB_API_URL"), "https://api.github.com"), "GitHub API URL (default $GITHUB_API_URL)")
	fl.StringVar(&s.AuthorName, "author-name", "", "commit author name (default github-actions[bot])")
	fl.StringVar(&s.AuthorEmail, "author-email", "", "commit author email")
	fl.BoolVar(&s.SignOff, "sign-off", false, "add a Signed-off-by trailer (DCO)")
	fl.BoolVar(&s.DryRun, "dry-run", false, "plan and show the pull requests without writing anything")
	fl.StringArrayVar(&s.Labels, "label", nil, "label new pull requests (repeatable)")
	fl.StringArrayVar(&s.Reviewers, "reviewer", nil, "request a review from this user (repeatable)")
	fl.StringArrayVar(&s.TeamReviewers, "team-reviewer", nil, "request a review from this team slug (repeatable)")
	fl.StringArrayVar(&s.Assignees, "assignee", nil, "assign new pull requests (repeatable)")
	fl.BoolVar(&s.Draft, "draft", false, "open pull requests as drafts")
	fl.StringVar(&s.AutoMerge, "auto-merge", "", "enable auto-merge: merge, squash or rebase")
	fl.StringVar(&s.Milestone, "milestone", "", "put new pull requests in the milestone with this number")
	fl.BoolVar(&s.DeleteBranch, "delete-branch", true, "delete the tool's branches of promotion pull requests it closes as superseded or that were closed unmerged (--delete-branch=false keeps them)")
	fl.StringVar(&s.CommitMessageTemplate, "commit-message-template", "", "Go template of the commit message (default: chore(deploy): promote …)")
	fl.StringVar(&s.TitleTemplate, "title-template", "", "Go template of the pull request title (default: Promote webapp to 1.2.5)")
	fl.StringVar(&s.BodyTemplate, "body-template", "", "Go template of the pull request body (default: the table of changes and the new versions' notes)")
	return cmd
}

func runPromote(cmd *cobra.Command, f *promoteFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	color, err := useColor(f.color, stdout)
	if err != nil {
		return err
	}
	format, err := f.format()
	if err != nil {
		return err
	}
	checked, err := f.settings.ProposeOptions(promote.Options{})
	if err != nil {
		// Checked before the registry is read, which f.options does.
		return usageError{err}
	}
	// The GitOps repository's own URL, so that value files of ref sources in it are read.
	planOpts, err := f.options(cmd, "https://"+releaseHosts(f.apiURL)[0]+"/"+checked.Owner+"/"+checked.Repo)
	if err != nil {
		return err
	}
	// The config file's pullRequest: block, where no flag was given.
	f.settings.ApplyConfig(planOpts.Config, givenFlags(cmd.Flags()))
	opts, err := f.settings.ProposeOptions(planOpts)
	if err != nil {
		return usageError{err}
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()

	deps := promote.Deps{Log: stderrLog{stderr}}
	if !opts.DryRun {
		token := cmp.Or(os.Getenv("GITHUB_TOKEN"), os.Getenv("GH_TOKEN"))
		d, gh, err := promote.Connect(f.dir, token, f.apiURL, "chart-promoter/"+buildVersion, github.WithRequestTimeout(f.requestTimeout))
		if err != nil {
			return usageError{err}
		}
		d.Log = deps.Log
		deps = d
		if err := promote.ResolveBase(ctx, &opts, gh); err != nil {
			return f.timedOut(ctx, err)
		}
	}
	res, err := promote.Propose(ctx, opts, deps)
	if err != nil {
		return f.planError(ctx, err)
	}
	switch format {
	case "json":
		err = report.PromotionJSON(stdout, res)
	case "yaml":
		err = report.PromotionYAML(stdout, res)
	default:
		report.Text(stdout, res.Plan, report.TextOptions{Color: color, Diff: opts.DryRun, Verbose: f.verbose})
		fmt.Fprintln(stdout)
		report.Proposals(stdout, res, color)
	}
	printRemoved(stderr, res.Plan)
	if err != nil {
		return err
	}
	if format != "table" {
		printWarnings(stderr, res.Plan.Warnings)
	}
	printErrors(stderr, res.Plan)
	for _, p := range res.Proposals {
		if p.Failure() {
			fmt.Fprintf(stderr, "error: %s: %v\n", p.Branch, p.Err)
		}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// Whatever was cut short failed above with the context's terse error; say why.
		fmt.Fprintf(stderr, "error: gave up after --timeout %s: what was not done by then failed (see above); re-run, or raise --timeout\n", f.timeout)
		return errFailed
	}
	if res.Failed() {
		return errFailed
	}
	return nil
}

// timedOut names --timeout in an error that the run's deadline caused.
func (f *promoteFlags) timedOut(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("gave up after --timeout %s: %w", f.timeout, err)
	}
	return err
}

// stderrLog prints a promotion's progress on stderr, apart from the report on stdout.
type stderrLog struct {
	w interface{ Write([]byte) (int, error) }
}

func (l stderrLog) Infof(format string, args ...any) { fmt.Fprintf(l.w, format+"\n", args...) }
func (l stderrLog) Warningf(format string, args ...any) {
	fmt.Fprintf(l.w, "warning: "+format+"\n", args...)
}
