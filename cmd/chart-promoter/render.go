package main

import (
	"cmp"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chart-promoter/chart-promoter/internal/github"
	"github.com/chart-promoter/chart-promoter/internal/gitrepo"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/render"
)

// renderFlags turn on and shape the reviewer's view (see package render).
type renderFlags struct {
	render        bool
	kubeVersion   string
	apiVersions   []string
	renderTimeout time.Duration
	maxRendered   int
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

// options builds the render options, or nil when rendering is off. dir is the scanned
// directory (its Git checkout serves $ref value files); repoURLs are more URLs naming
// that repository.
func (f *renderFlags) options(reg *registry.Client, dir, apiURL string, requestTimeout time.Duration, repoURLs ...string) (*promote.RenderOptions, error) {
	if !f.render {
		return nil, nil
	}
	if f.renderTimeout <= 0 || f.maxRendered <= 0 {
		return nil, usagef("--render-timeout and --render-max-bytes must be positive")
	}
	o := &promote.RenderOptions{
		Charts:           reg,
		Cluster:          render.Cluster{KubeVersion: f.kubeVersion, APIVersions: f.apiVersions},
		Timeout:          f.renderTimeout,
		MaxRenderedBytes: f.maxRendered,
	}
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
