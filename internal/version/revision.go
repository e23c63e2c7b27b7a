package version

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// RevisionKind says what a targetRevision is, in Argo CD's terms.
type RevisionKind int

const (
	// Pin is a single version ("1.2.3", "v1.2", "2.1.0+b.5"): the only kind the tool edits.
	Pin RevisionKind = iota
	// Range is a semver constraint ("^1.2", "1.2.*", ">=1 <2") that Argo CD resolves at sync time.
	Range
	// Digest is a content address ("sha256:…").
	Digest
	// Templated holds an ApplicationSet or Helm template expression ("{{ .version }}").
	Templated
	// Empty is a missing or blank targetRevision (Argo CD then takes the newest version).
	Empty
	// Other is anything else: a tag that is no version ("latest", "stable").
	Other
)

// String names the kind in lower case, for skip reasons.
func (k RevisionKind) String() string {
	return [...]string{"pin", "range", "digest", "template", "empty", "other"}[k]
}

// Classify tells what a targetRevision is, the way Argo CD decides it: text that parses
// as a version is a pin, otherwise text that parses as a constraint is a range.
func Classify(revision string) RevisionKind {
	r := strings.TrimSpace(revision)
	switch {
	case r == "":
		return Empty
	case strings.Contains(r, "{{") || strings.Contains(r, "}}") || strings.Contains(r, "${"):
		return Templated
	case strings.Contains(r, "@") || strings.HasPrefix(r, "sha256:") || strings.HasPrefix(r, "sha512:"):
		return Digest
	}
	if _, err := ParseRevision(r); err == nil {
		return Pin
	}
	if _, err := semver.NewConstraint(r); err == nil {
		return Range
	}
	return Other
}

// ParseRevision reads a pinned targetRevision. It takes both spellings of build metadata:
// "2.1.0+b.5" (Helm's, what the Helm-OCI path is given) and "2.1.0_b.5" (the raw tag,
// what the native OCI path is given).
func ParseRevision(revision string) (Version, error) {
	v, err := ParseTag(TagSpelling(revision))
	if err != nil {
		return Version{}, fmt.Errorf("targetRevision %q: %w", revision, ErrNotVersion)
	}
	v.Tag = revision
	return v, nil
}

// Spelling is how a version must be written into targetRevision for Argo CD to find it.
type Spelling int

const (
	// HelmVersion writes '+' for build metadata: Argo CD's Helm-OCI path hands the value to
	// Helm as --version, and Helm matches it against tags read back with '_' as '+'.
	HelmVersion Spelling = iota
	// RawTag writes the tag as stored ('_'): Argo CD's native OCI path (oci:// repoURL) first
	// resolves targetRevision as a tag reference, and an OCI tag cannot contain '+'.
	RawTag
)

// Spell returns the text to write for v.
func (v Version) Spell(s Spelling) string {
	if s == RawTag {
		return v.Tag
	}
	return HelmSpelling(v.Tag)
}
