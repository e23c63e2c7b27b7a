package action

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/report"
)

func TestWriteOutputs(t *testing.T) {
	tests := []struct {
		name   string
		result string
		want   map[string]string
	}{
		{
			name:   "an opened and an updated pull request: the first is the pull request",
			result: "promoted.json",
			want: map[string]string{
				"changed": "true", "pull-request-number": "43", "pull-request-url": "https://github.com/acme/gitops/pull/43",
				"pull-request-numbers": "[43,42]", "branch": "chart-promoter/api-2.1.0-b.6", "skipped": "2", "errors": "2",
				"pull-request-operation": "updated", "pull-request-head-sha": "8d2f1c0b9a8e7d6c5b4a39281706f5e4d3c2b1a0",
			},
		},
		{
			name:   "a dry run changes nothing and names no pull request",
			result: "dry_run.json",
			want: map[string]string{
				"changed": "false", "pull-request-number": "", "pull-request-url": "",
				"pull-request-numbers": "[]", "branch": "", "skipped": "0", "errors": "0",
				"pull-request-operation": "none", "pull-request-head-sha": "",
			},
		},
		{
			name:   "a fleet already up to date skips nothing",
			result: "up_to_date.json",
			want: map[string]string{
				"changed": "false", "pull-request-number": "", "pull-request-url": "",
				"pull-request-numbers": "[]", "branch": "", "skipped": "0", "errors": "0", "changes": "[]",
				"pull-request-operation": "none", "pull-request-head-sha": "", "pull-requests": "[]",
			},
		},
		{
			name:   "failed, blocked and unchanged pull requests are not the run's pull requests; failures count as errors",
			result: "failures.json",
			want: map[string]string{
				"changed": "true", "pull-request-number": "51", "pull-request-url": "https://github.com/acme/gitops/pull/51",
				"pull-request-numbers": "[51]", "branch": "chart-promoter/worker-0.9.1", "skipped": "0", "errors": "1",
				"pull-request-operation": "created",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := loadResult(t, tt.result)
			got := writeOutputs(t, res)
			if names := sortedKeys(got); !slices.Equal(names, sorted(OutputNames())) {
				t.Errorf("outputs set: %q, OutputNames: %q", names, sorted(OutputNames()))
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestThePullRequestsOutputListsEachWithItsOperation(t *testing.T) {
	res := loadResult(t, "promoted.json")
	res.Proposals[1].Superseded = []int{7}
	got := writeOutputs(t, res)["pull-requests"]
	var prs []PullRequestOutput
	if err := json.Unmarshal([]byte(got), &prs); err != nil {
		t.Fatalf("pull-requests is not a JSON array: %v\n%s", err, got)
	}
	want := []PullRequestOutput{
		{Number: 43, URL: "https://github.com/acme/gitops/pull/43", Branch: "chart-promoter/api-2.1.0-b.6", Operation: "updated",
			HeadSHA: "8d2f1c0b9a8e7d6c5b4a39281706f5e4d3c2b1a0", Title: "Promote api to 2.1.0+b.6", Group: "api 2.1.0+b.6"},
		{Number: 42, URL: "https://github.com/acme/gitops/pull/42", Branch: "chart-promoter/webapp-1.2.5", Operation: "created",
			HeadSHA: "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d", Title: "Promote webapp to 1.2.5", Group: "webapp 1.2.5"},
		{Number: 7, Operation: "closed", SupersededBy: 42},
	}
	if !slices.Equal(prs, want) {
		t.Errorf("pull-requests = %+v\nwant %+v", prs, want)
	}
}

func TestChangesOutputIsThePlanJSONsChanges(t *testing.T) {
	res := loadResult(t, "hostile.json")
	got := writeOutputs(t, res)["changes"]

	var planJSON bytes.Buffer
	if err := report.JSON(&planJSON, res.Plan); err != nil {
		t.Fatal(err)
	}
	var plan struct {
		Changes json.RawMessage `json:"changes"`
	}
	if err := json.Unmarshal(planJSON.Bytes(), &plan); err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, plan.Changes); err != nil {
		t.Fatal(err)
	}
	if got != compact.String() {
		t.Errorf("changes output:\n%s\nplan --json changes:\n%s", got, compact.String())
	}
	if strings.ContainsAny(got, "\n\r") {
		t.Errorf("changes output spans lines")
	}
}

func TestChangesOutputStaysUnderTheLimitAsValidJSON(t *testing.T) {
	res := loadResult(t, "promoted.json")
	one, _, err := changesJSON(res.Plan.Changes[:1], 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	limit := len(one) + 10 // room for the first change, not the second
	got, kept, err := changesJSON(res.Plan.Changes, limit)
	if err != nil {
		t.Fatal(err)
	}
	if kept != 1 || len(got) > limit {
		t.Errorf("kept %d changes in %d bytes, want 1 in at most %d", kept, len(got), limit)
	}
	var decoded []promote.Change
	if err := json.Unmarshal([]byte(got), &decoded); err != nil || len(decoded) != 1 {
		t.Errorf("cut output is not a JSON array of one change: %v: %s", err, got)
	}
}

func TestWriteOutputsOutsideActions(t *testing.T) {
	a, _ := newAction(map[string]string{})
	err := WriteOutputs(a, &promote.Result{})
	if err == nil || !strings.Contains(err.Error(), "GITHUB_OUTPUT is not set") {
		t.Fatalf("error = %v", err)
	}
}

func TestWriteOutputsReportsAnUnwritableFile(t *testing.T) {
	a, _ := newAction(map[string]string{"GITHUB_OUTPUT": filepath.Join(t.TempDir(), "missing-dir", "output")})
	err := WriteOutputs(a, &promote.Result{})
	if err == nil || !strings.Contains(err.Error(), "write step outputs") {
		t.Fatalf("error = %v", err)
	}
}

// writeOutputs runs WriteOutputs against a temporary GITHUB_OUTPUT file and parses it.
func writeOutputs(t *testing.T, res *promote.Result) map[string]string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "output")
	a, out := newAction(map[string]string{"GITHUB_OUTPUT": file})
	if err := WriteOutputs(a, res); err != nil {
		t.Fatal(err)
	}
	if out.Len() > 0 {
		t.Errorf("WriteOutputs printed %q", out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return parseOutputFile(t, string(data))
}

// parseOutputFile reads GITHUB_OUTPUT's "name<<DELIMITER\nvalue\nDELIMITER" records, as
// the runner does.
func parseOutputFile(t *testing.T, data string) map[string]string {
	t.Helper()
	got := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("line %d is not a heredoc record: %q", i+1, lines[i])
		}
		var value []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			value = append(value, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("output %s never ends", name)
		}
		if _, dup := got[name]; dup {
			t.Errorf("output %s set twice", name)
		}
		got[name] = strings.Join(value, "\n")
	}
	return got
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return sorted(keys)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
