package promote

import (
	"path/filepath"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// The precedence of a source's constraint and ignore, most binding first (the README's
// "Policy" section and explain say the same):
//
//  1. a chart-promoter comment on the targetRevision line, or on the line above it;
//  2. the Application's chart-promoter.io annotation (an ApplicationSet's template's, then
//     its own);
//  3. the config file's rules, the last matching rule that sets the field winning;
//  4. --constraint (the Action input constraint);
//  5. "*" (and, for ignore, not ignored).
//
// The manifest comes first because it is where a person pins one Application, in the
// same review as the change itself; the config file states the repository's defaults.

// constraintFor returns the constraint that governs src and the setting it comes from.
func constraintFor(src manifest.Source, defaultConstraint string, rules config.Resolved) (text, origin string) {
	switch {
	case src.Constraint != "":
		return src.Constraint, src.ConstraintOrigin
	case rules.Constraint.Set():
		return rules.Constraint.Value, rules.Constraint.From.String()
	case defaultConstraint != "":
		return defaultConstraint, "--constraint"
	}
	return version.AnyVersion, "default: no constraint set"
}

// ignoreFor reports whether src is left alone, and which setting says so (or says not).
func ignoreFor(src manifest.Source, rules config.Resolved) (ignored bool, origin string) {
	switch {
	case src.IgnoreOrigin != "":
		return src.Ignore, src.IgnoreOrigin
	case rules.Ignore.Set():
		return rules.Ignore.Value, rules.Ignore.From.String()
	}
	return false, ""
}

// configTarget is what config rules match a source by.
func configTarget(src manifest.Source) config.Target {
	return config.Target{Chart: src.Chart, Application: src.Application, ApplicationSet: src.ApplicationSet, File: src.File}
}

// relativeTo spells file relative to dir, as a plan spells the files it read, so that a
// config file in the scanned directory or above it is placed like a manifest.
func relativeTo(dir, file string) string {
	absDir, err1 := filepath.Abs(dir)
	absFile, err2 := filepath.Abs(file)
	if err1 != nil || err2 != nil {
		return filepath.ToSlash(file)
	}
	rel, err := filepath.Rel(absDir, absFile)
	if err != nil {
		return filepath.ToSlash(file)
	}
	return filepath.ToSlash(rel)
}
