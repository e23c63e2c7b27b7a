package promote

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/promote/gate"
	"github.com/chart-promoter/chart-promoter/internal/stage"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// StageOptions say where the soak clock of stages (see package stage) reads the base
// branch's history. The zero value opens the Git checkout that holds the plan's directory
// and starts at its HEAD.
type StageOptions struct {
	// Git reads the history; nil opens the checkout of Options.Dir.
	Git stage.Git
	// Base is the commit the history starts from; zero means the checkout's HEAD, the
	// commit the plan scanned.
	Base plumbing.Hash
	// BaseBranch is the branch a shallow clone is deepened along; "" means the branch
	// checked out (none on a detached HEAD: the clone is then not deepened).
	BaseBranch string
	// RepoPath maps a path relative to Options.Dir to one relative to the repository
	// root; nil asks the checkout Git opens.
	RepoPath func(string) string
	// Getenv reads the variables the Argo CD gates' tokenEnv name; nil means os.Getenv.
	Getenv func(string) string
}

// Upstream is what an upstream source runs of the version a downstream change takes. The
// JSON names are a contract ("upstream" in plan --json).
type Upstream struct {
	Application string `json:"application"`
	File        string `json:"file"`
	Version     string `json:"version"`
	// Since is when the upstream's run of the version began.
	Since time.Time `json:"since"`
}

// stageDecision is what a downstream candidate takes, and why.
type stageDecision struct {
	stage.Result
}

// stages returns the planner of the config's stages over the discovered sources, or nil
// when the config has none. An error says why the history cannot be read: every source
// of a downstream stage fails with it (the planner still says which those are).
func (o Options) stages(sources []manifest.Source, now func() time.Time) (*stage.Planner, error) {
	downstream := false
	if o.Config != nil {
		for _, s := range o.Config.Stages {
			downstream = downstream || s.Upstream()
		}
	}
	if o.Config == nil || len(o.Config.Stages) == 0 {
		return nil, nil
	}
	so := o.Stages
	sopts := stage.Options{Config: o.Config, Git: so.Git, Base: so.Base, Branch: so.BaseBranch, RepoPath: so.RepoPath, Now: now, Getenv: so.Getenv}
	if sopts.Getenv == nil {
		sopts.Getenv = os.Getenv
	}
	if !downstream {
		return stage.NewPlanner(sopts, sources), nil
	}
	if sopts.Git == nil || sopts.Base.IsZero() || sopts.RepoPath == nil {
		repo, err := gitrepo.Open(o.Dir)
		if err != nil {
			return stage.NewPlanner(sopts, sources), fmt.Errorf("stages read the base branch's history, and %s is not in a Git checkout: %w", o.Dir, err)
		}
		if sopts.Git == nil {
			sopts.Git = repo
			if sopts.Branch == "" {
				if sopts.Branch, err = repo.HeadBranch(); err != nil {
					return stage.NewPlanner(sopts, sources), err
				}
			}
		}
		if sopts.Base.IsZero() {
			if sopts.Base, err = repo.Head(); err != nil {
				return stage.NewPlanner(sopts, sources), err
			}
		}
		if sopts.RepoPath == nil {
			sopts.RepoPath = repo.RelToRoot
		}
	}
	return stage.NewPlanner(sopts, sources), nil
}

// stage decides the candidate of a source in a downstream stage: the one version it may
// take (c.only), or a skip or an error that says why there is none. A source in no stage,
// or in a stage that takes from the registry, is returned as it is.
func (p *Plan) stageCandidate(ctx context.Context, sp *stage.Planner, perr error, c candidate) (candidate, *Skip, *Error) {
	src := c.src
	fail := func(err error) (candidate, *Skip, *Error) {
		return c, nil, &Error{File: src.File, Line: src.Location.Line, Chart: src.Chart, Message: err.Error()}
	}
	if sp == nil {
		return c, nil, nil
	}
	s, err := sp.StageOf(src)
	switch {
	case err != nil:
		return fail(err)
	case s == nil || !s.Upstream():
		return c, nil, nil
	case perr != nil:
		return fail(perr)
	}
	res, err := sp.Decide(ctx, s, src, c.current)
	if err != nil {
		return fail(err)
	}
	d := &stageDecision{Result: res}
	p.noteWaiting(src, d)
	if res.Version == nil {
		held := d.holds(src)
		reason := res.Reason
		if len(held) > 0 {
			reason += heldSummary(held, false)
		}
		return c, &Skip{File: src.File, Line: src.Location.Line, Application: src.Application, Chart: src.Chart, Reason: reason, Held: held, Stage: s.Name}, nil
	}
	c.stage, c.only = d, res.Version
	c.group += "\x00only " + res.Version.SemVer.String()
	return c, nil, nil
}

// waiting is a version a downstream source waits for, as the pull requests of its
// upstreams tell reviewers: "production gets 1.4.2 at 2026-12-03T10:00:00Z".
type waiting struct {
	// Stage and Application are the downstream; Upstreams the Applications it follows.
	Stage, Application string
	Upstreams          []string
	Held               stage.Held
}

