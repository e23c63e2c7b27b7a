package action

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/render"
	"github.com/chart-promoter/chart-promoter/internal/report"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// Exit statuses of the step, the same as the CLI's.
const (
	ExitOK     = 0
	ExitFailed = 1 // a file, chart or pull request failed; the rest was still done
	ExitUsage  = 2 // the inputs or the event are wrong; nothing was done
)

// Run is the step: read the inputs and the event, plan, propose pull requests, then write
// annotations, the step summary and the outputs. It returns the exit status.
func Run(ctx context.Context, a *githubactions.Action, userAgent string) int {
	in, err := ReadInputs(a)
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			a.Errorf("%s", line)
		}
		return ExitUsage
	}
	cfg, ok := loadConfig(a, in)
	if ok {
		maskStageTokens(a, cfg)
	}
	if !ok {
		return ExitUsage
	}
	origins, settingWarnings := in.ApplyConfig(cfg)
	logSettings(a, origins)
	trig, err := ReadTrigger(a.Getenv("GITHUB_EVENT_NAME"), a.Getenv("GITHUB_EVENT_PATH"))
	if err != nil {
		a.Errorf("%v", err)
		return ExitUsage
	}
	a.Infof("chart-promoter: %s", trig.Source)

	finish := func(res *promote.Result) int {
		a.AddStepSummary(Summary(res, trig))
		if err := WriteOutputs(a, res); err != nil {
			a.Errorf("write outputs: %v", err)
			return ExitFailed
		}
		if res.Failed() {
			return ExitFailed
		}
		return ExitOK
	}
	if trig.Ignore != "" {
		a.Noticef("%s", trig.Ignore)
		return finish(&promote.Result{})
	}
	if _, ok := in.Charts(trig); !ok {
		a.Noticef("%s is not among the charts this step promotes (input chart); nothing to do", trig.Chart)
		return finish(&promote.Result{})
	}

	creds, err := in.CredentialOptions(trig)
	if err != nil {
		a.Errorf("%s", describe(err))
		return ExitUsage
	}
	store, err := registry.CredentialStore(creds)
	if err != nil {
		a.Errorf("%s", describe(err))
		return ExitUsage
	}
	// The client's own warnings (plain-http, insecure-skip-tls-verify, a credential helper
	// that is not installed) reach the plan's warnings, and so the annotations.
	reg, err := registry.New(append(in.RegistryOptions(), registry.WithCredentials(store), registry.WithUserAgent(userAgent))...)
	if err != nil {
		a.Errorf("%s", describe(err))
		return ExitUsage
	}

	if trig.Chart != "" && trig.Version != "" && in.WaitForVersion > 0 {
		a.Group("Wait for " + trig.Chart + ":" + trig.Version)
		err := waitForVersion(ctx, reg, trig.Chart, trig.Version, in.WaitForVersion, a)
		a.EndGroup()
		if err != nil {
			a.Errorf("%v", err)
			return finish(&promote.Result{Plan: &promote.Plan{Errors: []promote.Error{{Chart: trig.Chart, Message: err.Error()}}}})
		}
	}

	opts := in.ProposeOptions(trig)
	opts.Plan.Registry = reg
	opts.Plan.Config = cfg
	opts.Plan.Stages.Getenv = a.Getenv
	opts.Plan.Warnings = settingWarnings
	var deps promote.Deps
	var releases render.Releases // release notes links need the GitHub API
	if !in.DryRun {
		d, gh, err := promote.Connect(in.WorkingDirectory, in.Token, in.APIURL, userAgent)
		if err != nil {
			a.Errorf("%s", describe(err))
			return ExitUsage
		}
		deps = d
		releases = gh
		if err := promote.ResolveBase(ctx, &opts, gh); err != nil {
			a.Errorf("%v", err)
			return ExitUsage
		}
	}
	deps.Log = a
	opts.Plan.Render = in.RenderOptions(reg, releases)

	a.Group("Plan and propose")
	res, err := promote.Propose(ctx, opts, deps)
	if err == nil && in.DryRun {
		// The plan in the log too, not only in the summary: what a dry run is for.
		var b strings.Builder
		report.Text(&b, res.Plan, report.TextOptions{Diff: true, Verbose: true, Spell: inputSpelling})
		b.WriteString("\n")
		report.Proposals(&b, res, false)
		a.Infof("%s", strings.TrimRight(b.String(), "\n"))
	}
	a.EndGroup()
	if err != nil {
		a.Errorf("%s", describe(err))
		return ExitUsage
	}
	Annotate(a, res.Plan, in.WorkingDirectory)
	for _, f := range res.Plan.Removed {
		a.Infof("removed %s: a temporary file an interrupted chart-promoter run left", f)
	}
	for _, p := range res.Proposals {
		switch {
		case p.Failure():
			a.Errorf("%s: %v", p.Branch, p.Err)
		case p.Action == promote.Held:
			a.Noticef("%s: %v", p.Branch, p.Err)
		case p.Action == promote.Blocked:
			a.Warningf("%v", p.Err)
		}
	}
	return finish(res)
}

