package main

import (
	"context"
	"errors"
	"time"

	"github.com/sethvargo/go-githubactions"
	"github.com/spf13/cobra"

	"github.com/chart-promoter/chart-promoter/action"
)

// defaultActionTimeout bounds a step that would otherwise run until the job's own timeout
// (six hours on GitHub-hosted runners), holding the runner and the branch's lease meanwhile.
const defaultActionTimeout = 30 * time.Minute

func newActionCommand() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "action",
		Short: "Run as the GitHub Action step: read INPUT_* and GITHUB_* variables, open pull requests",
		Long: `Run as the GitHub Action step. Inputs come from INPUT_* variables (see action.yml), the
trigger from GITHUB_EVENT_NAME and GITHUB_EVENT_PATH; outputs go to GITHUB_OUTPUT and a
summary to GITHUB_STEP_SUMMARY. The whole step gives up after --timeout (default 30m); each
GitHub API request after 30s.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if timeout <= 0 {
				return usagef("--timeout must be positive, such as 30m")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			a := githubactions.New(githubactions.WithWriter(cmd.OutOrStdout()))
			code := action.Run(ctx, a, "chart-promoter/"+buildVersion)
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				a.Errorf("gave up after --timeout %s: what was not done by then failed (see above); re-run the workflow, or raise --timeout in the step's args", timeout)
				code = action.ExitFailed // even where the cut-short call reported bad inputs
			}
			switch code {
			case action.ExitOK:
				return nil
			case action.ExitUsage:
				return errUsageReported
			}
			return errFailed
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", defaultActionTimeout, "give up the whole step after this long")
	return cmd
}