// String says when the downstream gets the version.
func (w waiting) String() string {
	v := w.Held.Version.Tag
	switch {
	case w.Held.Gate != "soak":
		return fmt.Sprintf("%s (%s) waits for %s: %s", w.Stage, w.Application, v, w.Held.Reason)
	case w.Held.Until != nil:
		return fmt.Sprintf("%s gets %s at %s (%s)", w.Stage, v, w.Held.Until.UTC().Format(time.RFC3339), w.Application)
	}
	return fmt.Sprintf("%s gets %s once every upstream has run it for the soak time (%s)", w.Stage, v, w.Application)
}

// noteWaiting records what the decision for src waits for.
func (p *Plan) noteWaiting(src manifest.Source, d *stageDecision) {
	for _, h := range d.Held {
		p.waiting = append(p.waiting, waiting{Stage: d.Stage.Name, Application: src.Application, Upstreams: d.From, Held: h})
	}
}

// waitingOn returns what downstream sources wait for of the Applications changes move:
// the lines a pull request of their upstream shows, once each.
func (p *Plan) waitingOn(changes []Change) []string {
	apps := map[string]bool{}
	for _, c := range changes {
		apps[c.Application] = true
	}
	var out []string
	for _, w := range p.waiting {
		for _, u := range w.Upstreams {
			if apps[u] {
				if line := w.String(); !slices.Contains(out, line) {
					out = append(out, line)
				}
				break
			}
		}
	}
	return out
}

// holds are the decision's held versions as the gates' held lists spell them, in the
// source's spelling of versions.
func (d *stageDecision) holds(src manifest.Source) []gate.Hold {
	var out []gate.Hold
	for _, h := range d.Held {
		out = append(out, gate.Hold{Version: spell(h.Version, src.Form), Gate: h.Gate, Reason: h.Reason, Until: h.Until, Tag: version.TagSpelling(h.Version.Tag)})
	}
	return out
}

// upstream is the upstream the change reports: the one whose run of the version began
// last, which made the downstream wait longest.
func (d *stageDecision) upstream() (*Upstream, []Upstream) {
	var all []Upstream
	var last *Upstream
	for _, u := range d.Upstreams {
		all = append(all, Upstream{Application: u.Application, File: u.File, Version: u.Version, Since: u.Since.UTC()})
	}
	for i := range all {
		if last == nil || all[i].Since.After(last.Since) {
			last = &all[i]
		}
	}
	if len(all) < 2 {
		all = nil
	}
	return last, all
}

// spell writes v as a source of form f writes versions.
func spell(v version.Version, f manifest.Form) string {
	v.Tag = version.TagSpelling(v.Tag)
	return v.Spell(f.Spelling())
}

// decideStaged is decide for a downstream candidate: the change to the stage's version
// with its upstream, or a skip that says why the stage's version is not taken.
func decideStaged(c candidate, r *resolution) (*Change, *Skip, *Error) {
	change, skip, perr := decide(c, r)
	d, src := c.stage, c.src
	if perr != nil {
		return nil, nil, perr
	}
	holds := d.holds(src)
	name, from := d.Stage.Name, d.Stage.From
	if change != nil {
		change.Stage = name
		change.Upstream, change.Upstreams = d.upstream()
		change.Held = append(change.Held, holds...)
		return change, nil, nil
	}
	v := *d.Version
	want := spell(v, src.Form)
	up, _ := d.upstream()
	runs := fmt.Sprintf("%s, which %s (%s) has run since %s", want, from, up.Application, up.Since.Format(time.RFC3339))
	switch {
	case !c.constraint.Allows(v):
		skip.Reason = fmt.Sprintf("the constraint %s (set by %s) excludes %s: %s stays at %s", c.constraint, src.ConstraintOrigin, runs, name, src.Revision)
		skip.UpToDate = false
	case skip.UpToDate:
		skip.Reason = fmt.Sprintf("up to date: %s is the newest version %s has run for the soak time %s", src.Revision, from, config.FormatDuration(d.Stage.Soak))
	case version.Compare(v.SemVer, c.current.SemVer) < 0:
		skip.Reason = fmt.Sprintf("%s runs %s, newer than %s: never downgraded", name, src.Revision, runs)
	case len(skip.Held) > 0:
		skip.Reason = fmt.Sprintf("%s, does not pass the gates of %s", runs, name) + heldSummary(skip.Held, false)
	default:
		skip.Reason = fmt.Sprintf("%s, is not a chart version in the registry (%d tags): check that %s's chart and %s's are the same", runs, r.tagCount, from, name)
	}
	if len(holds) > 0 {
		skip.Reason += "; waiting: " + strings.TrimPrefix(heldSummary(holds, false), "; held: ")
	}
	skip.Held = append(skip.Held, holds...)
	skip.Stage = name
	return nil, skip, nil
}
