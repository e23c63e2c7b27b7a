package main

import (
	"context"
	"os"
	"strings"
	"testing"
)

// childArgsEnv, when set, makes the test binary run the command line it holds (arguments
// separated by the ASCII unit separator, which no argument holds) instead of the tests, and exit with its status: a test can then run
// the CLI as a process of its own, and kill it.
const childArgsEnv = "CHART_PROMOTER_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(childArgsEnv); ok {
		os.Exit(run(context.Background(), strings.Split(args, "\x1f"), os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
