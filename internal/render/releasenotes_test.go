package render

import (
	"context"
	"errors"
	"testing"
)

// releases is a set of "owner/repo@tag" that have a release; errFor fails lookups of
// one repository, as a rate limit would.
type releases struct {
	tags   map[string]bool
	errFor string
	asked  []string
}

func (r *releases) ReleaseURL(_ context.Context, owner, repo, tag string) (string, bool, error) {
	r.asked = append(r.asked, owner+"/"+repo+"@"+tag)
	if owner+"/"+repo == r.errFor {
		return "", false, errors.New("403 rate limited")
	}
	if r.tags[owner+"/"+repo+"@"+tag] {
		return "https://github.com/" + owner + "/" + repo + "/releases/tag/" + tag, true, nil
	}
	return "", false, nil
}

func TestReleaseNotesTriesTheUsualTagSpellings(t *testing.T) {
	tests := []struct {
		name       string
		tags       []string
		errFor     string
		candidates []string
		want       string
	}{
		{"a v-prefixed tag", []string{"acme/webapp@v1.3.0"}, "", []string{"https://github.com/acme/webapp"}, "https://github.com/acme/webapp/releases/tag/v1.3.0"},
		{"a chart-prefixed tag in a monorepo", []string{"acme/charts@webapp-1.3.0"}, "", []string{"https://github.com/acme/charts/tree/main/charts/webapp"}, "https://github.com/acme/charts/releases/tag/webapp-1.3.0"},
		{"the next source when the first has no release", []string{"acme/webapp@1.3.0"}, "", []string{"https://github.com/acme/docs", "https://github.com/acme/webapp.git"}, "https://github.com/acme/webapp/releases/tag/1.3.0"},
		{"a failing lookup, then a source that answers", []string{"acme/webapp@v1.3.0"}, "acme/broken", []string{"https://github.com/acme/broken", "https://github.com/acme/webapp"}, "https://github.com/acme/webapp/releases/tag/v1.3.0"},
		{"no release at all", nil, "", []string{"https://github.com/acme/webapp"}, ""},
		{"a host that is not GitHub", []string{"acme/webapp@v1.3.0"}, "", []string{"https://gitlab.com/acme/webapp"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &releases{tags: map[string]bool{}, errFor: tt.errFor}
			for _, tag := range tt.tags {
				r.tags[tag] = true
			}
			got := ReleaseNotes(context.Background(), r, []string{"github.com"}, tt.candidates, "webapp", "1.3.0")
			if got != tt.want {
				t.Errorf("ReleaseNotes = %q, want %q (asked %v)", got, tt.want, r.asked)
			}
			if tt.name == "a host that is not GitHub" && len(r.asked) > 0 {
				t.Errorf("asked GitHub about a GitLab URL: %v", r.asked)
			}
		})
	}
}
