// Package action adapts chart-promoter to GitHub Actions: it reads the step's inputs and
// the event that started the workflow, and reports a promotion as outputs, a step summary
// and annotations.
package action

import (
	"cmp"
	"errors"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/render"
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
	inInsecure         = "insecure-skip-tls-verify"
	inCertFile         = "cert-file"
	inKeyFile          = "key-file"
	inMilestone        = "milestone"
	inDeleteBranch     = "delete-branch"
	inCommitTemplate   = "commit-message-template"
	inTitleTemplate    = "title-template"
	inBodyTemplate     = "body-template"
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
		inInsecure, inCertFile, inKeyFile, inMilestone, inDeleteBranch,
		inCommitTemplate, inTitleTemplate, inBodyTemplate,
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
	// PlainHTTP talks HTTP to registries; CAFile adds trusted CA certificates;
	// InsecureSkipTLSVerify accepts any certificate; CertFile and KeyFile are a client
	// certificate for registries that ask for one.
	PlainHTTP             bool
	CAFile                string
	InsecureSkipTLSVerify bool
	CertFile, KeyFile     string
	// RegistryUsername and RegistryPassword are explicit registry credentials, given only
	// to RegistryHosts (default: the hosts of the charts the run is about).
	RegistryUsername, RegistryPassword string
	RegistryHosts                      []string
	// APIURL is the GitHub REST API root.
	APIURL string
	// WaitForVersion is how long to wait for the event's version to show in the registry's
	// tag list, which can lag the push that triggered the workflow.
	WaitForVersion time.Duration
	// Milestone is the number of the milestone new pull requests get, 0 for none.
	Milestone int
	// DeleteBranch deletes the tool's branches of the promotion pull requests it closes
	// as superseded and of those closed unmerged.
	DeleteBranch bool
	// Templates replace the default commit message, pull request title and body.
	Templates promote.Templates
	// Render shows in each pull request what the new chart version changes in the
	// cluster (on unless render is false); KubeVersion and APIVersions are what charts are
	// rendered for where an Application does not say.
	Render      bool
	KubeVersion string
	APIVersions []string
	// RenderTimeout and RenderMaxBytes bound one Application's rendering; only the
	// config file's render: block sets them.
	RenderTimeout  time.Duration
	RenderMaxBytes int

	// explicit are the inputs given, of those the config file can set too: they win
	// over the file (ApplyConfig). nil when none is.
	explicit map[string]bool
}

// fileSettable are the inputs whose settings the config file's render: and pullRequest:
// blocks can give too.
var fileSettable = []string{
	inRender, inKubeVersion, inAPIVersions, inMilestone, inDeleteBranch, inDraft,
	inCommitTemplate, inTitleTemplate, inBodyTemplate, inLabels, inReviewers, inTeamReviewers, inAssignees,
}

// ReadInputs reads and validates the step's inputs. Secrets are masked before anything
// else is read, so that no later message can print them. Every invalid input is
// reported, one per line, with the settings spelt as inputs.
func ReadInputs(a *githubactions.Action) (Inputs, error) {
	in, err := readInputs(a)
	return in, worded(err)
}

