package promote

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/setting"
)

// Grouping says which changes share one branch and one pull request.
type Grouping string

const (
	// GroupByChart puts every Application of one chart (and one target version) in one PR.
	GroupByChart Grouping = "chart"
	// GroupByApplication opens one PR per Application, so environments merge separately.
	GroupByApplication Grouping = "application"
	// GroupByAll puts every change of the run in one PR.
	GroupByAll Grouping = "all"
)

// ParseGrouping validates a group-by setting.
func ParseGrouping(s string) (Grouping, error) {
	switch g := Grouping(s); g {
	case GroupByChart, GroupByApplication, GroupByAll:
		return g, nil
	case "":
		return GroupByChart, nil
	}
	return "", &InputError{Input: "group-by", Value: s, Want: `"chart", "application" or "all"`}
}

// CommitVia says how the promotion commit is made.
type CommitVia string

const (
	// CommitViaGit builds the commit locally with go-git and pushes it with a lease.
	CommitViaGit CommitVia = "git"
	// CommitViaAPI creates the commit through GitHub's Git database API, so GitHub signs it
	// and it shows as Verified, which many branch protections require.
	CommitViaAPI CommitVia = "api"
)

// ParseCommitVia validates a commit-via setting.
func ParseCommitVia(s string) (CommitVia, error) {
	switch v := CommitVia(s); v {
	case CommitViaGit, CommitViaAPI:
		return v, nil
	case "":
		return CommitViaGit, nil
	}
	return "", &InputError{Input: "commit-via", Value: s, Want: `"git" or "api"`}
}

// InputError is a setting with a value the tool cannot use; it says what to write
// instead. Input is the setting's neutral name, which each adapter spells its own way
// (see setting.Describe).
type InputError = setting.InputError

// Identity is a commit author or committer.
type Identity struct {
	Name, Email string
}

// DefaultIdentity is GitHub's own bot identity for commits made with GITHUB_TOKEN.
var DefaultIdentity = Identity{Name: "github-actions[bot]", Email: "41898282+github-actions[bot]@users.noreply.github.com"}

// PullRequestOptions shape the pull requests a promotion opens.
type PullRequestOptions struct {
	Labels        []string
	Reviewers     []string
	TeamReviewers []string
	Assignees     []string
	Draft         bool
	// AutoMerge is "", "merge", "squash" or "rebase".
	AutoMerge string
	// Milestone is the number of the milestone new pull requests get; 0 for none.
	Milestone int
}

// ProposeOptions configure a promotion: a plan, then one branch, commit and pull request
// per group of changes.
type ProposeOptions struct {
	// Plan is how to plan; Plan.Dir is inside the Git checkout.
	Plan Options
	// Owner and Repo name the GitHub repository; Base is the branch PRs target.
	Owner, Repo, Base string
	// GroupBy decides which changes share a pull request.
	GroupBy Grouping
	// BranchPrefix starts every promotion branch name (default "chart-promoter/").
	BranchPrefix string
	// CommitVia is git (default) or api.
	CommitVia CommitVia
	// Author and Committer sign the commit (default DefaultIdentity); SignOff adds a
	// Signed-off-by trailer for the author (DCO).
	Author, Committer Identity
	SignOff           bool
	// PullRequest shapes the PRs.
	PullRequest PullRequestOptions
	// DryRun plans and reports the groups without touching Git or GitHub.
	DryRun bool
	// KeepBranches keeps the branches of promotion pull requests the tool closes as
	// superseded, and of those a person closed without merging; by default they are
	// deleted when their tip is a commit the tool made (never a person's branch).
	KeepBranches bool
	// Templates replace the default commit message, pull request title and body.
	Templates Templates
	// Now stamps commits (default time.Now); tests fix it.
	Now func() time.Time
}

// PullRequestAction says what a run did to a group's pull request.
type PullRequestAction string

