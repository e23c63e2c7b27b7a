// Package promote is the flow from manifests to edits: discover the chart sources, resolve
// the newest version each one's policy allows, and plan, preview and apply the edits. It
// knows nothing of the CLI or the GitHub Action that drive it.
package promote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/promote/gate"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/render"
	"github.com/chart-promoter/chart-promoter/internal/verify"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// Registry is what planning needs from a registry client.
type Registry interface {
	// Tags lists every tag of a chart repository (host/path/name).
	Tags(ctx context.Context, chart string) ([]string, error)
	// Chart confirms that chart:tag is a Helm chart and reads its digest and metadata; the
	// error wraps registry.ErrNotChart when the tag holds something else. It also takes a
	// digest for tag.
	Chart(ctx context.Context, chart, tag string) (registry.ChartVersion, error)
	// Open gives the gates read access to a repository: a HEAD of a version an open pull
	// request proposes, the signatures a verify policy checks.
	verify.Stores
}

// Options configure a plan.
type Options struct {
	// Dir is the working tree to scan.
	Dir string
	// Include and Exclude are glob patterns for the files to read (see manifest.Glob).
	Include, Exclude []string
	// Charts limits the plan to these chart repositories (any spelling NormalizeChart takes).
	Charts []string
	// DefaultConstraint applies where neither a manifest nor a config rule sets a
	// constraint; "" means "*".
	DefaultConstraint string
	// Config is the repository's chart-promoter.yaml; nil when it has none.
	Config *config.Config
	// Concurrency bounds the registry reads (a tag list, or a manifest with its config) in
	// flight to each registry host; 0 means DefaultConcurrency, at most MaxConcurrency.
	Concurrency int
	// Registry reads tags and charts.
	Registry Registry
	// Render, when set, renders every change's chart at both versions for reviewers
	// (see RenderOptions); nil renders nothing and downloads no chart.
	Render *RenderOptions
	// Policy returns a source's gate policy (minimum release age, signature verification).
	// A nil Policy, or a zero GatePolicy, gates on nothing but "is it a Helm chart".
	Policy func(src manifest.Source) GatePolicy
	// Known are the chart versions open pull requests propose, with the digests their
	// markers recorded: such a version is confirmed with a HEAD instead of a manifest GET,
	// and a tag that now holds another digest is an error for its chart (the re-push
	// alarm). Propose fills it from the open pull requests; nil knows of none.
	Known map[gate.TagRef][]gate.Known
	// Now is the run's clock: the age gate's, the stages' soak clock, and the time
	// Chart.lock files record as generated; nil means time.Now.
	Now func() time.Time
	// Stages say where the soak clock of the config's stages reads the history.
	Stages StageOptions
	// Warnings are about settings the adapters found to do nothing before planning (a
	// config key without effect, see RenderSettings.ApplyConfig); the plan reports them
	// first among its own.
	Warnings []Warning
}

// DefaultConcurrency is how many registry reads are in flight to one registry host at
// most, by default. Registries serve HTTP/2, whose streams share one connection, and
// answer in tens of milliseconds: 64 keeps a run of hundreds of repositories from
// waiting on round trips, and stays under the 100 concurrent streams HTTP/2 servers
// commonly allow per connection.
const DefaultConcurrency = 64

// MaxConcurrency caps Options.Concurrency: past the 250 streams Go's HTTP/2 server (and so
// Distribution) allows on a connection, more reads only open more connections, and a
// registry that rate-limits counts them all.
const MaxConcurrency = 256

// Plan is what a run would do: the changes, what it passed over and why, and what failed.
type Plan struct {
	// Dir is the scanned directory.
	Dir string `json:"-"`
	// Changes are the edits, sorted by file and line.
	Changes []Change `json:"changes"`
	// Skipped are sources and files passed over on purpose, with reasons.
	Skipped []Skip `json:"skipped"`
	// Errors are the failures: each names its file or chart and what to do.
	Errors []Error `json:"errors"`
	// Warnings are settings that did nothing in this run (a config rule, a --chart or a
	// glob that matches nothing) and risks the user took (see Warning); they do not fail it.
	Warnings []Warning `json:"warnings"`
	// Files are the edited files, before and after, in the order of Changes.
	Files []FileEdit `json:"-"`
	// Removed are temporary files an interrupted run had left in the tree, which this run
	// removed (relative to Dir).
	Removed []string `json:"removed,omitempty"`
	// Archives are the vendored chart archives the plan adds and removes, beside Files.
	Archives []ArchiveFile `json:"-"`

	// digests are the SHA-256 of every file with a source, as discovery read it.
	digests map[string][sha256.Size]byte
	// revisions are the targetRevisions of the sources planned, by file and YAML path,
	// as discovery read them: what the base branch runs.
	revisions map[string]string
	// waiting are the versions downstream stages wait for.
	waiting []waiting
}

