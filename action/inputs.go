// Package action adapts chart-promoter to GitHub Actions: it reads the step's inputs and
// the event that started the workflow, and reports a promotion as outputs, a step summary
// and annotations.
package action

import (
	"errors"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// Names of the inputs, exactly as action.yml declares them.
const (
	inChart            = "chart"
	inConstraint       = "constraint"
	inConfig           = "config"
	inPaths            = "paths"
	inExclude          = "exclude"
	inToken            = "token"
	inRepository       = "repository"
	inBase             = "base"
	inGroupBy          = "group-by"
	inCommitVia        = "commit-via"
	inLabels           = "labels"
	inReviewers        = "reviewers"
	inTeamReviewers    = "team-reviewers"
	inAssignees        = "assignees"
	inDraft            = "draft"
	inAutoMerge        = "auto-merge"
	inDryRun           = "dry-run"
	inSignOff          = "sign-off"
	inAuthorName       = "author-name"
	inAuthorEmail      = "author-email"
	inBranchPrefix     = "branch-prefix"
	inWorkingDirectory = "working-directory"
	inMirrors          = "mirrors"
	inPlainHTTP        = "plain-http"
	inCAFile           = "ca-file"
	inRegistryUsername = "registry-username"
	inRegistryPassword = "registry-password"
	inRegistryHost     = "registry-host"
	inAPIURL           = "github-api-url"
	inWaitForVersion   = "wait-for-version"
	inRender           = "render"
	inKubeVersion      = "kube-version"
	inAPIVersions      = "api-versions"
)

// InputNames lists every input ReadInputs reads; action.yml must declare exactly these.
func InputNames() []string {
	return []string{
		inChart, inConstraint, inConfig, inPaths, inExclude, inToken, inRepository, inBase,
		inGroupBy, inCommitVia, inLabels, inReviewers, inTeamReviewers, inAssignees,
		inDraft, inAutoMerge, inDryRun, inSignOff, inAuthorName, inAuthorEmail,
		inBranchPrefix, inWorkingDirectory, inMirrors, inPlainHTTP, inCAFile,
		inRegistryUsername, inRegistryPassword, inRegistryHost, inAPIURL, inWaitForVersion,
		inRender, inKubeVersion, inAPIVersions,
	}
}

// Defaults that action.yml documents; ReadInputs applies them when an input is empty, so
// the binary behaves the same when run outside the metadata file (tests, `docker run`).
const (
	DefaultBranchPrefix   = "chart-promoter/"
	DefaultAPIURL         = "https://api.github.com"
	DefaultWaitForVersion = 2 * time.Minute
	defaultBase           = "main"
)

// Inputs are the step's settings, validated.
type Inputs struct {
	// Chart limits the run to these chart repositories, normalised (host/path/name).
	Chart []string
	// Constraint is the policy where neither a manifest nor a config rule sets one ("" means "*").
	Constraint string
	// Config is the repository config file's path, relative to the workspace; "" means
	// chart-promoter.yaml in WorkingDirectory, else in .github/.
	Config string
	// Paths and Exclude are the glob patterns of the files to read.
	Paths, Exclude []string
	// Token authenticates Git pushes and GitHub API calls.
	Token string
	// Repository is the GitOps repository, "owner/name".
	Repository string
	// Base is the branch pull requests target; "" when Repository is not the workflow's
	// repository and no base was given: ask GitHub for its default branch.
	Base string
	// GroupBy decides which changes share a pull request.
	GroupBy promote.Grouping
	// CommitVia is how the commit is made: locally with git, or through the GitHub API.
	CommitVia promote.CommitVia
	// Labels, Reviewers, TeamReviewers and Assignees decorate every pull request.
	Labels, Reviewers, TeamReviewers, Assignees []string
	// Draft opens pull requests as drafts.
	Draft bool
	// AutoMerge is "", "merge", "squash" or "rebase".
	AutoMerge string
	// DryRun plans and reports without touching Git or GitHub.
	DryRun bool
	// SignOff adds a Signed-off-by trailer (DCO).
	SignOff bool
	// AuthorName and AuthorEmail sign the commit; both empty means github-actions[bot].
	AuthorName, AuthorEmail string
	// BranchPrefix starts every promotion branch name.
	BranchPrefix string
	// WorkingDirectory is the tree to scan, relative to the repository root, slash-separated.
	WorkingDirectory string
	// Mirrors are "HOST[/PATH]=TARGET" redirections of registry reads.
	Mirrors []string
	// PlainHTTP talks HTTP to registries; CAFile adds trusted CA certificates.
	PlainHTTP bool
	CAFile    string
	// RegistryUsername and RegistryPassword are explicit registry credentials, given only
	// to RegistryHosts (default: the hosts of the charts the run is about).
	RegistryUsername, RegistryPassword string
	RegistryHosts                      []string
	// APIURL is the GitHub REST API root.
	APIURL string
	// WaitForVersion is how long to wait for the event's version to show in the registry's
	// tag list, which can lag the push that triggered the workflow.
	WaitForVersion time.Duration
	// Render shows in each pull request what the new chart version changes in the
	// cluster (on unless render is false); KubeVersion and APIVersions are what charts are
	// rendered for where an Application does not say.
	Render      bool
	KubeVersion string
	APIVersions []string
}

// ReadInputs reads and validates the step's inputs. Secrets are masked before anything
// else is read, so that no later message can print them. Every invalid input is
// reported, one per line.
func ReadInputs(a *githubactions.Action) (Inputs, error) {
	var in Inputs
	in.Token = readSecret(a, inToken)
	in.RegistryPassword = readSecret(a, inRegistryPassword)

	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	boolean := func(name string) bool {
		b, err := parseBool(name, a.GetInput(name))
		check(err)
		return b
	}

	for _, ref := range list(a.GetInput(inChart)) {
		norm, err := manifest.NormalizeChart(ref)
		check(prefixed(inChart, err))
		in.Chart = append(in.Chart, norm)
	}
	in.Constraint = a.GetInput(inConstraint)
	in.Config = a.GetInput(inConfig)
	_, err := version.ParseConstraint(in.Constraint)
	check(err)
	in.Paths, err = globs(inPaths, a.GetInput(inPaths))
	check(err)
	in.Exclude, err = globs(inExclude, a.GetInput(inExclude))
	check(err)

	in.DryRun = boolean(inDryRun)
	if in.Token == "" && !in.DryRun {
		check(errors.New("token is empty: pass `token: ${{ secrets.GITHUB_TOKEN }}` (the default) or a token that may push and open pull requests, or set `dry-run: true`"))
	}
	in.Repository = firstNonEmpty(a.GetInput(inRepository), a.Getenv("GITHUB_REPOSITORY"))
	check(checkRepository(in.Repository))
	in.Base = base(a, in.Repository)

	in.GroupBy, err = promote.ParseGrouping(a.GetInput(inGroupBy))
	check(err)
	in.CommitVia, err = promote.ParseCommitVia(a.GetInput(inCommitVia))
	check(err)

	in.Labels = list(a.GetInput(inLabels))
	in.Reviewers = users(list(a.GetInput(inReviewers)))
	in.TeamReviewers = teams(list(a.GetInput(inTeamReviewers)))
	in.Assignees = users(list(a.GetInput(inAssignees)))
	in.Draft = boolean(inDraft)
	in.AutoMerge = strings.ToLower(a.GetInput(inAutoMerge))
	switch in.AutoMerge {
	case "", "merge", "squash", "rebase":
	default:
		check(&promote.InputError{Input: inAutoMerge, Value: in.AutoMerge, Want: `"merge", "squash" or "rebase", or leave it empty`})
	}
	in.SignOff = boolean(inSignOff)
	in.AuthorName, in.AuthorEmail = a.GetInput(inAuthorName), a.GetInput(inAuthorEmail)
	check(checkAuthor(in.AuthorName, in.AuthorEmail))
	in.BranchPrefix = firstNonEmpty(a.GetInput(inBranchPrefix), DefaultBranchPrefix)
	check(checkBranchPrefix(in.BranchPrefix))
	in.WorkingDirectory, err = workingDirectory(a.GetInput(inWorkingDirectory))
	check(err)

	in.Mirrors = list(a.GetInput(inMirrors))
	for _, m := range in.Mirrors {
		_, err := registry.ParseMirror(m)
		check(prefixed(inMirrors, err))
	}
	in.PlainHTTP = boolean(inPlainHTTP)
	in.CAFile = a.GetInput(inCAFile)
	in.RegistryUsername = a.GetInput(inRegistryUsername)
	if (in.RegistryUsername == "") != (in.RegistryPassword == "") {
		check(errors.New("registry-username and registry-password go together: set both, or neither to use the runner's docker and Helm logins"))
	}
	in.RegistryHosts = list(a.GetInput(inRegistryHost))

	in.APIURL = firstNonEmpty(a.GetInput(inAPIURL), a.Getenv("GITHUB_API_URL"), DefaultAPIURL)
	check(checkAPIURL(in.APIURL))
	in.WaitForVersion, err = waitDuration(a.GetInput(inWaitForVersion))
	check(err)
	in.Render = a.GetInput(inRender) == "" || boolean(inRender)
	in.KubeVersion = a.GetInput(inKubeVersion)
	in.APIVersions = list(a.GetInput(inAPIVersions))

	return in, errors.Join(errs...)
}

// readSecret reads an input and masks it at once. A multi-line secret (a JSON key file)
// is also masked line by line, because the runner matches log lines one at a time; lines
// too short to be secret ("{", "}") are left alone so that they do not blank the log.
func readSecret(a *githubactions.Action, name string) string {
	v := a.GetInput(name)
	if v == "" {
		return ""
	}
	a.AddMask(v)
	if strings.ContainsAny(v, "\r\n") {
		for _, line := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' }) {
			if line = strings.TrimSpace(line); len(line) >= 4 {
				a.AddMask(line)
			}
		}
	}
	return v
}
