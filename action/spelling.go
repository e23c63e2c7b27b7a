package action

import (
	"errors"

	"github.com/chart-promoter/chart-promoter/internal/setting"
)

// inputOf maps the libraries' neutral setting names to the inputs that give them, where
// the two differ.
var inputOf = map[string]string{
	"include":       inPaths,
	"mirror":        inMirrors,
	"repo":          inRepository,
	"label":         inLabels,
	"reviewer":      inReviewers,
	"assignee":      inAssignees,
	"team-reviewer": inTeamReviewers,
	"username":      inRegistryUsername,
	"api-url":       inAPIURL,
	"credentials":   "",
}

// inputSpelling spells a setting as a workflow author writes it in the step's `with:`:
// the input's name ("paths"), or the line to write ("`plain-http: true`").
func inputSpelling(name, value string) string {
	if name == "credentials" {
		return "the " + inRegistryUsername + " and " + inRegistryPassword + " inputs"
	}
	if name == "request-timeout" {
		return "request timeout"
	}
	if in, ok := inputOf[name]; ok {
		name = in
	}
	if value == "" {
		return name
	}
	return "`" + name + ": " + value + "`"
}

// describe words an error of the libraries for a workflow author, one line per error
// when several were joined.
func describe(err error) string { return setting.Describe(err, inputSpelling) }

// worded returns err with its settings spelt as inputs, keeping one error per line.
func worded(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(describe(err))
}
