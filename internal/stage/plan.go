package stage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/chart-promoter/chart-promoter/internal/argocd"
	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// Git is what the planner needs of the checkout: the history of a file on the base
// branch, and more of it when the clone is too shallow. *gitrepo.Repo has both.
type Git interface {
	History
	// Deepen fetches branch with depth commits of history.
	Deepen(ctx context.Context, branch string, depth int) error
}

// deepenSteps are the depths a too-shallow clone is deepened to, one after the other,
// before the planner gives up: most soak times are answered by the first.
var deepenSteps = []int{100, 1000, 10000}

// Options configure a Planner.
type Options struct {
	// Config holds the stages.
	Config *config.Config
	// Git reads the base branch's history; Base is the commit the history starts from (the
	// commit the plan scanned) and Branch the base branch, deepened when the clone is
	// shallow ("" when it cannot be).
	Git    Git
	Base   plumbing.Hash
	Branch string
	// RepoPath maps a path relative to the scanned directory to one relative to the
	// repository root, where the history is; nil leaves paths as they are.
	RepoPath func(string) string
	// Now is the clock the soak time is measured against.
	Now func() time.Time
	// Getenv reads the variables the Argo CD gates' tokenEnv name.
	Getenv func(string) string
	// ArgoCD makes the client of an Argo CD gate; nil means argocd.New.
	ArgoCD func(server, token string) (*argocd.Client, error)
}

// Planner decides, for each source of a downstream stage, the version it may take. It
// keeps what it reads (histories, Argo CD Applications) for the run, so that upstreams
// shared by many downstream sources are read once. It is not safe for concurrent use.
type Planner struct {
	opts     Options
	members  map[string][]*config.Stage // by source key
	byStage  map[string][]manifest.Source
	runs     map[string]cachedRuns
	apps     map[string]cachedApp
	gates    map[string]*HealthGate
	gateErrs map[string]error
	deepened int // how many of deepenSteps have been fetched
}

type cachedRuns struct {
	runs   []Run
	stopAt *version.Version
	err    error
}

type cachedApp struct {
	health Health
	err    error
}

