package action

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/chart-promoter/chart-promoter/internal/promote"
)

// maxAnnotations is how many errors, and how many warnings, are annotated: GitHub shows
// at most 10 of each per step and 50 per job, so more only floods the log.
const maxAnnotations = 50

// annotationTitle heads every annotation, so that they are recognisable in a pull request.
const annotationTitle = "chart-promoter"

// Annotate turns a plan's errors, its warnings and its changes' warnings into workflow
// annotations, on the file and line they concern. File names in a plan are relative to the scanned
// directory; workdirPrefix is that directory relative to the repository root (the
// working-directory input), which GitHub needs to place an annotation.
func Annotate(a *githubactions.Action, plan *promote.Plan, workdirPrefix string) {
	if plan == nil {
		return
	}
	seen := map[string]bool{}
	annotated, left := 0, 0
	for _, e := range plan.Errors {
		if annotated == maxAnnotations {
			left++
			continue
		}
		annotated++
		msg := e.Message
		if e.File != "" && e.Chart != "" {
			msg = e.Chart + ": " + msg
		}
		fields := placement(workdirPrefix, e.File, e.Line, 0)
		if e.File == "" && e.Chart != "" {
			fields["title"] = annotationTitle + ": " + e.Chart
		}
		a.WithFieldsMap(fields).Errorf("%s", msg)
	}
	if left > 0 {
		a.WithFieldsMap(map[string]string{"title": annotationTitle}).Errorf("%d more errors are not annotated; the step summary lists them all", left)
	}

	annotated, left = 0, 0
	for _, w := range plan.Warnings {
		if annotated == maxAnnotations {
			left++
			continue
		}
		annotated++
		msg := w.Describe(inputSpelling)
		if w.File != "" {
			// The placement carries the file and line.
			msg = promote.Warning{Setting: w.Setting, Message: w.Message}.Describe(inputSpelling)
		}
		fields := placement(workdirPrefix, w.File, w.Line, 0)
		if w.File == "" && w.Chart != "" {
			fields["title"] = annotationTitle + ": " + w.Chart
		}
		a.WithFieldsMap(fields).Warningf("%s", msg)
	}
	for _, c := range plan.Changes {
		for _, w := range c.Warnings {
			key := fmt.Sprintf("%s\x00%d\x00%s", c.File, c.Line, w)
			if seen[key] {
				continue
			}
			seen[key] = true
			if annotated == maxAnnotations {
				left++
				continue
			}
			annotated++
			msg := w
			if c.Application != "" {
				msg = c.Application + ": " + w
			}
			a.WithFieldsMap(placement(workdirPrefix, c.File, c.Line, c.Column)).Warningf("%s", msg)
		}
	}
	if left > 0 {
		a.WithFieldsMap(map[string]string{"title": annotationTitle}).Warningf("%d more warnings are not annotated; the step summary lists them all", left)
	}
}

// placement builds an annotation's file, line and column properties; without a file it
// only carries the title.
func placement(prefix, file string, line, column int) map[string]string {
	fields := map[string]string{"title": annotationTitle}
	if file == "" {
		return fields
	}
	fields["file"] = repoPath(prefix, file)
	if line > 0 {
		fields["line"] = strconv.Itoa(line)
		if column > 0 {
			fields["col"] = strconv.Itoa(column)
		}
	}
	return fields
}

// repoPath joins the working directory and a plan's file into a slash path from the
// repository root.
func repoPath(prefix, file string) string {
	prefix = strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(prefix, `\`, "/")), "/")
	return path.Join(prefix, file)
}
