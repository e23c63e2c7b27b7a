package action

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/promote"
)

func TestAnnotate(t *testing.T) {
	tests := []struct {
		name   string
		result string
		prefix string
		want   []string
	}{
		{
			name:   "errors and warnings are placed on their file and line from the repository root",
			result: "promoted.json",
			prefix: "deploy",
			want: []string{
				"::error file=deploy/apps/production/broken.yaml,line=7,title=chart-promoter::YAML does not parse: mapping values are not allowed in this context; fix the file or exclude it",
				"::error title=chart-promoter%3A ghcr.io/acme/charts/billing::list tags: 401 Unauthorized: give the token read access to the package (1 source(s) not planned)",
				"::warning col=21,file=deploy/apps/staging/webapp.yaml,line=17,title=chart-promoter::webapp-staging: chart \"webapp\" is redundant: Argo CD 3.1+ pulls the oci:// repoURL itself and ignores chart, so this is a native OCI source and is written as the raw tag; remove chart and set path: . to say so",
			},
		},
		{
			name:   "a working directory of . adds nothing",
			result: "promoted.json",
			prefix: ".",
			want: []string{
				"::error file=apps/production/broken.yaml,line=7,title=chart-promoter::YAML does not parse: mapping values are not allowed in this context; fix the file or exclude it",
				"::error title=chart-promoter%3A ghcr.io/acme/charts/billing::list tags: 401 Unauthorized: give the token read access to the package (1 source(s) not planned)",
				"::warning col=21,file=apps/staging/webapp.yaml,line=17,title=chart-promoter::webapp-staging: chart \"webapp\" is redundant: Argo CD 3.1+ pulls the oci:// repoURL itself and ignores chart, so this is a native OCI source and is written as the raw tag; remove chart and set path: . to say so",
			},
		},
		{
			name:   "commas, colons and newlines in names and messages are escaped",
			result: "hostile.json",
			prefix: "./gitops/",
			want: []string{
				"::error file=gitops/apps/x|y.yaml,line=1,title=chart-promoter::bad # heading%0A- list item",
				"::error title=chart-promoter%3A ghcr.io/acme/charts/`x`::![image](https://example.com/x.png)",
				"::warning col=5,file=gitops/apps/we|ird `name`.yaml,line=3,title=chart-promoter::web|app *bold* _it_ <script>alert(1)</script>: line one%0Aline two | with a pipe & an <b>ampersand</b>",
			},
		},
		{
			name:   "a plan with nothing to report annotates nothing",
			result: "up_to_date.json",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, out := newAction(nil)
			Annotate(a, loadResult(t, tt.result).Plan, tt.prefix)
			if got := commandLines(out); !slices.Equal(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestAnnotateStopsAtGitHubsLimit(t *testing.T) {
	plan := &promote.Plan{}
	for i := range 70 {
		plan.Errors = append(plan.Errors, promote.Error{File: fmt.Sprintf("apps/bad-%02d.yaml", i), Line: 1, Message: "YAML does not parse"})
		plan.Changes = append(plan.Changes, promote.Change{File: fmt.Sprintf("apps/app-%02d.yaml", i), Line: 9, Warnings: []string{"Argo CD ignores chart"}})
	}
	a, out := newAction(nil)
	Annotate(a, plan, ".")
	lines := commandLines(out)
	errs, warnings := 0, 0
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "::error file="):
			errs++
		case strings.HasPrefix(l, "::warning "+"col=") || strings.HasPrefix(l, "::warning file="):
			warnings++
		}
	}
	if errs != maxAnnotations || warnings != maxAnnotations {
		t.Errorf("%d errors and %d warnings annotated, want %d of each", errs, warnings, maxAnnotations)
	}
	for _, want := range []string{
		"::error title=chart-promoter::20 more errors are not annotated; the step summary lists them all",
		"::warning title=chart-promoter::20 more warnings are not annotated; the step summary lists them all",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("missing %q", want)
		}
	}
}

func TestAnnotateSaysEachWarningOncePerLine(t *testing.T) {
	change := promote.Change{File: "appsets/workers.yaml", Line: 12, Application: "workers", Warnings: []string{"Argo CD ignores chart"}}
	a, out := newAction(nil)
	Annotate(a, &promote.Plan{Changes: []promote.Change{change, change}}, "")
	if n := len(commandLines(out)); n != 1 {
		t.Errorf("%d annotations, want 1:\n%s", n, out)
	}
}
