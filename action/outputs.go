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
	outOperation          = "pull-request-operation"
	outHeadSHA            = "pull-request-head-sha"
	outPullRequests       = "pull-requests"
)

// OutputNames lists every output WriteOutputs sets; action.yml must declare exactly these.
func OutputNames() []string {
	return []string{
		outChanged, outPullRequestNumber, outPullRequestURL, outPullRequestNumbers,
		outBranch, outChanges, outSkipped, outErrors, outOperation, outHeadSHA, outPullRequests,
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
	number, url, branch, operation, headSHA := "", "", "", OperationNone, ""
	if first != nil {
		number, url, branch = strconv.Itoa(first.Number), first.URL, first.Branch
		operation, headSHA = Operation(first.Action), first.Commit
	}
	numbersJSON, err := json.Marshal(numbers)
	if err != nil {
		return err
	}
	pullRequestsJSON, err := json.Marshal(PullRequests(res))
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
	a.SetOutput(outOperation, operation)
	a.SetOutput(outHeadSHA, headSHA)
	a.SetOutput(outPullRequests, string(pullRequestsJSON))
	return nil
}

// What a run did to a pull request, in peter-evans/create-pull-request's words, which
// workflows already branch on.
const (
	OperationCreated = "created"
	OperationUpdated = "updated"
	OperationClosed  = "closed"
	OperationNone    = "none"
)

// Operation words a proposal's action as create-pull-request does: created, updated, or
// none (unchanged, blocked, planned in a dry run, failed).
func Operation(a promote.PullRequestAction) string {
	switch a {
	case promote.Opened:
		return OperationCreated
	case promote.Updated:
		return OperationUpdated
	}
	return OperationNone
}

// PullRequestOutput is one pull request in the pull-requests output.
type PullRequestOutput struct {
	Number int    `json:"number"`
	URL    string `json:"url,omitempty"`
	Branch string `json:"branch,omitempty"`
	// Operation is created, updated, closed (superseded by SupersededBy, or, without it,
	// overtaken by the base branch) or none.
	Operation string `json:"operation"`
	// HeadSHA is the promotion commit at the head of the pull request's branch.
	HeadSHA      string `json:"headSha,omitempty"`
	Title        string `json:"title,omitempty"`
	Group        string `json:"group,omitempty"`
	SupersededBy int    `json:"supersededBy,omitempty"`
}

// PullRequests lists every pull request the run touched or found, in the order of its
// groups, then those it closed as superseded or overtaken: the pull-requests output.
func PullRequests(res *promote.Result) []PullRequestOutput {
	out := []PullRequestOutput{}
	var closed []PullRequestOutput
	for _, p := range res.Proposals {
		if p.Number > 0 {
			out = append(out, PullRequestOutput{Number: p.Number, URL: p.URL, Branch: p.Branch, Operation: Operation(p.Action), HeadSHA: p.Commit, Title: p.Title, Group: p.Group})
		}
		for _, n := range p.Superseded {
			closed = append(closed, PullRequestOutput{Number: n, Operation: OperationClosed, SupersededBy: p.Number})
		}
	}
	// Those the base branch overtook: closed, superseded by no pull request.
	for _, n := range res.Closed {
		closed = append(closed, PullRequestOutput{Number: n, Operation: OperationClosed})
	}
	return append(out, closed...)
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
