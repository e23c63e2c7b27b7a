package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chart-promoter/chart-promoter/internal/github"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/report"
)

// promoteFlags are plan's flags plus where and how to propose.
type promoteFlags struct {
	planFlags
	repo, base, groupBy, commitVia, branchPrefix, apiURL string
	authorName, authorEmail                              string
	signOff, dryRun                                      bool
	pr                                                   promote.PullRequestOptions
}

func newPromoteCommand() *cobra.Command {
	f := &promoteFlags{}
	cmd := &cobra.Command{
		Use:   "promote --repo OWNER/NAME",
		Short: "Commit the promotions to branches and open or update pull requests",
		Long: `Plan, then give each group of changes a branch, a commit and a pull request: opened when
new, updated when a newer version is allowed, left alone when nothing is new or when someone
else has pushed to the branch. The token comes from GITHUB_TOKEN (or GH_TOKEN); the API from
GITHUB_API_URL (GitHub Enterprise Server: https://HOST/api/v3).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPromote(cmd, f) },
	}
	f.planFlags.register(cmd)
	fl := cmd.Flags()
	// Pull requests show the rendered changes unless --render=false.
	f.render = true
	fl.Lookup("render").DefValue = "true"
	fl.StringVar(&f.repo, "repo", os.Getenv("GITHUB_REPOSITORY"), "GitHub repository OWNER/NAME (default $GITHUB_REPOSITORY)")
	fl.StringVar(&f.base, "base", "", "branch the pull requests target (default: the repository's default branch)")
	fl.StringVar(&f.groupBy, "group-by", "chart", "one pull request per chart, application, or all")
	fl.StringVar(&f.commitVia, "commit-via", "git", "git (push from this checkout) or api (GitHub signs the commit)")
	fl.StringVar(&f.branchPrefix, "branch-prefix", promote.DefaultBranchPrefix, "start of every promotion branch name")
	fl.StringVar(&f.apiURL, "api-url", envOr("GITHUB_API_URL", "https://api.github.com"), "GitHub API URL (default $GITHUB_API_URL)")
	fl.StringVar(&f.authorName, "author-name", "", "commit author name (default github-actions[bot])")
	fl.StringVar(&f.authorEmail, "author-email", "", "commit author email")
	fl.BoolVar(&f.signOff, "sign-off", false, "add a Signed-off-by trailer (DCO)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "plan and show the pull requests without writing anything")
	fl.StringArrayVar(&f.pr.Labels, "label", nil, "label new pull requests (repeatable)")
	fl.StringArrayVar(&f.pr.Reviewers, "reviewer", nil, "request a review from this user (repeatable)")
	fl.StringArrayVar(&f.pr.TeamReviewers, "team-reviewer", nil, "request a review from this team slug (repeatable)")
	fl.StringArrayVar(&f.pr.Assignees, "assignee", nil, "assign new pull requests (repeatable)")
	fl.BoolVar(&f.pr.Draft, "draft", false, "open pull requests as drafts")
	fl.StringVar(&f.pr.AutoMerge, "auto-merge", "", "enable auto-merge: merge, squash or rebase")
	return cmd
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func runPromote(cmd *cobra.Command, f *promoteFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	color, err := useColor(f.color, stdout)
	if err != nil {
		return err
	}
	owner, name, ok := strings.Cut(f.repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return usagef("--repo %q: give the GitHub repository as OWNER/NAME", f.repo)
	}
	groupBy, err := promote.ParseGrouping(f.groupBy)
	if err != nil {
		return usageError{err}
	}
	commitVia, err := promote.ParseCommitVia(f.commitVia)
	if err != nil {
		return usageError{err}
	}
	switch f.pr.AutoMerge {
	case "", "merge", "squash", "rebase":
	default:
		return usagef("--auto-merge %q: use merge, squash or rebase", f.pr.AutoMerge)
	}
	if (f.authorName == "") != (f.authorEmail == "") {
		return usagef("--author-name and --author-email go together")
	}
	planOpts, err := f.options(cmd, "https://"+releaseHosts(f.apiURL)[0]+"/"+owner+"/"+name)
	if err != nil {
		return err
	}
	opts := promote.ProposeOptions{
		Plan: planOpts, Owner: owner, Repo: name, Base: f.base,
		GroupBy: groupBy, BranchPrefix: f.branchPrefix, CommitVia: commitVia,
		Author: promote.Identity{Name: f.authorName, Email: f.authorEmail}, SignOff: f.signOff,
		PullRequest: f.pr, DryRun: f.dryRun,
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()

	deps := promote.Deps{Log: stderrLog{stderr}}
	if !f.dryRun {
		token := envOr("GITHUB_TOKEN", os.Getenv("GH_TOKEN"))
		d, gh, err := promote.Connect(f.dir, token, f.apiURL, "chart-promoter/"+buildVersion, github.WithRequestTimeout(f.requestTimeout))
		if err != nil {
			return usageError{err}
		}
		d.Log = deps.Log
		deps = d
		if opts.Base == "" {
			if opts.Base, err = gh.DefaultBranch(ctx, owner, name); err != nil {
				return f.timedOut(ctx, err)
			}
		}
	}
	res, err := promote.Propose(ctx, opts, deps)
	if err != nil {
		return f.planError(ctx, err)
	}
	if f.json {
		if err := report.PromotionJSON(stdout, res); err != nil {
			return err
		}
	} else {
		report.Text(stdout, res.Plan, report.TextOptions{Color: color, Diff: f.dryRun, Verbose: f.verbose})
		fmt.Fprintln(stdout)
		report.Proposals(stdout, res, color)
	}
	printErrors(stderr, res.Plan)
	for _, p := range res.Proposals {
		if p.Action == promote.Failed {
			fmt.Fprintf(stderr, "error: %s: %s\n", p.Branch, p.Error)
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