// digest returns the SHA-256 of file as the plan read it.
func (p *Plan) digest(file string) [sha256.Size]byte { return p.digests[file] }

// Change is one targetRevision to move. The JSON names of the first nine fields are a
// contract that users' pipelines read.
type Change struct {
	File        string `json:"file"`
	Line        int    `json:"line"`
	Application string `json:"application"`
	Kind        string `json:"kind"`
	Chart       string `json:"chart"`
	From        string `json:"from"`
	To          string `json:"to"`
	Digest      string `json:"digest"`
	Constraint  string `json:"constraint"`

	// Column and Path place the value precisely ("spec.sources[1].targetRevision").
	Column int    `json:"column"`
	Path   string `json:"path"`
	// Tag is the registry tag of To (differs from To by '_' for '+' on Helm-OCI sources).
	Tag string `json:"tag"`
	// ConstraintOrigin says which setting chose the constraint.
	ConstraintOrigin string `json:"constraintOrigin"`
	// ApplicationSet names the generating ApplicationSet, if any.
	ApplicationSet string `json:"applicationSet,omitempty"`
	Namespace      string `json:"namespace,omitempty"`
	Destination    string `json:"destination,omitempty"`
	// Form is how the source names its chart: helm-oci or oci.
	Form string `json:"form"`
	// Metadata is the chart's Chart.yaml of the new version.
	Metadata registry.Metadata `json:"metadata"`
	// Warnings are things a reviewer should know about the source.
	Warnings []string `json:"warnings,omitempty"`
	// Render is the reviewer's view of what the new version changes in the cluster, when
	// rendering is on.
	Render *render.Result `json:"render,omitempty"`
	// Held are the newer versions the gates passed over, newest first (contract).
	Held []gate.Hold `json:"held,omitempty"`
	// Verification is what the source's verify policy established about To (contract).
	Verification *verify.Result `json:"verification,omitempty"`
	// Stage is the downstream stage whose version the change takes, "" for a source in no
	// stage or in one that takes from the registry (contract).
	Stage string `json:"stage,omitempty"`
	// Upstream is the upstream source the stage's version comes from, the one whose run
	// of it began last (contract); Upstreams lists every one when there are several.
	Upstream  *Upstream  `json:"upstream,omitempty"`
	Upstreams []Upstream `json:"upstreams,omitempty"`
	// Update is set where a rule's separateMajor splits a source's update in two: "major"
	// for the update to a new major version, proposed on its own branch, and "minor" for
	// the newest version of the current major beside it. apply and the plan's diff make
	// the major one; promote proposes both.
	Update string `json:"update,omitempty"`
	// Owner names what the source belongs to: "Application webapp", "kustomization
	// envs/prod", "chart platform".
	Owner string `json:"owner"`
	// Pin is "digest" when To is the manifest digest of ToVersion (pin: digest); then
	// FromVersion is the version From stands for.
	Pin         string `json:"pin,omitempty"`
	FromVersion string `json:"fromVersion,omitempty"`
	ToVersion   string `json:"toVersion,omitempty"`
	// Range is a Helm chart's version range in Chart.yaml, kept as it is: only LockFile
	// moves. LockFile is the chart's Chart.lock, whose digest is recomputed.
	Range    string `json:"range,omitempty"`
	LockFile string `json:"lockFile,omitempty"`
	// StaleArchive is the vendored charts/NAME-VERSION.tgz of From, which the change leaves
	// stale until helm dependency build runs again.
	StaleArchive string `json:"staleArchive,omitempty"`
	// Archives is the vendored archive the change replaces, when a rule's
	// replaceVendoredArchives asks for it (contract).
	Archives *ArchiveReplacement `json:"archives,omitempty"`
	// DeployedBy names the Applications whose Git source points at the directory of a
	// kustomization or a Helm chart: what syncs the change.
	DeployedBy []string `json:"deployedBy,omitempty"`

	edit manifest.Edit
	// dependency is the source as discovery read it when it is a Helm chart's dependency,
	// which is moved from it (with its Chart.lock); nil for any other source.
	dependency *manifest.Source
	// sourcePath and elementPath place the source's Helm settings for rendering.
	sourcePath, elementPath string
	// recorded is what the marker records of To beyond its digest, shared by the changes
	// to one version.
	recorded *recorded
	// vendored is the archive of To that replaces the vendored archive of From, once
	// downloaded and checked; nil when the change replaces none.
	vendored *vendoredArchive
}

