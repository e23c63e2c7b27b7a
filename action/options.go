package action

import (
	"errors"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/promote"
	"github.com/chart-promoter/chart-promoter/internal/registry"
)

// Charts returns the chart repositories a run promotes: the event's chart when it names
// one, else the chart input; nil means every chart. ok is false when the event names a
// chart the chart input leaves out, so the run has nothing to do.
func (in Inputs) Charts(trig Trigger) (charts []string, ok bool) {
	if trig.Chart == "" {
		return in.Chart, true
	}
	if len(in.Chart) == 0 {
		return []string{trig.Chart}, true
	}
	for _, c := range in.Chart {
		if c == trig.Chart {
			return []string{trig.Chart}, true
		}
	}
	return nil, false
}

// ProposeOptions turns the inputs into the promotion's settings. The caller sets
// Plan.Registry, and Plan.Dir when the checkout is not the current directory.
func (in Inputs) ProposeOptions(trig Trigger) promote.ProposeOptions {
	charts, _ := in.Charts(trig)
	owner, repo, _ := strings.Cut(in.Repository, "/")
	opts := promote.ProposeOptions{
		Plan: promote.Options{
			Dir:               in.WorkingDirectory,
			Include:           in.Paths,
			Exclude:           in.Exclude,
			Charts:            charts,
			DefaultConstraint: in.Constraint,
		},
		Owner:        owner,
		Repo:         repo,
		Base:         in.Base,
		GroupBy:      in.GroupBy,
		BranchPrefix: in.BranchPrefix,
		CommitVia:    in.CommitVia,
		SignOff:      in.SignOff,
		PullRequest: promote.PullRequestOptions{
			Labels:        in.Labels,
			Reviewers:     in.Reviewers,
			TeamReviewers: in.TeamReviewers,
			Assignees:     in.Assignees,
			Draft:         in.Draft,
			AutoMerge:     in.AutoMerge,
		},
		DryRun: in.DryRun,
	}
	if in.AuthorName != "" {
		opts.Author = promote.Identity{Name: in.AuthorName, Email: in.AuthorEmail}
	}
	return opts
}

// RegistryOptions returns the registry client options the inputs ask for; the caller adds
// registry.WithCredentials with a store built from CredentialOptions.
func (in Inputs) RegistryOptions() []registry.Option {
	opts := []registry.Option{
		registry.WithPlainHTTP(in.PlainHTTP),
		registry.WithMirrors(in.Mirrors...),
	}
	if in.CAFile != "" {
		opts = append(opts, registry.WithCAFile(in.CAFile))
	}
	return opts
}

// CredentialOptions says where registry credentials come from. Explicit credentials go
// only to registry-host, or else to the hosts of the charts the run is about; a scan of
// every chart with explicit credentials must therefore name the host.
func (in Inputs) CredentialOptions(trig Trigger) (registry.CredentialOptions, error) {
	o := registry.CredentialOptions{Username: in.RegistryUsername, Password: in.RegistryPassword, Hosts: in.RegistryHosts}
	if in.RegistryUsername == "" || len(o.Hosts) > 0 {
		return o, nil
	}
	charts, _ := in.Charts(trig)
	seen := map[string]bool{}
	for _, c := range charts {
		host, _, _ := strings.Cut(c, "/")
		if !seen[host] {
			seen[host] = true
			o.Hosts = append(o.Hosts, host)
		}
	}
	if len(o.Hosts) == 0 {
		return o, errors.New("registry-username needs the registry it belongs to: set `registry-host` (e.g. ghcr.io) or `chart`")
	}
	return o, nil
}
