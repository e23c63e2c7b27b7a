package main

import (
	"cmp"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/github"
	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/render"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// renderFlags turn on and shape the reviewer's view (see package render). The config
// file's render: block sets the same; a flag given on the command line wins over it.
type renderFlags struct {
	render        bool
	kubeVersion   string
	apiVersions   []string
	renderTimeout time.Duration
	maxRendered   int
	// never is set by commands that do not show the view (explain), whatever the
	// config file says.
	never bool
}

// register adds the flags; on is --render's default (off for plan and apply, which stay
// as fast as the registry, on for promote, whose pull requests show it).
func (f *renderFlags) register(cmd *cobra.Command, on bool) {
	fl := cmd.Flags()
	fl.BoolVar(&f.render, "render", on, "render each change's chart at both versions with its Application's Helm settings and show what changes in the cluster (downloads the charts)")
	fl.StringVar(&f.kubeVersion, "kube-version", "", "Kubernetes version charts are rendered for where an Application sets no helm.kubeVersion (default: Helm's)")
	fl.StringArrayVar(&f.apiVersions, "api-versions", nil, "API version the cluster serves, for .Capabilities.APIVersions, where an Application sets no helm.apiVersions (repeatable)")
	fl.DurationVar(&f.renderTimeout, "render-timeout", render.DefaultTimeout, "time to render both versions of one Application before it is left out with a note")
	fl.IntVar(&f.maxRendered, "render-max-bytes", render.DefaultMaxRenderedBytes, "largest rendering of one version that is compared")
}

// settings checks the flags and applies the config file's render: block where no flag
// was given; it returns the settings in effect and warnings about keys without effect.
func (f *renderFlags) settings(cfg *config.Config, given promote.Given) (promote.RenderSettings, []promote.Warning, error) {
	if f.renderTimeout <= 0 || f.maxRendered <= 0 {
		return promote.RenderSettings{}, nil, usagef("--render-timeout and --render-max-bytes must be positive")
	}
	if f.kubeVersion != "" {
		// Checked as rendering reads it: otherwise every Application would carry the
		// same note.
		if _, err := version.KubeVersion(f.kubeVersion); err != nil {
			return promote.RenderSettings{}, nil, usagef("--kube-version: %v", err)
		}
	}
	s := promote.RenderSettings{Enabled: f.render, KubeVersion: f.kubeVersion, APIVersions: f.apiVersions, Timeout: f.renderTimeout, MaxRenderedBytes: f.maxRendered}
	_, warnings := s.ApplyConfig(cfg, given)
	return s, warnings, nil
}

// options builds the render options s asks for, or nil when rendering is off. dir is
// the scanned directory (its Git checkout serves $ref value files); repoURLs are more
// URLs naming that repository.
func (f *renderFlags) options(s promote.RenderSettings, reg *registry.Client, dir, apiURL string, requestTimeout time.Duration, repoURLs ...string) (*promote.RenderOptions, error) {
	o := s.Options()
	if o == nil || f.never {
		return nil, nil
	}
	o.Charts = reg
	if repo, err := gitrepo.Open(dir); err == nil {
		o.Repository = render.NewGitRepository(repo, repoURLs...)
	}
	// Release notes are looked up with the GitHub token when there is one; without it
	// there is no link rather than an anonymous request.
	if token := cmp.Or(os.Getenv("GITHUB_TOKEN"), os.Getenv("GH_TOKEN")); token != "" {
		gh, err := github.New(apiURL, token, github.WithUserAgent("chart-promoter/"+buildVersion), github.WithRequestTimeout(requestTimeout))
		if err != nil {
			return nil, usageError{err}
		}
		o.Releases, o.ReleaseHosts = gh, releaseHosts(apiURL)
	}
	return o, nil
}

// releaseHosts are the hosts whose URLs name repositories of the GitHub at apiURL:
// github.com for api.github.com, else the GitHub Enterprise Server's own host.
func releaseHosts(apiURL string) []string {
	u, err := url.Parse(apiURL)
	if err != nil || u.Hostname() == "" || strings.EqualFold(u.Hostname(), "api.github.com") {
		return []string{"github.com"}
	}
	return []string{u.Hostname()}
}

// givenFlags says which of fs's flags were given on the command line, by name: those win
// over the config file. The promotion's neutral setting names are the flags' names.
func givenFlags(fs *pflag.FlagSet) promote.Given {
	return func(name string) (string, bool) {
		f := fs.Lookup(name)
		if f == nil || !f.Changed {
			return "", false
		}
		return "--" + name, true
	}
}
