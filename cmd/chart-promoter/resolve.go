package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/report"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

func newResolveCommand() *cobra.Command {
	var (
		rf         registryFlags
		constraint string
		out        outputFlags
	)
	cmd := &cobra.Command{
		Use:   "resolve oci://HOST/PATH/NAME",
		Short: "Print the newest chart version a constraint allows, and its digest",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("resolve takes one chart reference, e.g. oci://ghcr.io/acme/charts/webapp")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&constraint, "constraint", "", "semver constraint (default \"*\": newest release)")
	out.register(cmd, "one object {chart, version, tag, digest, constraint, metadata}")
	rf.register(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		chart, err := manifest.NormalizeChart(args[0])
		if err != nil {
			return usageError{err}
		}
		c, err := version.ParseConstraint(constraint)
		if err != nil {
			return usagef("--constraint: %v", err)
		}
		format, err := out.format()
		if err != nil {
			return err
		}
		reg, err := rf.client(cmd.InOrStdin(), []string{chart})
		if err != nil {
			return err
		}
		v, cv, err := promote.Newest(cmd.Context(), reg, chart, c)
		for _, w := range reg.Warnings() {
			fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
		}
		if err != nil {
			return err
		}
		return printResolved(cmd, format, chart, v, cv, c)
	}
	return cmd
}

func printResolved(cmd *cobra.Command, format, chart string, v version.Version, cv registry.ChartVersion, c *version.Constraint) error {
	out := cmd.OutOrStdout()
	doc := struct {
		Chart      string            `json:"chart"`
		Version    string            `json:"version"`
		Tag        string            `json:"tag"`
		Digest     string            `json:"digest"`
		Constraint string            `json:"constraint"`
		Metadata   registry.Metadata `json:"metadata"`
	}{chart, v.String(), v.Tag, cv.Digest, c.String(), cv.Metadata}
	switch format {
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	case "yaml":
		return report.YAML(out, doc)
	}
	fmt.Fprintf(out, "%s\t%s\n", v.String(), cv.Digest)
	return nil
}
