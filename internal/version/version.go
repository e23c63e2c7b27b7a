// Package version maps OCI tags to chart versions and decides which versions a policy allows.
//
// The semantics are Masterminds semver v3, as Argo CD and Helm use them, with two rules
// of Helm's on top: a registry tag spells semver build metadata with '_' instead of '+'
// (OCI tags cannot hold '+'), and a version's numeric parts carry no leading zeros.
package version

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// MaxTagLength is the longest tag the OCI distribution spec allows.
const MaxTagLength = 128

// Version is one chart version: the tag it is stored under and its semantic version.
type Version struct {
	// Tag is the spelling in the registry, e.g. "2.1.0_b.5" or "v1.2.3".
	Tag string
	// SemVer is the parsed version, with '_' read back as '+'.
	SemVer *semver.Version
}

// String returns the version as Helm and Argo CD's Helm-OCI path spell it ('+' for build metadata).
func (v Version) String() string { return HelmSpelling(v.Tag) }

// HelmSpelling turns a tag into the version Helm shows: '_' becomes '+'.
func HelmSpelling(tag string) string { return strings.ReplaceAll(tag, "_", "+") }

// TagSpelling turns a version as Helm writes it into the tag Helm stores it under: '+'
// becomes '_', since an OCI tag cannot hold '+'. A tag comes back unchanged, so either
// spelling of a version names the same tag.
func TagSpelling(version string) string { return strings.ReplaceAll(version, "+", "_") }

// ErrNotVersion marks a tag or revision that is not a semantic version.
var ErrNotVersion = errors.New("not a semantic version")

// ParseTag reads a registry tag as a chart version.
//
// It accepts what Argo CD accepts as a version (a leading "v", "1.2" for "1.2.0") but,
// like Helm, rejects leading zeros ("01.2.3"), which Masterminds would otherwise coerce
// into a different version than the one written.
func ParseTag(tag string) (Version, error) {
	if tag == "" || len(tag) > MaxTagLength {
		return Version{}, fmt.Errorf("tag %.40q: %w", tag, ErrNotVersion)
	}
	text := HelmSpelling(tag)
	// Almost every chart tag is strict SemVer: Masterminds' strict parser reads it without
	// the regular expressions of the lenient one, which cost more than anything else in
	// resolving a repository of a thousand tags.
	if sv, err := semver.StrictNewVersion(text); err == nil {
		return Version{Tag: tag, SemVer: sv}, nil
	}
	if strings.Count(text, "+") > 1 {
		return Version{}, fmt.Errorf("tag %q has more than one build-metadata separator: %w", tag, ErrNotVersion)
	}
	if hasLeadingZero(text) {
		return Version{}, fmt.Errorf("tag %q has a leading zero: %w", tag, ErrNotVersion)
	}
	sv, err := semver.NewVersion(text)
	if err != nil {
		return Version{}, fmt.Errorf("tag %q: %w (%v)", tag, ErrNotVersion, err)
	}
	return Version{Tag: tag, SemVer: sv}, nil
}

// hasLeadingZero reports whether a numeric core segment ("1.02.3") starts with 0.
func hasLeadingZero(text string) bool {
	core := strings.TrimPrefix(strings.TrimPrefix(text, "v"), "V")
	if i := strings.IndexAny(core, "-+"); i >= 0 {
		core = core[:i]
	}
	for _, seg := range strings.Split(core, ".") {
		if len(seg) > 1 && seg[0] == '0' {
			return true
		}
	}
	return false
}

// Compare orders versions by semver precedence and then by build metadata, so that a
// rebuild ("1.2.3+b.6" after "1.2.3+b.5") counts as newer. It returns -1, 0 or +1.
//
// Semver itself gives build metadata no precedence, but Helm users publish rebuilds that
// way and expect them promoted; comparing the metadata like prerelease identifiers keeps
// the order total and deterministic.
func Compare(a, b *semver.Version) int {
	if c := a.Compare(b); c != 0 {
		return c
	}
	if c := compareIdentifiers(a.Metadata(), b.Metadata()); c != 0 {
		return c
	}
	return 0
}

// compareIdentifiers compares dot-separated identifiers: numbers numerically, others
// lexically, numbers before words, and a longer list after its prefix. An empty string
// (no metadata) sorts first.
func compareIdentifiers(a, b string) int {
	if a == b {
		return 0
	}
	if a == "" {
		return -1
	}
	if b == "" {
		return 1
	}
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		an, aerr := strconv.ParseUint(as[i], 10, 64)
		bn, berr := strconv.ParseUint(bs[i], 10, 64)
		switch {
		case aerr == nil && berr == nil:
			if an != bn {
				if an < bn {
					return -1
				}
				return 1
			}
		case aerr == nil:
			return -1
		case berr == nil:
			return 1
		default:
			if c := strings.Compare(as[i], bs[i]); c != 0 {
				return c
			}
		}
	}
	switch {
	case len(as) < len(bs):
		return -1
	case len(as) > len(bs):
		return 1
	}
	return 0
}

// ParseTags reads every tag that is a version and sorts them newest first. Tags that are
// not versions ("latest", "sha-abc", "01.2.3") are returned apart so callers can say how
// many were ignored; they never fail the list. A version stored under two spellings
// ("v1.2.3" and "1.2.3") keeps both, the unprefixed one first.
func ParseTags(tags []string) (versions []Version, ignored []string) {
	return parseTags(tags, func(tag string) (Version, bool) {
		v, err := ParseTag(tag)
		return v, err == nil
	})
}

func parseTags(tags []string, parse func(string) (Version, bool)) (versions []Version, ignored []string) {
	versions = make([]Version, 0, len(tags))
	seen := make(map[string]bool, len(tags))
	for _, tag := range tags {
		if seen[tag] {
			continue // registries have been seen to repeat tags across pages
		}
		seen[tag] = true
		v, ok := parse(tag)
		if !ok {
			ignored = append(ignored, tag)
			continue
		}
		versions = append(versions, v)
	}
	// The order is total (ties between equal versions go by tag, and tags are unique), so
	// an unstable sort gives the same result as a stable one, in fewer comparisons.
	slices.SortFunc(versions, func(a, b Version) int {
		if c := Compare(a.SemVer, b.SemVer); c != 0 {
			return -c
		}
		return strings.Compare(a.Tag, b.Tag)
	})
	return versions, ignored
}
