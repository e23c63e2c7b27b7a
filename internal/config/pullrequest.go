package config

// PullRequest is the file's pullRequest: block: how promote and the Action write and
// decorate the pull requests they open. A nil field is one the file leaves to the flags,
// the Action's inputs and the defaults; a flag or input given explicitly wins over the
// file (a list given so replaces the file's list).
type PullRequest struct {
	// Pos is where the block starts.
	Pos Pos
	// TitleTemplate, BodyTemplate and CommitMessageTemplate replace the default texts
	// (--title-template, --body-template, --commit-message-template). Each has been
	// parsed (package tmpl); the fields it reads are checked by package promote, which
	// owns them.
	TitleTemplate, BodyTemplate, CommitMessageTemplate *Setting[string]
	// Milestone is the number of the milestone new pull requests are put in (--milestone).
	Milestone *Setting[int]
	// DeleteBranch deletes the tool's branches of the pull requests it closes
	// (--delete-branch).
	DeleteBranch *Setting[bool]
	// Draft opens pull requests as drafts (--draft).
	Draft *Setting[bool]
	// Labels, Reviewers, TeamReviewers and Assignees decorate new pull requests (--label,
	// --reviewer, --team-reviewer, --assignee). Reviewers and assignees are logins
	// without "@"; team reviewers are slugs, without the organisation.
	Labels, Reviewers, TeamReviewers, Assignees *Setting[[]string]
}

// PullRequestTemplates are the keys of pullRequest: that hold templates, in the order
// they are checked.
var PullRequestTemplates = []string{"titleTemplate", "bodyTemplate", "commitMessageTemplate"}

// Template returns the template setting of key (one of PullRequestTemplates), or nil.
func (p *PullRequest) Template(key string) *Setting[string] {
	if p == nil {
		return nil
	}
	switch key {
	case "titleTemplate":
		return p.TitleTemplate
	case "bodyTemplate":
		return p.BodyTemplate
	case "commitMessageTemplate":
		return p.CommitMessageTemplate
	}
	return nil
}
