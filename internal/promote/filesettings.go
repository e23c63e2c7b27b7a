package promote

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/render"
)

// Given says whether the user gave the setting of a neutral name ("kube-version",
// "milestone", "label") explicitly — a flag on the command line, an input in the
// workflow — and how its origin reads ("--kube-version", "input kube-version"). A
// setting given explicitly wins over the config file's render: and pullRequest: blocks,
// and the file wins over the default. A nil Given gives nothing.
type Given func(name string) (from string, ok bool)

func (g Given) given(name string) (string, bool) {
	if g == nil {
		return "", false
	}
	return g(name)
}

// SettingOrigin is one setting in effect and where its value comes from: what explain
// shows and the Action logs.
type SettingOrigin struct {
	// Key is the setting's config key ("render.kubeVersion", "pullRequest.milestone").
	Key string `json:"key"`
	// Value is the value in effect, as a person reads it.
	Value string `json:"value"`
	// From is a flag or input ("--kube-version", "input kube-version"), a line of the
	// config file ("chart-promoter.yaml:5"), or "default".
	From string `json:"from"`
}

// RenderSettings are the reviewer's view as a user sets it, before the config file is
// applied: each adapter fills it from its flags or inputs, with its own defaults where
// the user gave none.
type RenderSettings struct {
	// Enabled renders every change's chart at both versions.
	Enabled bool
	// KubeVersion and APIVersions are what charts are rendered for where an Application
	// does not say (render.Cluster).
	KubeVersion string
	APIVersions []string
	// Timeout and MaxRenderedBytes bound one Application (render.Options).
	Timeout          time.Duration
	MaxRenderedBytes int
}

// DefaultRenderSettings are promote's and the Action's defaults: rendering on, Helm's
// Kubernetes version, the render package's budgets. plan and apply render only when
// asked.
func DefaultRenderSettings() RenderSettings {
	return RenderSettings{Enabled: true, Timeout: render.DefaultTimeout, MaxRenderedBytes: render.DefaultMaxRenderedBytes}
}

// Options returns the render options these settings ask for, or nil when rendering is
// off; the caller adds Charts, Repository and Releases.
func (r RenderSettings) Options() *RenderOptions {
	if !r.Enabled {
		return nil
	}
	return &RenderOptions{
		Cluster:          render.Cluster{KubeVersion: r.KubeVersion, APIVersions: r.APIVersions},
		Timeout:          r.Timeout,
		MaxRenderedBytes: r.MaxRenderedBytes,
	}
}

// ApplyConfig takes each setting of the config file's render: block that given does not
// name, and says where every setting comes from. It warns about each key the file sets
// while the file itself turns rendering off (a flag or input that turns it on makes them
// count again); the warnings belong in Options.Warnings.
func (r *RenderSettings) ApplyConfig(cfg *config.Config, given Given) ([]SettingOrigin, []Warning) {
	var block *config.Render
	var name string
	if cfg != nil {
		block, name = cfg.Render, cfg.Name
	}
	if block == nil {
		block = &config.Render{}
	}
	o := origins{file: name, given: given}
	apply(&o, &r.Enabled, "render.enabled", "render", block.Enabled, strconv.FormatBool)
	apply(&o, &r.KubeVersion, "render.kubeVersion", "kube-version", block.KubeVersion, orText("Helm's"))
	apply(&o, &r.APIVersions, "render.apiVersions", "api-versions", block.APIVersions, func(v []string) string {
		if len(v) == 0 {
			return "Helm's built-in list"
		}
		return "Helm's built-in list and " + strings.Join(v, ", ")
	})
	apply(&o, &r.Timeout, "render.timeout", "render-timeout", block.Timeout, config.FormatDuration)
	apply(&o, &r.MaxRenderedBytes, "render.maxBytes", "render-max-bytes", block.MaxBytes, strconv.Itoa)

	var warnings []Warning
	if _, explicit := given.given("render"); !explicit && block.Enabled != nil && !block.Enabled.Value && block.Tuned() {
		for _, k := range []struct {
			key string
			set bool
			pos config.Pos
		}{
			{"kubeVersion", block.KubeVersion != nil, posOf(block.KubeVersion)},
			{"apiVersions", block.APIVersions != nil, posOf(block.APIVersions)},
			{"timeout", block.Timeout != nil, posOf(block.Timeout)},
			{"maxBytes", block.MaxBytes != nil, posOf(block.MaxBytes)},
		} {
			if k.set {
				warnings = append(warnings, Warning{File: name, Line: k.pos.Line, Message: fmt.Sprintf(
					"render.%s has no effect: render.enabled is false (line %d), so nothing is rendered; remove it, or turn rendering on", k.key, block.Enabled.Pos.Line)})
			}
		}
	}
	return o.out, warnings
}