func readInputs(a *githubactions.Action) (Inputs, error) {
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
	// booleanOr reads an input whose default (in action.yml) is def.
	booleanOr := func(name string, def bool) bool {
		if a.GetInput(name) == "" {
			return def
		}
		return boolean(name)
	}

	for _, ref := range list(a.GetInput(inChart)) {
		norm, err := manifest.NormalizeChart(ref)
		if err != nil {
			check(&promote.InputError{Input: inChart, Err: err})
		}
		in.Chart = append(in.Chart, norm)
	}
	in.Constraint = a.GetInput(inConstraint)
	in.Config = a.GetInput(inConfig)
	_, err := version.ParseConstraint(in.Constraint)
	check(err)
	in.Paths, err = globs("include", a.GetInput(inPaths))
	check(err)
	in.Exclude, err = globs("exclude", a.GetInput(inExclude))
	check(err)

	in.DryRun = boolean(inDryRun)
	if in.Token == "" && !in.DryRun {
		check(errors.New("token is empty: pass `token: ${{ secrets.GITHUB_TOKEN }}` (the default) or a token that may push and open pull requests, or set `dry-run: true`"))
	}
	in.Repository = cmp.Or(a.GetInput(inRepository), a.Getenv("GITHUB_REPOSITORY"))
	if in.Repository == "" {
		check(errors.New("repository is empty: set `repository: owner/name` (GITHUB_REPOSITORY is unset outside GitHub Actions)"))
	}
	in.Base = base(a, in.Repository)

	// The promotion's settings are checked by the builder the CLI uses too.
	s := promote.Settings{
		Repository: in.Repository, Base: in.Base,
		GroupBy: a.GetInput(inGroupBy), CommitVia: a.GetInput(inCommitVia), BranchPrefix: a.GetInput(inBranchPrefix),
		AuthorName: a.GetInput(inAuthorName), AuthorEmail: a.GetInput(inAuthorEmail), SignOff: boolean(inSignOff),
		Labels: list(a.GetInput(inLabels)), Reviewers: users(list(a.GetInput(inReviewers))),
		TeamReviewers: teams(list(a.GetInput(inTeamReviewers))), Assignees: users(list(a.GetInput(inAssignees))),
		Draft: boolean(inDraft), AutoMerge: a.GetInput(inAutoMerge), Milestone: a.GetInput(inMilestone),
		DeleteBranch:          booleanOr(inDeleteBranch, true),
		CommitMessageTemplate: a.GetInput(inCommitTemplate), TitleTemplate: a.GetInput(inTitleTemplate), BodyTemplate: a.GetInput(inBodyTemplate),
		DryRun: in.DryRun,
	}
	opts, err := s.ProposeOptions(promote.Options{})
	if in.Repository == "" {
		err = dropInput(err, inRepository) // said above, more helpfully
	}
	check(err)
	in.GroupBy, in.CommitVia, in.BranchPrefix = opts.GroupBy, opts.CommitVia, opts.BranchPrefix
	in.Labels, in.Reviewers, in.TeamReviewers, in.Assignees = s.Labels, s.Reviewers, s.TeamReviewers, s.Assignees
	in.Draft, in.AutoMerge, in.SignOff = s.Draft, opts.PullRequest.AutoMerge, s.SignOff
	in.AuthorName, in.AuthorEmail = s.AuthorName, s.AuthorEmail
	in.Milestone, in.DeleteBranch, in.Templates = opts.PullRequest.Milestone, s.DeleteBranch, opts.Templates

	in.WorkingDirectory, err = workingDirectory(a.GetInput(inWorkingDirectory))
	check(err)

	in.Mirrors = list(a.GetInput(inMirrors))
	for _, m := range in.Mirrors {
		_, err := registry.ParseMirror(m)
		check(err)
	}
	in.PlainHTTP = boolean(inPlainHTTP)
	in.CAFile = a.GetInput(inCAFile)
	in.InsecureSkipTLSVerify = boolean(inInsecure)
	in.CertFile, in.KeyFile = a.GetInput(inCertFile), a.GetInput(inKeyFile)
	if (in.CertFile == "") != (in.KeyFile == "") {
		check(&promote.InputError{Input: inCertFile, Pair: inKeyFile, Want: "set both (a PEM certificate and its key), or neither"})
	}
	in.RegistryUsername = a.GetInput(inRegistryUsername)
	if (in.RegistryUsername == "") != (in.RegistryPassword == "") {
		check(errors.New("registry-username and registry-password go together: set both, or neither to use the runner's docker and Helm logins"))
	}
	in.RegistryHosts = list(a.GetInput(inRegistryHost))

	in.APIURL = cmp.Or(a.GetInput(inAPIURL), a.Getenv("GITHUB_API_URL"), DefaultAPIURL)
	check(checkAPIURL(in.APIURL))
	in.WaitForVersion, err = waitDuration(a.GetInput(inWaitForVersion))
	check(err)
	in.Render = a.GetInput(inRender) == "" || boolean(inRender)
	in.KubeVersion = a.GetInput(inKubeVersion)
	if in.KubeVersion != "" {
		if _, err := version.KubeVersion(in.KubeVersion); err != nil {
			check(&promote.InputError{Input: inKubeVersion, Err: err})
		}
	}
	in.APIVersions = list(a.GetInput(inAPIVersions))
	in.RenderTimeout, in.RenderMaxBytes = render.DefaultTimeout, render.DefaultMaxRenderedBytes

	// An input left empty (action.yml gives these no default) leaves the setting to the
	// config file; one given wins over it.
	for _, name := range fileSettable {
		if a.GetInput(name) != "" {
			if in.explicit == nil {
				in.explicit = map[string]bool{}
			}
			in.explicit[name] = true
		}
	}

	return in, errors.Join(errs...)
}

// dropInput removes from err, a join of errors, the InputErrors about input.
func dropInput(err error, input string) error {
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return err
	}
	var kept []error
	for _, e := range joined.Unwrap() {
		var ie *promote.InputError
		if errors.As(e, &ie) && ie.Input == input {
			continue
		}
		kept = append(kept, e)
	}
	return errors.Join(kept...)
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
