package main

import (
	"github.com/sethvargo/go-githubactions"
	"github.com/spf13/cobra"

	"github.com/chart-promoter/chart-promoter/action"
)

func newActionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "action",
		Short: "Run as the GitHub Action step: read INPUT_* and GITHUB_* variables, open pull requests",
		Long: `Run as the GitHub Action step. Inputs come from INPUT_* variables (see action.yml), the
trigger from GITHUB_EVENT_NAME and GITHUB_EVENT_PATH; outputs go to GITHUB_OUTPUT and a
summary to GITHUB_STEP_SUMMARY.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a := githubactions.New(githubactions.WithWriter(cmd.OutOrStdout()))
			switch action.Run(cmd.Context(), a, "chart-promoter/"+buildVersion) {
			case action.ExitOK:
				return nil
			case action.ExitUsage:
				return errUsageReported
			}
			return errFailed
		},
	}
}
