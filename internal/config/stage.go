package config

import (
	"strings"
	"time"
)

// Registry is the from: of a stage that takes its versions from the registry, as a stage
// without stages would.
const Registry = "registry"

// Match says how a downstream source finds its upstream sources.
type Match string

// The values of match.
const (
	// MatchChart takes every source of the same chart in the upstream stage (the default).
	MatchChart Match = "chart"
	// MatchName takes the source of the same chart whose Application name (or, when the
	// name does not contain the stage's name, whose file path) is the downstream's with
	// the stage's name replaced by the upstream's.
	MatchName Match = "name"
)

// Stage is one item of stages:, an environment versions are promoted along.
type Stage struct {
	// Index is the stage's place in stages:, from 0.
	Index int
	// Pos is where the stage starts.
	Pos Pos
	// Name is the stage's name.
	Name string
	// Applications are the Application name or file path globs that put a source in the stage.
	Applications []Pattern
	// From is Registry or the name of an earlier stage, the upstream.
	From string
	// Soak is how long every upstream must have run a version before this stage takes it.
	Soak time.Duration
	// Match is how a source finds its upstream sources; MatchChart by default.
	Match Match
	// ArgoCD is the health gate on the upstream; nil when the stage has none.
	ArgoCD *ArgoCD
}

// Upstream reports whether the stage takes its versions from another stage.
func (s *Stage) Upstream() bool { return s.From != Registry }

// Matches reports whether the stage's applications globs select t.
func (s *Stage) Matches(t Target) bool {
	_, ok := firstMatch(s.Applications, t)
	return ok
}

// UpstreamName returns what match: name looks for in the upstream stage: the downstream's
// Application name with the stage's name replaced by the upstream's, or, when the name
// does not contain the stage's name, its file path so replaced. byFile says which.
func (s *Stage) UpstreamName(application, file string) (name string, byFile bool) {
	if strings.Contains(application, s.Name) {
		return strings.ReplaceAll(application, s.Name, s.From), false
	}
	return strings.ReplaceAll(file, s.Name, s.From), true
}

// ArgoCD is a stage's argocd: block: the Argo CD API server that runs the upstream stage,
// asked whether each upstream Application really runs the version.
type ArgoCD struct {
	// Pos is where the block is written.
	Pos Pos
	// Server is the API server's URL.
	Server string
	// TokenEnv names the environment variable that holds the token.
	TokenEnv string
	// RequireHealthy and RequireSynced hold a version until the upstream is Healthy, and
	// Synced at the revision the base branch names; both true by default.
	RequireHealthy, RequireSynced bool
}

// StagesOf returns the stages whose applications globs select t, in file order: one for
// a source in a stage, none for a source outside every stage, and more than one for a
// source the globs of several stages select (which the planner reports).
func (c *Config) StagesOf(t Target) []*Stage {
	if c == nil {
		return nil
	}
	var out []*Stage
	for i := range c.Stages {
		if c.Stages[i].Matches(t) {
			out = append(out, &c.Stages[i])
		}
	}
	return out
}

// Stage returns the stage named name, or nil.
func (c *Config) Stage(name string) *Stage {
	if c == nil {
		return nil
	}
	for i := range c.Stages {
		if c.Stages[i].Name == name {
			return &c.Stages[i]
		}
	}
	return nil
}

// DefaultMaxNewPullRequestsPerRun is how many pull requests one run opens at most when
// the config does not say: enough for a day's releases, few enough that a first run on a
// large, outdated fleet does not bury its reviewers.
const DefaultMaxNewPullRequestsPerRun = 20

// Limits are the bounds on the pull requests a run opens; 0 means no limit.
type Limits struct {
	// MaxOpen bounds the tool's open promotion pull requests in the repository.
	MaxOpen int
	// MaxNewPerRun bounds the pull requests one run opens.
	MaxNewPerRun int
}

// Limits returns the file's limits, with the defaults for what it leaves out; a nil
// Config has the defaults.
func (c *Config) Limits() Limits {
	l := Limits{MaxNewPerRun: DefaultMaxNewPullRequestsPerRun}
	if c == nil {
		return l
	}
	if c.MaxOpenPullRequests != nil {
		l.MaxOpen = c.MaxOpenPullRequests.Value
	}
	if c.MaxNewPullRequestsPerRun != nil {
		l.MaxNewPerRun = c.MaxNewPullRequestsPerRun.Value
	}
	return l
}
