package action

import (
	"errors"
	"slices"
	"strconv"
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
	if slices.Contains(in.Chart, trig.Chart) {
		return []string{trig.Chart}, true
	}
	return nil, false
}

// settings are the inputs the promotion's options are built from, by the builder the
// CLI uses too.
func (in Inputs) settings() promote.Settings {
	milestone := ""
	if in.Milestone > 0 {
		milestone = strconv.Itoa(in.Milestone)
	}
	return promote.Settings{
		Repository: in.Repository, Base: in.Base, GroupBy: string(in.GroupBy), CommitVia: string(in.CommitVia),
		BranchPrefix: in.BranchPrefix, AuthorName: in.AuthorName, AuthorEmail: in.AuthorEmail, SignOff: in.SignOff,
		Labels: in.Labels, Reviewers: in.Reviewers, TeamReviewers: in.TeamReviewers, Assignees: in.Assignees,
		Draft: in.Draft, AutoMerge: in.AutoMerge, Milestone: milestone, DeleteBranch: in.DeleteBranch,
		CommitMessageTemplate: in.Templates.CommitMessage, TitleTemplate: in.Templates.Title, BodyTemplate: in.Templates.Body,
		DryRun: in.DryRun,
	}
}

// ProposeOptions turns the inputs into the promotion's settings. The caller sets
// Plan.Registry, and Plan.Dir when the checkout is not the current directory. ReadInputs
// has validated the inputs, so the builder finds nothing wrong.
func (in Inputs) ProposeOptions(trig Trigger) promote.ProposeOptions {
	charts, _ := in.Charts(trig)
	opts, _ := in.settings().ProposeOptions(promote.Options{
		Dir:               in.WorkingDirectory,
		Include:           in.Paths,
		Exclude:           in.Exclude,
		Charts:            charts,
		DefaultConstraint: in.Constraint,
	})
	return opts
}

// RegistryOptions returns the registry client options the inputs ask for; the caller adds
// registry.WithCredentials with a store built from CredentialOptions.
func (in Inputs) RegistryOptions() []registry.Option {
	opts := []registry.Option{
		registry.WithSettingNames(inputSpelling),
		registry.WithPlainHTTP(in.PlainHTTP),
		registry.WithInsecureSkipVerify(in.InsecureSkipTLSVerify),
		registry.WithClientCertificate(in.CertFile, in.KeyFile),
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
	o := registry.CredentialOptions{Username: in.RegistryUsername, Password: in.RegistryPassword, Hosts: in.RegistryHosts,
		ExplicitSource: "the " + inRegistryUsername + " and " + inRegistryPassword + " inputs"}
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
