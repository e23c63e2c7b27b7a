// Command chart-promoter promotes Helm charts stored in OCI registries through Git: it
// finds the Argo CD Applications that use a chart and moves their targetRevision to the
// newest version their policy allows.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/gcpace"
)

// buildVersion is set at build time with -ldflags "-X main.buildVersion=…".
var buildVersion = "dev"

// Exit statuses, documented in the README.
const (
	exitOK     = 0
	exitFailed = 1 // a file or chart failed; everything else was still done
	exitUsage  = 2 // the command line is wrong; nothing was done
)

// usageError marks errors in how the command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// errFailed reports that the run finished with errors already printed.
var errFailed = errors.New("finished with errors")

// errUsageReported reports a usage error already printed (as an Actions annotation).
var errUsageReported = errors.New("invalid inputs")

func main() {
	// A run allocates far more than it keeps: a small heap is collected at a budget,
	// not at every doubling (see gcpace; GOGC or GOMEMLIMIT set by the user win).
	gcpace.Start(gcpace.DefaultBudget)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and returns the exit status; tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCommand(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errFailed):
		return exitFailed
	case errors.Is(err, errUsageReported):
		return exitUsage
	}
	var configErrs config.Errors
	if errors.As(err, &configErrs) {
		// Every problem of the config file, one per line, each with file:line:column.
		for _, e := range configErrs {
			fmt.Fprintln(stderr, "error:", e)
		}
		return exitUsage
	}
	fmt.Fprintln(stderr, "error:", err)
	var usage usageError
	if errors.As(err, &usage) || isFlagError(err) {
		fmt.Fprintln(stderr, "Run 'chart-promoter --help' for usage.")
		return exitUsage
	}
	return exitFailed
}

// isFlagError recognises cobra's own usage errors that it does not route through the
// flag error function.
func isFlagError(err error) bool {
	return strings.HasPrefix(err.Error(), "unknown command")
}

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "chart-promoter",
		Short: "Promote Helm charts from OCI registries into Argo CD manifests",
		Long: `chart-promoter finds every Argo CD Application and ApplicationSet that uses a Helm chart
from an OCI registry, resolves the newest version each one's policy allows, and rewrites
targetRevision with an edit that touches nothing but that value.`,
		Version:       buildVersion,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newPlanCommand(false), newPlanCommand(true), newResolveCommand(), newPromoteCommand(), newExplainCommand(), newActionCommand())
	return root
}