// Skip is a source or file passed over on purpose.
type Skip struct {
	File        string `json:"file"`
	Line        int    `json:"line,omitempty"`
	Application string `json:"application,omitempty"`
	Chart       string `json:"chart,omitempty"`
	Reason      string `json:"reason"`
	// UpToDate marks a source already at the newest version its policy allows: nothing to
	// do, as opposed to something passed over.
	UpToDate bool `json:"upToDate,omitempty"`
	// Held are the versions newer than the source's that the gates passed over (contract),
	// and those a downstream stage waits for (gates soak and argocd).
	Held []gate.Hold `json:"held,omitempty"`
	// Stage is the downstream stage of the source, "" outside one.
	Stage string `json:"stage,omitempty"`
}

// Error is a failure of one file or one chart; the rest of the run goes on. It is an
// error, so code that handles one failure can pass it on as it is.
type Error struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Chart   string `json:"chart,omitempty"`
	Message string `json:"message"`
	// Repushed is set when the error is a re-pushed tag: one an open pull request proposes,
	// now holding other content.
	Repushed *Repushed `json:"repushed,omitempty"`
}

// Repushed is a tag that holds another digest than an open pull request recorded.
type Repushed struct {
	Tag string `json:"tag"`
	// Recorded is the digest the pull request proposed; Found the one the tag holds now.
	Recorded    string `json:"recorded"`
	Found       string `json:"found"`
	PullRequest int    `json:"pullRequest"`
	Branch      string `json:"branch"`
}

// Error formats the failure for a terminal: "file:line: message" or "chart: message".
func (e Error) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message)
	case e.File != "":
		return e.File + ": " + e.Message
	case e.Chart != "":
		return e.Chart + ": " + e.Message
	}
	return e.Message
}

// FileEdit is one file's content before and after the plan's edits.
type FileEdit struct {
	File          string
	Before, After []byte
	digest        [sha256.Size]byte
	// edits are what turns Before into After; bundle names the files written together
	// with this one (a chart's Chart.yaml and Chart.lock), "" for none.
	edits  []manifest.Edit
	bundle string
}

// candidate is a source that may move, with what its policy allows.
type candidate struct {
	src        manifest.Source
	current    version.Version
	constraint *version.Constraint
	// unranged is the constraint without a Helm chart's range, to tell a reviewer what the
	// range holds back; nil when there is no range.
	unranged *version.Constraint
	// rules is what the config file says about the source (age, verification…).
	rules config.Resolved
	// policy is the source's gate policy, nil when it gates on nothing but "is it a chart".
	policy *GatePolicy
	// group names the sources of one chart that get one answer: one constraint, one
	// policy, one stage version, one major.
	group string
	// only, for a source in a downstream stage, is the one version it may take; stage is
	// the stage's decision.
	only  *version.Version
	stage *stageDecision
	// withinMajor restricts the candidate to its current major version: the minor half
	// of an update separateMajor splits.
	withinMajor bool
}

