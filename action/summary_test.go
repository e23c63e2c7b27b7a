package action

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/promote"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/summary")

func TestSummary(t *testing.T) {
	tests := []struct {
		name    string
		result  string
		trigger Trigger
	}{
		{"promoted", "promoted.json", Trigger{Event: "registry_package", Chart: "ghcr.io/acme/charts/webapp", Version: "1.2.5", Source: "ghcr.io/acme/charts/webapp:1.2.5 published by release-bot"}},
		{"dry_run", "dry_run.json", Trigger{Event: "workflow_dispatch", Source: "workflow_dispatch by octocat"}},
		{"up_to_date", "up_to_date.json", Trigger{Event: "schedule", Source: `schedule (cron "17 6 * * 1-5")`}},
		{"failures", "failures.json", Trigger{Event: "push", Source: "push to refs/heads/main (0d1a26e)"}},
		{"hostile", "hostile.json", Trigger{Event: "repository_dispatch", Source: "repository_dispatch \"x|y\" by *someone*"}},
		{"gated", "gated.json", Trigger{Event: "schedule", Source: `schedule (cron "17 6 * * 1-5")`}},
	}
	for _, tt := range tests {
		t.Run("the summary of "+strings.ReplaceAll(tt.name, "_", " ")+" matches its golden file", func(t *testing.T) {
			got := Summary(loadResult(t, tt.result), tt.trigger)
			golden := filepath.Join("testdata", "summary", tt.name+".md")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./action -run TestSummary -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("Summary differs from %s (run with -update after checking):\n%s", golden, got)
			}
			checkTables(t, got)
		})
	}
}

func TestSummaryEscapesEverythingItDidNotWrite(t *testing.T) {
	got := Summary(loadResult(t, "hostile.json"), Trigger{Source: "<img src=x>"})
	for _, raw := range []string{"<script>", "<b>", "<img", "*bold*", "_it_", "~~struck~~", "[a](link)", "![image]", "[0](javascript:"} {
		if containsUnescaped(got, raw) {
			t.Errorf("the summary carries %q unescaped:\n%s", raw, got)
		}
	}
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "## chart-promoter") && !strings.HasPrefix(line, "### ") {
			t.Errorf("a message started a heading: %q", line)
		}
	}
	checkTables(t, got)
}

func TestSummaryCapsLongTables(t *testing.T) {
	plan := &promote.Plan{}
	for i := range 1234 {
		plan.Skipped = append(plan.Skipped, promote.Skip{File: fmt.Sprintf("apps/app-%04d.yaml", i), Line: 7, Application: fmt.Sprintf("app-%04d", i), Reason: "targetRevision \"^1\" is a range"})
		plan.Errors = append(plan.Errors, promote.Error{File: fmt.Sprintf("apps/bad-%04d.yaml", i), Line: 1, Message: "YAML does not parse"})
	}
	got := Summary(&promote.Result{Plan: plan}, Trigger{Source: "schedule"})
	rows := strings.Count(got, "| app-")
	if rows != maxRows {
		t.Errorf("%d skipped rows, want %d", rows, maxRows)
	}
	if !strings.Contains(got, "…and 734 more.") {
		t.Errorf("the summary does not count the rows left out")
	}
	if items := strings.Count(got, "- `apps/bad-"); items != maxRows {
		t.Errorf("%d error items, want %d", items, maxRows)
	}
	if len(got) > 1<<20 {
		t.Errorf("summary is %d bytes, over GitHub's 1 MiB limit", len(got))
	}
}

func TestSummaryOfAnIgnoredEventSaysWhy(t *testing.T) {
	got := Summary(nil, Trigger{Event: "registry_package", Ignore: "registry_package event for npm package \"x\": only container packages (Helm charts in GHCR) are promoted"})
	if !strings.Contains(got, "only container packages") || strings.Contains(got, "###") {
		t.Errorf("got:\n%s", got)
	}
}

func TestSummaryOfAFailedRunWithoutAPlan(t *testing.T) {
	got := Summary(&promote.Result{}, Trigger{Source: "push"})
	if !strings.Contains(got, "0 changes · 0 up to date · 0 skipped · 0 errors") {
		t.Errorf("got:\n%s", got)
	}
}

// containsUnescaped reports whether raw occurs in s other than right after a backslash.
func containsUnescaped(s, raw string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], raw)
		if j < 0 {
			return false
		}
		if i+j == 0 || s[i+j-1] != '\\' {
			return true
		}
		i += j + 1
	}
}

// checkTables verifies that every row of every table has as many cells as its header:
// an unescaped '|' from a message would add one.
func checkTables(t *testing.T, md string) {
	t.Helper()
	want := 0
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			want = 0
			continue
		}
		n := cellSeparators(line)
		if want == 0 {
			want = n
			continue
		}
		if n != want {
			t.Errorf("row has %d separators, header %d: %q", n, want, line)
		}
	}
}

// cellSeparators counts the '|' that are not backslash-escaped.
func cellSeparators(line string) int {
	n, backslashes := 0, 0
	for _, r := range line {
		switch {
		case r == '\\':
			backslashes++
			continue
		case r == '|' && backslashes%2 == 0:
			n++
		}
		backslashes = 0
	}
	return n
}