// NewPlanner returns a planner over sources, every chart source the plan discovered: the
// downstream sources it decides for and the upstream sources they follow.
func NewPlanner(opts Options, sources []manifest.Source) *Planner {
	if opts.RepoPath == nil {
		opts.RepoPath = func(p string) string { return p }
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p := &Planner{opts: opts, members: map[string][]*config.Stage{}, byStage: map[string][]manifest.Source{},
		runs: map[string]cachedRuns{}, apps: map[string]cachedApp{}, gates: map[string]*HealthGate{}, gateErrs: map[string]error{}}
	for _, src := range sources {
		stages := opts.Config.StagesOf(target(src))
		p.members[key(src)] = stages
		if len(stages) == 1 {
			p.byStage[stages[0].Name] = append(p.byStage[stages[0].Name], src)
		}
	}
	return p
}

func target(src manifest.Source) config.Target {
	return config.Target{Chart: src.Chart, Application: src.Application, ApplicationSet: src.ApplicationSet, File: src.File}
}

// key identifies a source within a run.
func key(src manifest.Source) string {
	return src.File + "\x00" + src.Location.Path + "\x00" + src.Chart + "\x00" + src.Application
}

// StageOf returns the stage src is in: nil for a source in no stage, and an error for
// one the applications globs of several stages select.
func (p *Planner) StageOf(src manifest.Source) (*config.Stage, error) {
	stages, ok := p.members[key(src)]
	if !ok {
		stages = p.opts.Config.StagesOf(target(src))
	}
	switch len(stages) {
	case 0:
		return nil, nil
	case 1:
		return stages[0], nil
	}
	names := make([]string, len(stages))
	for i, s := range stages {
		names[i] = s.Name
	}
	return nil, fmt.Errorf("%s is in stages %s at once (their applications globs both match it): make the globs of %s select each Application once",
		describe(src), strings.Join(names, " and "), p.opts.Config.Name)
}

// UpstreamRun is what one upstream source runs of the decided version.
type UpstreamRun struct {
	// Application and File name the upstream source.
	Application, File string
	// Version is the version as the upstream's manifest spells it.
	Version string
	// Since is when the upstream's run of the version began (its commit's committer time,
	// or Argo CD's deployment time when that is later).
	Since time.Time
}

// Held is a version a downstream source waits for, and why.
type Held struct {
	// Version is the version held back.
	Version version.Version
	// Gate is soak (not run long enough upstream) or argocd (the upstream is not Synced
	// and Healthy).
	Gate string
	// Reason says why, in a sentence a reviewer can act on.
	Reason string
	// Until is when the version becomes eligible, when that is known.
	Until *time.Time
}

// Result is what a downstream source may take.
type Result struct {
	// Stage is the source's stage.
	Stage *config.Stage
	// Version is the version every upstream has run for the soak time, not newer than any
	// runs now; nil when there is none.
	Version *version.Version
	// Upstreams say, per upstream source, since when it runs Version.
	Upstreams []UpstreamRun
	// Held are the newer versions the upstreams run that the source waits for.
	Held []Held
	// From are the upstream Applications the source follows.
	From []string
	// Reason says why there is no Version.
	Reason string
}

// Decide returns what the downstream source src, in stage s (from StageOf), may take. An
// error is Git or Argo CD failing to answer: never a pass.
func (p *Planner) Decide(ctx context.Context, s *config.Stage, src manifest.Source, current version.Version) (Result, error) {
	res := Result{Stage: s}
	ups := p.upstreams(s, src)
	if len(ups) == 0 {
		res.Reason = p.noUpstream(s, src)
		return res, nil
	}
	histories := make([]Upstream, 0, len(ups))
	var unhealthy []Held
	for _, u := range ups {
		res.From = append(res.From, u.Application)
	}
	for _, u := range ups {
		runs, err := p.readRuns(ctx, u, current)
		if err != nil {
			return res, err
		}
		up := Upstream{Application: u.Application, File: u.File, Runs: runs}
		cur, ok := up.Current()
		if !ok {
			// The field as the upstream's kind of file names it: targetRevision, version.
			field := u.Location.Path[strings.LastIndex(u.Location.Path, ".")+1:]
			res.Reason = fmt.Sprintf("%s in stage %s does not pin a version on the base branch (%s %q), so %s has nothing to follow", describe(u), s.From, field, u.Revision, s.Name)
			return res, nil
		}
		if s.ArgoCD != nil {
			h, err := p.health(ctx, s, u, cur.Version.Tag)
			if err != nil {
				return res, err
			}
			if !h.DeployedAt.IsZero() && h.DeployedAt.After(cur.Start) {
				// Argo CD deployed it after the commit: the soak counts from the deployment.
				up.Runs = append([]Run{{Version: cur.Version, Start: h.DeployedAt}}, runs[1:]...)
			}
			if !h.Ready {
				unhealthy = append(unhealthy, Held{Version: cur.Version, Gate: "argocd",
					Reason: fmt.Sprintf("%s; %s takes nothing from %s until it is", h.Reason, s.Name, u.Application) + readiness(s.ArgoCD)})
			}
		}
		histories = append(histories, up)
	}
	now := p.opts.Now()
	d := Decide(histories, s.Soak, now)
	res.Held = append(pendingHolds(s, histories, d, now), unhealthy...)
	if len(unhealthy) > 0 {
		// The upstream is not running well now: nothing moves, whatever has soaked.
		res.Reason = unhealthy[0].Reason
		return res, nil
	}
	if d.Version == nil {
		res.Reason = p.nothingSoaked(s, histories)
		return res, nil
	}
	res.Version = d.Version
	for i, u := range histories {
		run := u.eligible(s.Soak, now)[d.Version.SemVer.String()]
		res.Upstreams = append(res.Upstreams, UpstreamRun{Application: u.Application, File: u.File, Version: run.Version.Tag, Since: d.Since[i]})
	}
	return res, nil
}

// readiness names what the Argo CD gate waits for.
func readiness(a *config.ArgoCD) string {
	switch {
	case a.RequireSynced && a.RequireHealthy:
		return " Synced and Healthy"
	case a.RequireSynced:
		return " Synced"
	}
	return " Healthy"
}

// upstreams returns the sources src follows in its stage's upstream stage.
func (p *Planner) upstreams(s *config.Stage, src manifest.Source) []manifest.Source {
	var out []manifest.Source
	name, byFile := s.UpstreamName(src.Application, src.File)
	for _, u := range p.byStage[s.From] {
		if u.Chart != src.Chart {
			continue
		}
		if s.Match == config.MatchName {
			if (byFile && u.File != name) || (!byFile && u.Application != name) {
				continue
			}
		}
		out = append(out, u)
	}
	return out
}

func (p *Planner) noUpstream(s *config.Stage, src manifest.Source) string {
	if s.Match == config.MatchName {
		name, byFile := s.UpstreamName(src.Application, src.File)
		what := "Application " + name
		if byFile {
			what = "file " + name
		}
		return fmt.Sprintf("stage %s has no source of %s in %s (match: name): name the upstream Application after this one, or use match: chart", s.From, src.Chart, what)
	}
	return fmt.Sprintf("stage %s has no source of %s to follow: add its Application to the stage's applications, or take this one out of stage %s", s.From, src.Chart, s.Name)
}

// readRuns returns the runs of u's history, reading back at least to stopAt; a clone too
// shallow to answer is deepened step by step.
func (p *Planner) readRuns(ctx context.Context, u manifest.Source, stopAt version.Version) ([]Run, error) {
	k := key(u)
	if c, ok := p.runs[k]; ok && (c.err != nil || covers(c.stopAt, stopAt)) {
		return c.runs, c.err
	}
	file := p.opts.RepoPath(u.File)
	read := SourceVersion(u.File, u.Chart, u.Location.Path)
	for {
		runs, err := ReadRuns(ctx, p.opts.Git, p.opts.Base, file, read, &stopAt)
		var shallow *gitrepo.ShallowError
		switch {
		case errors.As(err, &shallow):
			derr := p.deepen(ctx)
			if derr == nil {
				continue
			}
			err = fmt.Errorf("the soak clock of %s: %w; %v", describe(u), err, derr)
		case err != nil:
			err = fmt.Errorf("the soak clock of %s: read its history: %w", describe(u), err)
		}
		p.runs[k] = cachedRuns{runs: runs, stopAt: &stopAt, err: err}
		return runs, err
	}
}

// covers reports whether history read back to have also reaches want.
func covers(have *version.Version, want version.Version) bool {
	return have != nil && version.Compare(have.SemVer, want.SemVer) <= 0
}

// deepen fetches the next step of history; an error when there is none left to try.
func (p *Planner) deepen(ctx context.Context) error {
	if p.opts.Branch == "" {
		return errors.New("no base branch is known to fetch more of")
	}
	if p.deepened >= len(deepenSteps) {
		return fmt.Errorf("still too shallow after fetching %d commits of %s", deepenSteps[len(deepenSteps)-1], p.opts.Branch)
	}
	depth := deepenSteps[p.deepened]
	p.deepened++
	if err := p.opts.Git.Deepen(ctx, p.opts.Branch, depth); err != nil {
		return fmt.Errorf("fetching more history of %s failed: %v", p.opts.Branch, err)
	}
	return nil
}

// health asks the stage's Argo CD about an upstream, once per Application and revision.
func (p *Planner) health(ctx context.Context, s *config.Stage, u manifest.Source, revision string) (Health, error) {
	gate, err := p.gate(s)
	if err != nil {
		return Health{}, err
	}
	index := sourceIndex(u.Location.Path)
	k := s.ArgoCD.Server + "\x00" + u.Namespace + "/" + u.Application + "\x00" + strconv.Itoa(index) + "\x00" + revision
	if c, ok := p.apps[k]; ok {
		return c.health, c.err
	}
	h, err := gate.Check(ctx, u.Application, u.Namespace, index, revision)
	if err != nil {
		err = fmt.Errorf("stage %s: the Argo CD gate could not read %s: %w", s.Name, describe(u), err)
	}
	p.apps[k] = cachedApp{health: h, err: err}
	return h, err
}

// gate returns the stage's health gate, made once.
func (p *Planner) gate(s *config.Stage) (*HealthGate, error) {
	if g, ok := p.gates[s.Name]; ok {
		return g, nil
	}
	if err, ok := p.gateErrs[s.Name]; ok {
		return nil, err
	}
	a := s.ArgoCD
	getenv := p.opts.Getenv
	token := ""
	if getenv != nil {
		token = getenv(a.TokenEnv)
	}
	var err error
	var client *argocd.Client
	if token == "" {
		err = fmt.Errorf("stage %s: the Argo CD gate's token variable %s is empty: set it from a secret (env: %s: ${{ secrets.… }})", s.Name, a.TokenEnv, a.TokenEnv)
	} else if p.opts.ArgoCD != nil {
		client, err = p.opts.ArgoCD(a.Server, token)
	} else {
		client, err = argocd.New(a.Server, token)
	}
	if err != nil {
		p.gateErrs[s.Name] = err
		return nil, err
	}
	g := &HealthGate{Client: client, RequireHealthy: a.RequireHealthy, RequireSynced: a.RequireSynced}
	p.gates[s.Name] = g
	return g, nil
}

// sourceIndex is the index of a source of a multi-source Application, read from the YAML
// path of its targetRevision ("spec.sources[1].targetRevision" is 1); 0 otherwise.
func sourceIndex(path string) int {
	_, rest, ok := strings.Cut(path, "sources[")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(rest[:strings.IndexByte(rest+"]", ']')])
	if err != nil {
		return 0
	}
	return n
}

// pendingHolds turns the versions the upstreams run that have not soaked yet into holds,
// with the time the downstream gets each when every upstream runs it.
func pendingHolds(s *config.Stage, ups []Upstream, d Decision, now time.Time) []Held {
	type pending struct {
		v     version.Version
		until time.Time
		by    int
	}
	byVersion := map[string]*pending{}
	var order []string
	for _, pd := range d.Pending {
		k := pd.Version.SemVer.String()
		if byVersion[k] == nil {
			byVersion[k] = &pending{v: pd.Version}
			order = append(order, k)
		}
		if pd.Until.After(byVersion[k].until) {
			byVersion[k].until, byVersion[k].by = pd.Until, pd.Upstream
		}
	}
	sort.Slice(order, func(i, j int) bool {
		return version.Compare(byVersion[order[i]].v.SemVer, byVersion[order[j]].v.SemVer) > 0
	})
	var out []Held
	for _, k := range order {
		pd := byVersion[k]
		u := ups[pd.by]
		cur, _ := u.Current()
		h := Held{Version: pd.v, Gate: "soak"}
		// Every upstream must run it: one that runs another version holds it with no date.
		var elsewhere []string
		for _, o := range ups {
			if oc, ok := o.Current(); !ok || version.Compare(oc.Version.SemVer, pd.v.SemVer) < 0 {
				elsewhere = append(elsewhere, o.Application+" runs "+oc.Version.Tag)
			}
		}
		ran := fmt.Sprintf("%s has run %s since %s, less than the soak time %s", u.Application, cur.Version.Tag, cur.Start.UTC().Format(time.RFC3339), config.FormatDuration(s.Soak))
		if len(elsewhere) > 0 {
			h.Reason = fmt.Sprintf("%s, and %s: %s gets %s once every upstream in %s has run it for %s", ran, strings.Join(elsewhere, ", "), s.Name, pd.v.Tag, s.From, config.FormatDuration(s.Soak))
		} else {
			until := pd.until
			h.Until = &until
			h.Reason = fmt.Sprintf("%s: %s gets %s at %s", ran, s.Name, pd.v.Tag, until.UTC().Format(time.RFC3339))
		}
		out = append(out, h)
	}
	return out
}

// nothingSoaked says why no version qualifies.
func (p *Planner) nothingSoaked(s *config.Stage, ups []Upstream) string {
	if len(ups) > 1 {
		return fmt.Sprintf("no version has run in every upstream source of stage %s (%d of them) for the soak time %s", s.From, len(ups), config.FormatDuration(s.Soak))
	}
	cur, _ := ups[0].Current()
	return fmt.Sprintf("%s has run %s for less than the soak time %s, and no earlier run on the base branch counts", ups[0].Application, cur.Version.Tag, config.FormatDuration(s.Soak))
}

func describe(src manifest.Source) string {
	if src.Application == "" {
		return src.File
	}
	return src.Application + " (" + src.File + ")"
}