// ApplyConfig takes each setting of the config file's pullRequest: block that given does
// not name, and says where every setting comes from. The templates were parsed when the
// file was read and checked against the data by CheckConfig.
func (s *Settings) ApplyConfig(cfg *config.Config, given Given) []SettingOrigin {
	var block *config.PullRequest
	var name string
	if cfg != nil {
		block, name = cfg.PullRequest, cfg.Name
	}
	if block == nil {
		block = &config.PullRequest{}
	}
	o := origins{file: name, given: given}
	apply(&o, &s.TitleTemplate, "pullRequest.titleTemplate", "title-template", block.TitleTemplate, templateText)
	apply(&o, &s.BodyTemplate, "pullRequest.bodyTemplate", "body-template", block.BodyTemplate, templateText)
	apply(&o, &s.CommitMessageTemplate, "pullRequest.commitMessageTemplate", "commit-message-template", block.CommitMessageTemplate, templateText)
	var milestone *config.Setting[string]
	if m := block.Milestone; m != nil {
		milestone = &config.Setting[string]{Value: strconv.Itoa(m.Value), Pos: m.Pos}
	}
	apply(&o, &s.Milestone, "pullRequest.milestone", "milestone", milestone, orText("none"))
	apply(&o, &s.DeleteBranch, "pullRequest.deleteBranch", "delete-branch", block.DeleteBranch, strconv.FormatBool)
	apply(&o, &s.Draft, "pullRequest.draft", "draft", block.Draft, strconv.FormatBool)
	apply(&o, &s.Labels, "pullRequest.labels", "label", block.Labels, names)
	apply(&o, &s.Reviewers, "pullRequest.reviewers", "reviewer", block.Reviewers, names)
	apply(&o, &s.TeamReviewers, "pullRequest.teamReviewers", "team-reviewer", block.TeamReviewers, names)
	apply(&o, &s.Assignees, "pullRequest.assignees", "assignee", block.Assignees, names)
	return o.out
}

// DefaultSettingOrigins are the render: and pullRequest: settings promote and the Action
// use with cfg and no flag or input given: what explain shows.
func DefaultSettingOrigins(cfg *config.Config) []SettingOrigin {
	r := DefaultRenderSettings()
	out, _ := r.ApplyConfig(cfg, nil)
	if out[0].From == "default" {
		out[0].From = "default of promote and the Action; plan and apply render with --render"
	}
	s := Settings{DeleteBranch: true}
	return append(out, s.ApplyConfig(cfg, nil)...)
}

// CheckConfig checks the templates of cfg's pullRequest: block against the data templates
// see, as the flags' templates are checked: a field that does not exist ({{ .Version }})
// is a problem of the file, on its line, before anything is read. The adapters call it
// when they load the file.
func CheckConfig(cfg *config.Config) error {
	if cfg == nil || cfg.PullRequest == nil {
		return nil
	}
	var errs config.Errors
	for _, key := range config.PullRequestTemplates {
		s := cfg.PullRequest.Template(key)
		if s == nil {
			continue
		}
		if _, err := checkTemplate("pullRequest."+key, s.Value); err != nil {
			errs = append(errs, &config.Error{File: cfg.File, Pos: s.Pos, Path: "pullRequest." + key,
				Message: "the template does not fit the data it is given: " + err.Error() + " (.Group, .Branch, .Chart, .Charts, .Versions, .Applications, .Digest, .Metadata, .Changes, .Default)"})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// origins collects where each setting comes from while the file is applied.
type origins struct {
	file  string
	given Given
	out   []SettingOrigin
}

// apply sets *value from the file's setting unless the user gave name, and records
// where the value in effect comes from.
func apply[T any](o *origins, value *T, key, name string, file *config.Setting[T], show func(T) string) {
	from, explicit := o.given.given(name)
	switch {
	case explicit:
	case file != nil:
		*value = file.Value
		from = fmt.Sprintf("%s:%d", o.file, file.Pos.Line)
	default:
		from = "default"
	}
	o.out = append(o.out, SettingOrigin{Key: key, Value: show(*value), From: from})
}

func posOf[T any](s *config.Setting[T]) config.Pos {
	if s == nil {
		return config.Pos{}
	}
	return s.Pos
}

func orText(none string) func(string) string {
	return func(s string) string {
		if s == "" {
			return none
		}
		return s
	}
}

func names(v []string) string {
	if len(v) == 0 {
		return "none"
	}
	return strings.Join(v, ", ")
}

// templateText shows a template on one line, shortened: explain lists it, it does not
// print it.
func templateText(t string) string {
	if strings.TrimSpace(t) == "" {
		return "the default text"
	}
	one := strings.Join(strings.Fields(t), " ")
	if r := []rune(one); len(r) > 60 {
		one = string(r[:59]) + "…"
	}
	return strconv.Quote(one)
}
