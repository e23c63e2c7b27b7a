package version

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// AnyVersion is the constraint used when nothing else is set: every release, no prereleases.
const AnyVersion = "*"

// Constraint is a parsed Masterminds semver constraint together with its source text.
type Constraint struct {
	text string
	c    *semver.Constraints
}

// ParseConstraint parses a Masterminds semver v3 constraint ("~1.2", ">=1.2.0-0 <2", "1.x").
// Prereleases match only when the constraint itself names one, exactly as in Argo CD and Helm.
func ParseConstraint(text string) (*Constraint, error) {
	t := strings.TrimSpace(text)
	if t == "" {
		t = AnyVersion
	}
	c, err := semver.NewConstraint(t)
	if err != nil {
		return nil, fmt.Errorf("invalid constraint %q: %v (write a Masterminds semver constraint such as \"~1.2\", \"^2\" or \">=1.4.0 <2.0.0\")", text, err)
	}
	return &Constraint{text: t, c: c}, nil
}

// String returns the constraint as written (or "*").
func (c *Constraint) String() string { return c.text }

// Allows reports whether v satisfies the constraint.
func (c *Constraint) Allows(v Version) bool { return c.c.Check(v.SemVer) }

// Allowed returns, newest first, the versions the constraint allows. versions must be
// sorted newest first (as ParseTags returns them). Callers walk the result in order,
// because the newest tag may turn out not to be a chart (a container image pushed to the
// same repository) and the next one must then be tried.
func (c *Constraint) Allowed(versions []Version) []Version {
	var out []Version
	for _, v := range versions {
		if c.Allows(v) {
			out = append(out, v)
		}
	}
	return out
}

// Newest returns the newest version the constraint allows, whatever the current one.
func (c *Constraint) Newest(versions []Version) (Version, bool) {
	for _, v := range versions {
		if c.Allows(v) {
			return v, true
		}
	}
	return Version{}, false
}
