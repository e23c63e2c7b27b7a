package promote

import (
	"context"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/chart-promoter/chart-promoter/internal/github"
	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
)

// Git is what a promotion needs of the checkout; *gitrepo.Repo provides it.
type Git interface {
	Fetch(ctx context.Context, branches ...string) error
	RemoteBranch(ctx context.Context, branch string) (plumbing.Hash, bool, error)
	RemoteBranches(ctx context.Context, prefix string) (map[string]plumbing.Hash, error)
	ReadFile(commit plumbing.Hash, path string) ([]byte, error)
	Commit(commit plumbing.Hash) (*gitrepo.Commit, error)
	CommitChanges(parent plumbing.Hash, files map[string][]byte, removed []string, message string, author, committer gitrepo.Signature) (plumbing.Hash, error)
	Push(ctx context.Context, branch string, commit, expected plumbing.Hash) error
	DeleteBranch(ctx context.Context, branch string, expected plumbing.Hash) error
}

// GitHub is what a promotion needs of the GitHub API, bound to the one repository it
// proposes to; *github.Repository provides it, and testenv.FakeGitHub serves it in tests.
type GitHub interface {
	ListPullRequests(ctx context.Context, opt github.ListOptions) ([]*github.PullRequest, error)
	CreatePullRequest(ctx context.Context, pr github.NewPullRequest) (*github.PullRequest, bool, error)
	UpdatePullRequest(ctx context.Context, number int, title, body string) (*github.PullRequest, error)
	ClosePullRequest(ctx context.Context, number int) error
	Comment(ctx context.Context, number int, body string) error
	ListComments(ctx context.Context, number int) ([]github.Comment, error)
	AddLabels(ctx context.Context, number int, labels []string) error
	RequestReviewers(ctx context.Context, number int, users, teams []string) error
	AddAssignees(ctx context.Context, number int, users []string) error
	SetMilestone(ctx context.Context, number, milestone int) error
	EnableAutoMerge(ctx context.Context, nodeID, method string) error
	CreateCommitChanges(ctx context.Context, parentSHA string, files map[string][]byte, removed []string, message string) (string, error)
	UpdateRef(ctx context.Context, branch, sha, expected string) error
	// RateLimit is what GitHub's latest answer said of the REST API's rate limit.
	RateLimit() (remaining int, reset time.Time, known bool)
}

// Logger receives progress for people: the CLI prints it, the Action groups it.
type Logger interface {
	Infof(format string, args ...any)
	Warningf(format string, args ...any)
}

// Deps are the outside world a promotion talks to.
type Deps struct {
	Git    Git
	GitHub GitHub
	Log    Logger
	// RepoPath maps a path relative to the plan's directory to one relative to the
	// repository root (the checkout may be scanned from a subdirectory).
	RepoPath func(string) string

	// client is the unbound client Connect made; Propose binds it to the repository.
	client *github.Client
}

type discard struct{}

func (discard) Infof(string, ...any) {}

func (discard) Warningf(string, ...any) {}