const (
	// Opened: a new pull request.
	Opened PullRequestAction = "opened"
	// Updated: the branch moved to a fresh commit and the PR's title and body were updated.
	Updated PullRequestAction = "updated"
	// Unchanged: the open PR already proposes exactly these changes; nothing was written.
	Unchanged PullRequestAction = "unchanged"
	// Blocked: the branch holds commits the tool did not make; it was left alone.
	Blocked PullRequestAction = "blocked"
	// Planned: a dry run; nothing was written.
	Planned PullRequestAction = "planned"
	// Failed: Git or GitHub failed for this group; the error says how.
	Failed PullRequestAction = "failed"
	// Held: nothing was written for this group, because GitHub's API rate limit would have
	// run out before its pull request was complete (a *RateLimitError says when to re-run:
	// a failure), or because a limit of the config file was reached (a *LimitError: a
	// later run opens it).
	Held PullRequestAction = "held"
)

// Proposal is one group's outcome: its branch, changes and pull request.
type Proposal struct {
	// Group is a readable name of the group ("webapp 1.2.5", "webapp-prod", "all").
	Group string `json:"group"`
	// Branch is the promotion branch.
	Branch string `json:"branch"`
	// Action is what the run did.
	Action PullRequestAction `json:"action"`
	// Number and URL identify the pull request (0 and "" when there is none).
	Number int    `json:"number,omitempty"`
	URL    string `json:"url,omitempty"`
	// Commit is the promotion commit's SHA, when one exists.
	Commit string `json:"commit,omitempty"`
	// Title and Body are the pull request's text.
	Title string `json:"title"`
	Body  string `json:"-"`
	// Changes are the group's changes.
	Changes []Change `json:"changes"`
	// Superseded are older promotion PRs this one made obsolete and closed.
	Superseded []int `json:"superseded,omitempty"`
	// Warnings are things that did not work but did not fail the group (auto-merge refused).
	Warnings []string `json:"warnings,omitempty"`
	// Err says why the group failed, was blocked or was held; nil otherwise. It stays an
	// error until output, where it is the JSON field "error".
	Err error `json:"-"`
}

// proposalJSON is a Proposal as JSON spells it: Err as the message "error".
type proposalJSON struct {
	plainProposal
	Error string `json:"error,omitempty"`
}

type plainProposal Proposal

// MarshalJSON writes the proposal with Err as its message in "error".
func (p Proposal) MarshalJSON() ([]byte, error) {
	out := proposalJSON{plainProposal: plainProposal(p)}
	if p.Err != nil {
		out.Error = p.Err.Error()
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads a proposal written by MarshalJSON; "error" comes back as an error
// with the same message.
func (p *Proposal) UnmarshalJSON(data []byte) error {
	var in proposalJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	*p = Proposal(in.plainProposal)
	if in.Error != "" {
		p.Err = errors.New(in.Error)
	}
	return nil
}

// BlockedError says that a promotion branch holds a commit the tool did not make, so it
// was left alone.
type BlockedError struct {
	Branch, Commit, Committer string
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("%s has a commit chart-promoter did not make (%s by %s); it is left alone — delete the branch or merge its PR to resume promotions", e.Branch, short(e.Commit), e.Committer)
}

// Result is the outcome of a promotion run.
type Result struct {
	// Plan is the plan the proposals were made from.
	Plan *Plan `json:"-"`
	// Proposals are the groups, in a stable order.
	Proposals []Proposal `json:"proposals"`
	// Closed are the open promotion pull requests this run closed because the base branch
	// already runs their versions, or newer.
	Closed []int `json:"closed,omitempty"`
}

// Changed reports whether the run opened or updated any pull request.
func (r *Result) Changed() bool {
	for _, p := range r.Proposals {
		if p.Action == Opened || p.Action == Updated {
			return true
		}
	}
	return false
}

// Failed reports whether any file, chart or group failed, or a group was held back.
func (r *Result) Failed() bool {
	if r.Plan != nil && r.Plan.HasErrors() {
		return true
	}
	for _, p := range r.Proposals {
		if p.Failure() {
			return true
		}
	}
	return false
}

// Failure reports whether the group failed: Git or GitHub failed for it, or the rate
// limit held it back. A group a limit of the config file holds is waiting, not failing.
func (p Proposal) Failure() bool {
	return p.Action == Failed || (p.Action == Held && !errors.As(p.Err, new(*LimitError)))
}
