package action

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/sethvargo/go-githubactions"

	"github.com/chart-promoter/chart-promoter/internal/promote"
)

// Names of the outputs, exactly as action.yml declares them.
const (
	outChanged            = "changed"
	outPullRequestNumber  = "pull-request-number"
	outPullRequestURL     = "pull-request-url"
	outPullRequestNumbers = "pull-request-numbers"
	outBranch             = "branch"
	outChanges            = "changes"
	outSkipped            = "skipped"
	outErrors             = "errors"
)

// OutputNames lists every output WriteOutputs sets; action.yml must declare exactly these.
func OutputNames() []string {
	return []string{
		outChanged, outPullRequestNumber, outPullRequestURL, outPullRequestNumbers,
		outBranch, outChanges, outSkipped, outErrors,
	}
}

// maxOutputBytes keeps the changes output under GitHub's 1 MB limit on one output, with
// room for the others.
const maxOutputBytes = 900_000

// WriteOutputs sets the step's outputs from a run's result. The pull request outputs name
// the pull requests this run opened or updated; the changes output is the plan's changes
// exactly as `chart-promoter plan --json` prints them, cut short (with a warning) when a
// fleet's worth would pass GitHub's output size limit.
func WriteOutputs(a *githubactions.Action, res *promote.Result) (err error) {
	if a.Getenv("GITHUB_OUTPUT") == "" {
		return errors.New("GITHUB_OUTPUT is not set: step outputs can only be written inside a GitHub Actions job")
	}
	// SetOutput panics when it cannot write the file; a failed write is an error of this
	// step, not a crash.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("write step outputs: %v", r)
		}
	}()
	if res == nil {
		res = &promote.Result{}
	}
	plan := res.Plan
	if plan == nil {
		plan = &promote.Plan{}
	}

	var first *promote.Proposal
	numbers := []int{}
	for i, p := range res.Proposals {
		if (p.Action == promote.Opened || p.Action == promote.Updated) && p.Number > 0 {
			if first == nil {
				first = &res.Proposals[i]
			}
			numbers = append(numbers, p.Number)
		}
	}
	number, url, branch := "", "", ""
	if first != nil {
		number, url, branch = strconv.Itoa(first.Number), first.URL, first.Branch
	}
	numbersJSON, err := json.Marshal(numbers)
	if err != nil {
		return err
	}
	changes, kept, err := changesJSON(plan.Changes, maxOutputBytes)
	if err != nil {
		return err
	}
	if kept < len(plan.Changes) {
		a.Warningf("the changes output lists %d of %d changes, to stay under GitHub's 1 MB output limit; the step summary lists them all", kept, len(plan.Changes))
	}
	skipped := 0
	for _, s := range plan.Skipped {
		if !s.UpToDate {
			skipped++
		}
	}

	a.SetOutput(outChanged, strconv.FormatBool(res.Changed()))
	a.SetOutput(outPullRequestNumber, number)
	a.SetOutput(outPullRequestURL, url)
	a.SetOutput(outPullRequestNumbers, string(numbersJSON))
	a.SetOutput(outBranch, branch)
	a.SetOutput(outChanges, changes)
	a.SetOutput(outSkipped, strconv.Itoa(skipped))
	a.SetOutput(outErrors, strconv.Itoa(len(plan.Errors)+failedProposals(res)))
	return nil
}

// changesJSON encodes changes on one line as report.JSON does (no HTML escaping), keeping
// as many whole changes as fit in limit bytes, so the output is always a valid array.
func changesJSON(changes []promote.Change, limit int) (string, int, error) {
	var out bytes.Buffer
	out.WriteByte('[')
	kept := 0
	for _, c := range changes {
		// The rendered view can weigh megabytes: the step summary and the pull request show
		// it, and chart-promoter plan --render --json prints it.
		c.Render = nil
		var one bytes.Buffer
		enc := json.NewEncoder(&one)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(c); err != nil {
			return "", 0, err
		}
		item := bytes.TrimRight(one.Bytes(), "\n")
		if out.Len()+len(item)+2 > limit {
			break
		}
		if kept > 0 {
			out.WriteByte(',')
		}
		out.Write(item)
		kept++
	}
	out.WriteByte(']')
	return out.String(), kept, nil
}
