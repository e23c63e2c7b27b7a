package promote

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// Settings are a promotion's settings as a user writes them, before validation: the
// CLI's flags and the Action's inputs fill the same struct, and ProposeOptions turns it
// into the options of Propose, so that both adapters check and assemble them alike.
type Settings struct {
	// Repository is "owner/name".
	Repository string
	// Base is the branch pull requests target; "" asks GitHub (ResolveBase).
	Base string
	// GroupBy is "chart", "application" or "all"; CommitVia "git" or "api".
	GroupBy, CommitVia string
	// BranchPrefix starts every promotion branch name; "" is DefaultBranchPrefix.
	BranchPrefix string
	// AuthorName and AuthorEmail sign the commit; both or neither.
	AuthorName, AuthorEmail string
	// SignOff adds a Signed-off-by trailer.
	SignOff bool
	// Labels, Reviewers, TeamReviewers and Assignees decorate new pull requests.
	Labels, Reviewers, TeamReviewers, Assignees []string
	// Draft opens pull requests as drafts.
	Draft bool
	// AutoMerge is "", "merge", "squash" or "rebase" (any case).
	AutoMerge string
	// Milestone is the number of a milestone for new pull requests, "" for none.
	Milestone string
	// DeleteBranch deletes the branches of promotion pull requests the tool closed as
	// superseded, and of those closed without merging, when the tool made their tip.
	DeleteBranch bool
	// CommitMessageTemplate, TitleTemplate and BodyTemplate are Go text/template texts
	// over TemplateData; "" keeps the default text.
	CommitMessageTemplate, TitleTemplate, BodyTemplate string
	// DryRun plans and reports without touching Git or GitHub.
	DryRun bool
}

var repositoryRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+$`)

// ProposeOptions validates the settings and builds the options of a promotion that plans
// with plan. Every setting that is wrong is reported, as an *InputError each, joined.
func (s Settings) ProposeOptions(plan Options) (ProposeOptions, error) {
	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	opts := ProposeOptions{Plan: plan, Base: s.Base, SignOff: s.SignOff, DryRun: s.DryRun, KeepBranches: !s.DeleteBranch}

	if !repositoryRE.MatchString(s.Repository) {
		check(&InputError{Input: "repository", Value: s.Repository, Want: "owner/name, e.g. acme/gitops"})
	}
	opts.Owner, opts.Repo, _ = strings.Cut(s.Repository, "/")
	var err error
	opts.GroupBy, err = ParseGrouping(s.GroupBy)
	check(err)
	opts.CommitVia, err = ParseCommitVia(s.CommitVia)
	check(err)

	opts.BranchPrefix = s.BranchPrefix
	if opts.BranchPrefix == "" {
		opts.BranchPrefix = DefaultBranchPrefix
	}
	check(checkBranchPrefix(opts.BranchPrefix))

	switch {
	case (s.AuthorName == "") != (s.AuthorEmail == ""):
		check(&InputError{Input: "author-name", Pair: "author-email", Want: "set both, or neither to commit as " + DefaultIdentity.Name})
	case s.AuthorEmail != "" && !strings.Contains(s.AuthorEmail, "@"):
		check(&InputError{Input: "author-email", Value: s.AuthorEmail, Want: "an e-mail address, e.g. bot@example.com"})
	case s.AuthorName != "":
		opts.Author = Identity{Name: s.AuthorName, Email: s.AuthorEmail}
	}

	opts.PullRequest = PullRequestOptions{
		Labels: s.Labels, Reviewers: s.Reviewers, TeamReviewers: s.TeamReviewers, Assignees: s.Assignees,
		Draft: s.Draft, AutoMerge: strings.ToLower(s.AutoMerge),
	}
	switch opts.PullRequest.AutoMerge {
	case "", "merge", "squash", "rebase":
	default:
		check(&InputError{Input: "auto-merge", Value: s.AutoMerge, Want: `"merge", "squash" or "rebase", or nothing for no auto-merge`})
	}
	if s.Milestone != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(s.Milestone, "#"))
		if err != nil || n <= 0 {
			check(&InputError{Input: "milestone", Value: s.Milestone, Want: "the milestone's number, as in its URL (…/milestone/3)"})
		}
		opts.PullRequest.Milestone = n
	}

	opts.Templates = Templates{CommitMessage: s.CommitMessageTemplate, Title: s.TitleTemplate, Body: s.BodyTemplate}
	if _, err := opts.Templates.parse(); err != nil {
		var joined interface{ Unwrap() []error }
		if errors.As(err, &joined) {
			errs = append(errs, joined.Unwrap()...)
		} else {
			check(err)
		}
	}
	return opts, errors.Join(errs...)
}

// checkBranchPrefix applies the parts of git-check-ref-format a prefix can break.
func checkBranchPrefix(p string) error {
	bad := strings.HasPrefix(p, "/") || strings.HasPrefix(p, "-") || strings.HasPrefix(p, ".") ||
		strings.Contains(p, "..") || strings.Contains(p, "//") || strings.Contains(p, "@{") ||
		strings.ContainsAny(p, " ~^:?*[\\\t\n")
	if bad {
		return &InputError{Input: "branch-prefix", Value: p, Want: "letters, digits, '-', '_', '.' and '/', e.g. chart-promoter/"}
	}
	return nil
}

// DefaultBrancher is what ResolveBase needs of GitHub; *github.Client provides it.
type DefaultBrancher interface {
	DefaultBranch(ctx context.Context, owner, repo string) (string, error)
}

// ResolveBase sets opts.Base to the repository's default branch when no base was given.
// A dry run leaves it empty rather than ask GitHub.
func ResolveBase(ctx context.Context, opts *ProposeOptions, gh DefaultBrancher) error {
	if opts.Base != "" || opts.DryRun || gh == nil {
		return nil
	}
	base, err := gh.DefaultBranch(ctx, opts.Owner, opts.Repo)
	if err != nil {
		return err
	}
	opts.Base = base
	return nil
}