// Make builds the plan: it reads the manifests, resolves every chart once and previews
// every edit. It changes nothing on disk.
func Make(ctx context.Context, opts Options) (*Plan, error) {
	include, err := manifest.CompileGlobs(opts.Include)
	if err != nil {
		return nil, &InputError{Input: "include", Err: err}
	}
	exclude, err := manifest.CompileGlobs(opts.Exclude)
	if err != nil {
		return nil, &InputError{Input: "exclude", Err: err}
	}
	onlyCharts := map[string]bool{}
	var only []string
	for _, c := range opts.Charts {
		norm, err := manifest.NormalizeChart(c)
		if err != nil {
			return nil, &InputError{Input: "chart", Err: err}
		}
		if !onlyCharts[norm] {
			only = append(only, norm)
		}
		onlyCharts[norm] = true
	}
	if _, err := version.ParseConstraint(opts.DefaultConstraint); err != nil {
		return nil, &InputError{Input: "constraint", Err: err}
	}
	if opts.Concurrency < 0 || opts.Concurrency > MaxConcurrency {
		return nil, &InputError{Input: "concurrency", Value: strconv.Itoa(opts.Concurrency), Want: fmt.Sprintf("1 to %d reads in flight per registry host", MaxConcurrency)}
	}

	// A run about some charts parses only the files that name one of them.
	var mentioning []string
	for chart := range onlyCharts {
		mentioning = append(mentioning, path.Base(chart))
	}
	// The registry reads start while the files are still being read (see pipeline).
	reads := newPipeline(ctx, opts.Registry, opts.Concurrency, knownByChart(opts.Known), opts.Config == nil || len(opts.Config.Stages) == 0)
	defer reads.stop()
	early := func(sources []manifest.Source) {
		for _, src := range sources {
			if len(onlyCharts) > 0 && !onlyCharts[src.Chart] {
				continue
			}
			// The gates' policy does not change which version a walk reads first.
			if c, skip, perr := assess(src, opts.DefaultConstraint, opts.Config.For(configTarget(src)), nil, reads.memo); skip == nil && perr == nil {
				reads.add(c)
			}
		}
	}
	discovery := discoverOptions{dir: opts.Dir, options: manifest.Options{Include: include, Exclude: exclude, Mentioning: mentioning, Found: early}}
	found, err := manifest.Discover(ctx, discovery.dir, discovery.options)
	if err != nil {
		return nil, err
	}
	reads.discovered()
	plan := &Plan{Dir: opts.Dir, Changes: []Change{}, Skipped: []Skip{}, Errors: []Error{}, Removed: found.Removed, Warnings: append(append([]Warning{}, opts.Warnings...), globWarnings(found)...)}
	plan.Warnings = append(plan.Warnings, unusedCharts(ctx, discovery, only, found)...)
	for _, p := range found.Problems {
		if len(onlyCharts) > 0 && p.Chart != "" && !onlyCharts[p.Chart] {
			continue // a source of another chart: not this run's business
		}
		plan.Errors = append(plan.Errors, Error{File: p.File, Line: p.Line, Chart: p.Chart, Message: p.Message})
	}
	for _, s := range found.Skipped {
		if len(onlyCharts) > 0 && s.Chart != "" && !onlyCharts[s.Chart] {
			continue
		}
		plan.Skipped = append(plan.Skipped, Skip{File: s.File, Line: s.Line, Application: s.Application, Chart: s.Chart, Reason: s.Reason})
	}

	byChart := map[string][]candidate{}
	var rules []config.Rule
	if opts.Config != nil {
		rules = opts.Config.Rules
	}
	matched := make([]bool, len(rules))
	vendors := make([]bool, len(rules)) // the rule applies to a Helm chart's dependency
	// The gates a source's rules ask for, unless the caller decides them itself.
	var gates *trust
	if opts.Policy == nil && opts.Config != nil {
		if gates, err = newTrust(opts.Config); err != nil {
			return nil, err
		}
	}
	plan.revisions = make(map[string]string, len(found.Sources))
	for _, src := range found.Sources {
		if len(onlyCharts) > 0 && !onlyCharts[src.Chart] {
			continue
		}
		plan.revisions[src.File+"\x00"+src.Location.Path] = src.Revision
		policy := opts.Config.For(configTarget(src))
		for _, m := range policy.Rules {
			matched[m.Origin.Rule] = matched[m.Origin.Rule] || m.Applies
			vendors[m.Origin.Rule] = vendors[m.Origin.Rule] || m.Applies && src.Dependency != nil
		}
		policyOf := opts.Policy
		if gates != nil {
			policyOf = func(manifest.Source) GatePolicy { return gates.gatePolicy(policy) }
		}
		if c, skip, perr := assess(src, opts.DefaultConstraint, policy, policyOf, reads.memo); !plan.record(skip, perr) {
			byChart[src.Chart] = append(byChart[src.Chart], c)
		}
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	// Stages decide, from Git, the one version each downstream source may take; the
	// registry is then asked about that version only.
	stages, stagesErr := opts.stages(found.Sources, now)
	for chart, cands := range byChart {
		kept := make([]candidate, 0, len(cands))
		for _, c := range cands {
			c, skip, perr := plan.stageCandidate(ctx, stages, stagesErr, c)
			if plan.record(skip, perr) {
				continue
			}
			kept = append(kept, c)
			if c.stage == nil && c.rules.SeparateMajor.Value {
				minor := c
				minor.withinMajor = true
				minor.group += fmt.Sprintf("\x00major %d", c.current.SemVer.Major())
				kept = append(kept, minor)
			}
		}
		if len(kept) == 0 {
			delete(byChart, chart)
			continue
		}
		byChart[chart] = kept
	}
	if len(onlyCharts) == 0 {
		// Only a scan of every chart sees every source a rule could be meant for.
		for i, used := range matched {
			r := rules[i]
			switch {
			case !used:
				plan.Warnings = append(plan.Warnings, Warning{File: opts.Config.Name, Line: r.Pos.Line,
					Message: fmt.Sprintf("rules[%d] matches none of the %d chart sources found: check its charts and applications globs (chart-promoter explain shows what each source matched)", i, len(found.Sources))})
			case r.ReplaceVendoredArchives != nil && r.ReplaceVendoredArchives.Value && !vendors[i]:
				plan.Warnings = append(plan.Warnings, Warning{File: opts.Config.Name, Line: r.ReplaceVendoredArchives.Pos.Line,
					Message: fmt.Sprintf("rules[%d] sets replaceVendoredArchives, but none of the sources it matches is a Helm chart's dependency, the only kind that vendors archives: it does nothing", i)})
			}
		}
	}

	resolved := resolveAll(ctx, reads, byChart, resolveOptions{limits: reads.limits, memo: reads.memo, known: reads.known, now: now})
	reads.stop() // what it read early is used up
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if w, ok := opts.Registry.(warner); ok {
		for _, msg := range w.Warnings() {
			plan.Warnings = append(plan.Warnings, Warning{Message: msg})
		}
	}
	minors := map[string]*Change{} // the sources under separateMajor, and their minor update
	for _, chart := range slices.Sorted(maps.Keys(byChart)) {
		r := resolved[chart]
		if r.err != nil {
			plan.Errors = append(plan.Errors, chartErrors(chart, r.err, len(byChart[chart]))...)
			continue
		}
		for _, c := range byChart[chart] {
			switch {
			case c.withinMajor:
				// Only a change counts: the whole update's candidate reports the rest.
				change, _, _ := decide(c, r)
				minors[c.src.File+"\x00"+c.src.Location.Path] = change
			case c.stage != nil:
				if change, skip, perr := decideStaged(c, r); !plan.record(skip, perr) {
					plan.Changes = append(plan.Changes, *change)
				}
			default:
				if change, skip, perr := decide(c, r); !plan.record(skip, perr) {
					plan.Changes = append(plan.Changes, *change)
				}
			}
		}
	}
	plan.Changes = splitMajors(plan.Changes, minors)
	plan.digests = found.Files
	plan.dropConflicts()
	plan.nameDeployers(found.Paths)
	// After every gate: only a version that passed them all is downloaded.
	plan.fetchArchives(ctx, opts.Registry)
	plan.preview(found.Files, now())
	plan.sort()
	if opts.Render != nil {
		plan.render(ctx, *opts.Render)
	}
	return plan, nil
}

// record adds a skip or an error to the plan and reports whether there was one.
func (p *Plan) record(skip *Skip, err *Error) bool {
	switch {
	case err != nil:
		p.Errors = append(p.Errors, *err)
	case skip != nil:
		p.Skipped = append(p.Skipped, *skip)
	default:
		return false
	}
	return true
}

// assess decides whether a source can move at all, before any registry is asked. memo
// remembers the constraints parsed (nil: none).
func assess(src manifest.Source, defaultConstraint string, rules config.Resolved, policyOf func(manifest.Source) GatePolicy, memo *version.Memo) (candidate, *Skip, *Error) {
	skip := func(reason string) (candidate, *Skip, *Error) {
		return candidate{}, &Skip{File: src.File, Line: src.Location.Line, Application: src.Application, Chart: src.Chart, Reason: reason}, nil
	}
	if ignored, origin := ignoreFor(src, rules); ignored {
		return skip("ignored by " + origin)
	}
	rev := src.Revision
	if src.DigestVersion != "" {
		rev = src.DigestVersion // a digest pin stands for the version its comment names
	}
	kind := version.Classify(rev)
	if src.Location.Problem != "" && (kind == version.Pin || kind == version.Other) {
		// An alias reads as its anchor's name: the problem says more than "not a version".
		return skip("cannot be edited safely: " + src.Location.Problem)
	}
	if reason := revisionSkip(src.Form, rev, kind); reason != "" {
		return skip(reason)
	}
	if src.Location.Problem != "" {
		return skip("cannot be edited safely: " + src.Location.Problem)
	}
	current, err := version.ParseRevision(rev)
	if err != nil {
		return skip(err.Error())
	}
	text, origin := constraintFor(src, defaultConstraint, rules)
	constraint, err := memo.ParseConstraint(text)
	if err != nil {
		return candidate{}, nil, &Error{File: src.File, Line: src.Location.Line, Chart: src.Chart, Message: fmt.Sprintf("%v, set by %s", err, origin)}
	}
	c := candidate{src: src, current: current, constraint: constraint, rules: rules}
	if src.Dependency != nil && src.Dependency.Range != "" {
		// Helm builds only what the range allows: the lock moves within it.
		c.unranged = constraint
		if c.constraint, origin, err = withinRange(text, origin, src.Dependency.Range); err != nil {
			return candidate{}, nil, &Error{File: src.File, Line: src.Location.Line, Chart: src.Chart, Message: err.Error()}
		}
	}
	src.ConstraintOrigin = origin
	c.src.ConstraintOrigin = origin
	var policy GatePolicy
	if policyOf != nil {
		policy = policyOf(src)
	}
	if err := policy.validate(); err != nil {
		return candidate{}, nil, &Error{File: src.File, Line: src.Location.Line, Chart: src.Chart, Message: "gate policy: " + err.Error()}
	}
	c.group = c.constraint.String()
	if !policy.zero() {
		c.policy, c.group = &policy, c.group+"\x00"+policy.key()
	}
	return c, nil, nil
}

// decide turns a candidate and its group's answer into a change or a skip.
func decide(c candidate, r *resolution) (*Change, *Skip, *Error) {
	src := c.src
	spelling := src.Form.Spelling()
	a := r.answers[c.group]
	if a.err != nil {
		return nil, nil, &Error{File: src.File, Line: src.Location.Line, Chart: src.Chart, Message: a.err.Error()}
	}
	// The held versions that matter to this source are those newer than its own.
	held := heldAbove(a.held, c.current, spelling)
	skip := func(reason string) (*Change, *Skip, *Error) {
		if len(held) > 0 {
			reason += heldSummary(held, a.truncated)
		}
		return nil, &Skip{File: src.File, Line: src.Location.Line, Application: src.Application, Chart: src.Chart, Reason: reason, Held: held}, nil
	}
	best := a.best
	// Held versions newer than the source's mean nothing newer passed: say that, whatever
	// older version the walk ended at.
	nothingNewer := len(held) > 0 && (best == nil || version.Compare(best.version.SemVer, c.current.SemVer) <= 0)
	switch {
	case nothingNewer:
		return skip(fmt.Sprintf("no version newer than %s that %s allows passes every gate", src.Revision, c.constraint))
	case best == nil && c.unranged != nil:
		return skip(fmt.Sprintf("no version in %d tags satisfies %s", r.tagCount, c.constraint) + heldBackByRange(c, r))
	case best == nil:
		return skip(fmt.Sprintf("no version in %d tags satisfies %s", r.tagCount, c.constraint))
	}
	current := src.Revision
	if src.DigestVersion != "" {
		current = src.DigestVersion
	}
	switch cmp := version.Compare(best.version.SemVer, c.current.SemVer); {
	case cmp == 0 && c.unranged != nil:
		if held := heldBackByRange(c, r); held != "" {
			return skip(fmt.Sprintf("%s is the newest version %s allows", current, c.constraint) + held)
		}
		_, s, _ := skip(fmt.Sprintf("up to date: %s is the newest version %s allows", current, c.constraint))
		s.UpToDate = true
		return nil, s, nil
	case cmp == 0:
		_, s, _ := skip(fmt.Sprintf("up to date: %s is the newest version %s allows", current, c.constraint))
		s.UpToDate = true
		return nil, s, nil
	case cmp < 0:
		return skip(fmt.Sprintf("%s is newer than every chart version %s allows (newest %s): never downgraded", current, c.constraint, best.version))
	}
	to := best.version.Spell(spelling)
	change := &Change{
		File:             src.File,
		Line:             src.Location.Line,
		Column:           src.Location.Column,
		Path:             src.Location.Path,
		Application:      src.Application,
		ApplicationSet:   src.ApplicationSet,
		Kind:             src.Kind,
		Namespace:        src.Namespace,
		Destination:      src.Destination,
		Chart:            src.Chart,
		Form:             src.Form.String(),
		From:             src.Revision,
		To:               to,
		Tag:              best.version.Tag,
		Digest:           best.chart.Digest,
		Constraint:       c.constraint.String(),
		ConstraintOrigin: src.ConstraintOrigin,
		Metadata:         best.chart.Metadata,
		Warnings:         src.Warnings,
		Held:             held,
		Verification:     best.verification,
		edit:             manifest.Edit{Location: src.Location, Old: src.Revision, New: to},
		sourcePath:       src.SourcePath,
		elementPath:      src.ElementPath,
		recorded:         best.recorded,
		Owner:            src.Owner(),
	}
	if err := pinAs(change, c, best); err != nil {
		return nil, nil, &Error{File: src.File, Line: src.Location.Line, Chart: src.Chart, Message: err.Error()}
	}
	if d := src.Dependency; d != nil {
		change.dependency = &src
		change.Range, change.LockFile = d.Range, d.LockFile
		if d.Range != "" {
			change.Warnings = append(change.Warnings, "Chart.yaml's range "+d.Range+" allows "+to+": Chart.yaml stays as it is, only "+d.LockFile+" moves")
		}
		switch {
		case d.Archive != "" && c.rules.ReplaceVendoredArchives.Value:
			change.vendored = &vendoredArchive{old: d.Archive, rule: c.rules.ReplaceVendoredArchives.From}
		case d.Archive != "":
			change.StaleArchive = d.Archive
			change.Warnings = append(change.Warnings, d.Archive+" is the vendored archive of "+src.Revision+" and is stale after this change: run helm dependency build and commit charts/, or let chart-promoter replace it: replaceVendoredArchives: true in a config rule")
		}
	}
	return change, nil, nil
}

// heldAbove returns the held versions newer than current, spelled as the source spells
// versions; nil when there are none.
func heldAbove(held []gate.Hold, current version.Version, spelling version.Spelling) []gate.Hold {
	var out []gate.Hold
	for _, h := range held {
		v, err := version.ParseTag(h.Tag)
		if err != nil || version.Compare(v.SemVer, current.SemVer) <= 0 {
			continue
		}
		h.Version = v.Spell(spelling)
		out = append(out, h)
	}
	return out
}

// heldSummary ends a skip's reason with the versions held and why, in brief; the held
// list has the details.
func heldSummary(held []gate.Hold, truncated bool) string {
	parts := make([]string, 0, len(held))
	for _, h := range held {
		parts = append(parts, h.Version+" ("+h.Gate+")")
	}
	out := "; held: " + strings.Join(parts, ", ")
	if truncated {
		out += fmt.Sprintf("; older versions were not checked (the walk stops after %d held versions)", gate.MaxHeld)
	}
	return out
}

// dropConflicts turns into skips the changes that want one value to become two different
// versions (an ApplicationSet template value shared by elements of different charts).
func (p *Plan) dropConflicts() {
	type key struct {
		file   string
		offset int
	}
	targets := map[key]map[string]bool{}
	for _, c := range p.Changes {
		if !c.edits() {
			continue // the minor half of a split update shares its value with the major
		}
		k := key{c.File, c.edit.Location.Offset}
		if targets[k] == nil {
			targets[k] = map[string]bool{}
		}
		targets[k][c.To] = true
	}
	kept := p.Changes[:0]
	for _, c := range p.Changes {
		if t := targets[key{c.File, c.edit.Location.Offset}]; len(t) > 1 {
			p.Skipped = append(p.Skipped, Skip{File: c.File, Line: c.Line, Application: c.Application, Chart: c.Chart,
				Reason: "one targetRevision is shared by sources that resolve to different versions (" + strings.Join(sortedKeys(t), ", ") + "): split the template or pin it by hand"})
			continue
		}
		kept = append(kept, c)
	}
	p.Changes = kept
}

// preview computes every edited file in memory, so a plan shows exactly the bytes apply
// would write.
func (p *Plan) preview(digests map[string][sha256.Size]byte, now time.Time) {
	read := func(file string) ([]byte, error) {
		data, err := os.ReadFile(filepath.Join(p.Dir, filepath.FromSlash(file)))
		if err != nil {
			return nil, err
		}
		if sha256.Sum256(data) != digests[file] {
			return nil, errors.New("the file changed while it was being planned; run again")
		}
		return data, nil
	}
	drop := map[int]bool{}
	fail := func(file string, line int, err error, changes []int) {
		p.Errors = append(p.Errors, Error{File: file, Line: line, Message: fmt.Sprintf("%v (%d change(s) in this file not made)", err, len(changes))})
		for _, i := range changes {
			drop[i] = true
		}
	}
	// The minor half of a split update is proposed on its own branch, not applied.
	files, failures := editsFor(p.Changes, Change.edits, read, now)
	for _, f := range failures {
		fail(f.file, f.line, f.err, f.changes)
	}
	// A chart's Chart.yaml and Chart.lock (and the archives it replaces) stand or fall
	// together.
	failedBundles := map[string]bool{}
	var edited []FileEdit
	var archives []ArchiveFile
	for _, f := range files {
		if len(f.archives) > 0 {
			a, err := p.archiveFiles(f.bundle, f.archives)
			if err != nil {
				fail(f.file, 0, err, f.changes)
				failedBundles[f.bundle] = true
				continue
			}
			archives = append(archives, a...)
			for i, r := range f.replaced {
				p.Changes[i].Archives = r
			}
		}
		before, err := read(f.file)
		var after []byte
		if err == nil {
			// Splice, not Rewrite: the parse that proves an edit is left to Apply, so that a
			// plan of a whole fleet costs one parse per file.
			after, err = manifest.Splice(before, f.edits)
		}
		if err != nil {
			line := 0
			var refused *manifest.RefusedError
			if errors.As(err, &refused) {
				line = refused.Line
			}
			fail(f.file, line, err, f.changes)
			if f.bundle != "" {
				failedBundles[f.bundle] = true
			}
			continue
		}
		if !bytes.Equal(before, after) {
			edited = append(edited, FileEdit{File: f.file, Before: before, After: after, digest: digests[f.file], edits: f.edits, bundle: f.bundle})
		}
	}
	for _, f := range edited {
		if !failedBundles[f.bundle] || f.bundle == "" {
			p.Files = append(p.Files, f)
		}
	}
	for _, a := range archives {
		if !failedBundles[a.bundle] {
			p.Archives = append(p.Archives, a)
		}
	}
	for _, f := range files {
		if failedBundles[f.bundle] && f.bundle != "" {
			for _, i := range f.changes {
				drop[i] = true
			}
		}
	}
	if len(drop) > 0 {
		kept := p.Changes[:0]
		for i, c := range p.Changes {
			if !drop[i] {
				kept = append(kept, c)
			}
		}
		p.Changes = kept
	}
}

func (p *Plan) sort() {
	sort.SliceStable(p.Changes, func(i, j int) bool {
		a, b := p.Changes[i], p.Changes[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	sort.SliceStable(p.Skipped, func(i, j int) bool {
		a, b := p.Skipped[i], p.Skipped[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	sort.SliceStable(p.Errors, func(i, j int) bool {
		a, b := p.Errors[i], p.Errors[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Chart < b.Chart
	})
	sort.SliceStable(p.Files, func(i, j int) bool { return p.Files[i].File < p.Files[j].File })
	sort.SliceStable(p.Archives, func(i, j int) bool { return p.Archives[i].File < p.Archives[j].File })
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }

// SplitSkipped separates the sources passed over from those already up to date.
func (p *Plan) SplitSkipped() (skipped, upToDate []Skip) {
	for _, s := range p.Skipped {
		if s.UpToDate {
			upToDate = append(upToDate, s)
		} else {
			skipped = append(skipped, s)
		}
	}
	return skipped, upToDate
}

// HasErrors reports whether any file or chart failed.
func (p *Plan) HasErrors() bool { return len(p.Errors) > 0 }

// runsAtLeast reports whether the scanned tree already holds, for every change a pull
// request's marker records, its version or a newer one, and not the version it started
// from: the pull request has been overtaken.
func (p *Plan) runsAtLeast(changes []markerChange) bool {
	for _, c := range changes {
		rev, ok := p.revisions[c.File+"\x00"+c.Path]
		if !ok || rev == c.From || !atLeast(rev, c.To) {
			return false
		}
	}
	return len(changes) > 0
}

// revisionsOf lists what the scanned tree holds for a marker's changes ("webapp 2.0.0"),
// once each.
func (p *Plan) revisionsOf(changes []markerChange) []string {
	var out []string
	for _, c := range changes {
		if v := chartName(c.Chart) + " " + p.revisions[c.File+"\x00"+c.Path]; !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// splitMajors marks, under separateMajor, a change to a new major version as the major
// update and adds beside it the newest version of the current major (minors, by file and
// YAML path; nil when there is none), as the minor update. A change within the current
// major stays as it is: the minor candidate found the same version.
func splitMajors(changes []Change, minors map[string]*Change) []Change {
	if len(minors) == 0 {
		return changes
	}
	var added []Change
	for i := range changes {
		c := &changes[i]
		minor, ok := minors[c.File+"\x00"+c.Path]
		if !ok || !newMajor(c.From, c.To) {
			continue
		}
		c.Update = UpdateMajor
		if minor != nil && minor.To != c.To && !newMajor(minor.From, minor.To) {
			m := *minor
			m.Update = UpdateMinor
			added = append(added, m)
		}
	}
	return append(changes, added...)
}

// newMajor reports whether to is of a higher major version than from.
func newMajor(from, to string) bool {
	f, err1 := version.ParseRevision(from)
	t, err2 := version.ParseRevision(to)
	return err1 == nil && err2 == nil && t.SemVer.Major() > f.SemVer.Major()
}

// edits reports whether the plan's diff and apply make the change: every change but the
// minor half of an update separateMajor splits, which only a pull request proposes.
func (c Change) edits() bool { return c.Update != UpdateMinor }