// maskStageTokens masks the Argo CD tokens the config's stages read, before anything
// could print one.
func maskStageTokens(a *githubactions.Action, cfg *config.Config) {
	if cfg == nil {
		return
	}
	for _, s := range cfg.Stages {
		if s.ArgoCD == nil {
			continue
		}
		if token := a.Getenv(s.ArgoCD.TokenEnv); token != "" {
			a.AddMask(token)
		}
	}
}

// loadConfig reads the repository config file. Each of its problems becomes an error
// annotation on its line, and the step fails without planning anything.
func loadConfig(a *githubactions.Action, in Inputs) (*config.Config, bool) {
	cfg, err := config.Load(in.WorkingDirectory, in.Config)
	if err == nil {
		err = promote.CheckConfig(cfg) // the templates' fields too, before anything is read
	}
	var errs config.Errors
	switch {
	case err == nil:
		if cfg != nil {
			a.Infof("chart-promoter: config %s, %d rule(s)", cfg.File, len(cfg.Rules))
		}
		return cfg, true
	case errors.As(err, &errs):
		for _, e := range errs {
			fields := map[string]string{"title": annotationTitle, "file": filepath.ToSlash(e.File)}
			if e.Pos.Line > 0 {
				fields["line"] = strconv.Itoa(e.Pos.Line)
				if e.Pos.Column > 0 {
					fields["col"] = strconv.Itoa(e.Pos.Column)
				}
			}
			msg := e.Message
			if e.Path != "" {
				msg = e.Path + ": " + msg
			}
			a.WithFieldsMap(fields).Errorf("%s", msg)
		}
	default:
		a.Errorf("%v", err)
	}
	return nil, false
}

// logSettings says, in a group of the log, where each render and pull request setting
// comes from: an input, the config file's line, or the default.
func logSettings(a *githubactions.Action, origins []promote.SettingOrigin) {
	a.Group("Settings")
	for _, o := range origins {
		a.Infof("%s: %s (%s)", o.Key, o.Value, o.From)
	}
	a.EndGroup()
}

// waitForVersion checks, with a HEAD of its manifest, that the version the event named is
// visible, retrying with backoff up to limit: registries have been seen to answer for a
// tag a little after the push that announced it. Either spelling of build metadata works.
func waitForVersion(ctx context.Context, reg *registry.Client, chart, ver string, limit time.Duration, a *githubactions.Action) error {
	tag := version.TagSpelling(ver)
	deadline := time.Now().Add(limit)
	delay := time.Second
	for attempt := 1; ; attempt++ {
		ok, err := reg.Exists(ctx, chart, tag)
		if ok {
			a.Infof("%s:%s is visible", chart, tag)
			return nil
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			if err == nil {
				err = errors.New("not found")
			}
			return fmt.Errorf("%s:%s is still not visible after %s (%v): check the chart and version the event names, or raise wait-for-version", chart, tag, limit, err)
		}
		// The last wait is cut to the deadline, so that the final check is made at the
		// limit rather than a whole backoff step before it.
		wait := min(delay, remaining)
		a.Infof("%s:%s not visible yet (attempt %d); retrying in %s", chart, tag, attempt, wait.Round(100*time.Millisecond))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		delay = min(delay*2, 15*time.Second)
	}
}
