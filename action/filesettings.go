package action

import (
	"strconv"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/promote"
)

// ApplyConfig takes the config file's render: and pullRequest: settings for every input
// the step was not given, and returns where each setting in effect comes from (an input,
// a line of the file, the default) and warnings about keys of the file without effect.
func (in *Inputs) ApplyConfig(cfg *config.Config) ([]promote.SettingOrigin, []promote.Warning) {
	given := func(name string) (string, bool) {
		input := inputSpelling(name, "")
		if !in.explicit[input] {
			return "", false
		}
		return "input " + input, true
	}
	rs := promote.RenderSettings{Enabled: in.Render, KubeVersion: in.KubeVersion, APIVersions: in.APIVersions, Timeout: in.RenderTimeout, MaxRenderedBytes: in.RenderMaxBytes}
	origins, warnings := rs.ApplyConfig(cfg, given)
	in.Render, in.KubeVersion, in.APIVersions, in.RenderTimeout, in.RenderMaxBytes = rs.Enabled, rs.KubeVersion, rs.APIVersions, rs.Timeout, rs.MaxRenderedBytes

	s := in.settings()
	origins = append(origins, s.ApplyConfig(cfg, given)...)
	in.Templates = promote.Templates{CommitMessage: s.CommitMessageTemplate, Title: s.TitleTemplate, Body: s.BodyTemplate}
	// The file's milestone is a number (the schema says so); an input's was checked.
	in.Milestone, _ = strconv.Atoi(s.Milestone)
	in.DeleteBranch, in.Draft = s.DeleteBranch, s.Draft
	in.Labels, in.Reviewers, in.TeamReviewers, in.Assignees = s.Labels, s.Reviewers, s.TeamReviewers, s.Assignees
	return origins, warnings
}
