// Package version maps OCI tags to chart versions and decides which versions a policy allows.
//
// The semantics are Masterminds semver v3, as Argo CD and Helm use them, with two rules
// of Helm's on top: a registry tag spells semver build metadata with '_' instead of '+'
// (OCI tags cannot hold '+'), and a version's numeric parts carry no leading zeros.
package version

import (
	"errors"
	"fmt"
	"sort"
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
	if sv, ok := parseCanonical(text); ok {
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

// parseCanonical reads the spelling almost every chart tag has — [v]MAJOR.MINOR.PATCH with
// optional -prerelease and +build — without Masterminds' regular expressions, which cost
// more than everything else in resolving a repository of a thousand tags. Anything it is
// not sure of goes to the general path, which gives the same answer for these forms.
func parseCanonical(text string) (*semver.Version, bool) {
	if len(text) > semver.MaxVersionLen {
		return nil, false
	}
	rest := text
	if strings.HasPrefix(rest, "v") {
		rest = rest[1:]
	}
	var nums [3]uint64
	for i := range nums {
		n, end, ok := numericIdentifier(rest)
		if !ok {
			return nil, false
		}
		nums[i], rest = n, rest[end:]
		if i < 2 {
			if rest == "" || rest[0] != '.' {
				return nil, false
			}
			rest = rest[1:]
		}
	}
	var pre, meta string
	if strings.HasPrefix(rest, "-") {
		end := strings.IndexByte(rest, '+')
		if end < 0 {
			end = len(rest)
		}
		pre, rest = rest[1:end], rest[end:]
		if !validIdentifiers(pre, true) {
			return nil, false
		}
	}
	if strings.HasPrefix(rest, "+") {
		meta, rest = rest[1:], ""
		if !validIdentifiers(meta, false) {
			return nil, false
		}
	}
	if rest != "" {
		return nil, false
	}
	return semver.New(nums[0], nums[1], nums[2], pre, meta), true
}

// numericIdentifier reads a run of digits without a leading zero (except "0" itself).
func numericIdentifier(s string) (n uint64, end int, ok bool) {
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == 0 || end > 18 || (end > 1 && s[0] == '0') {
		return 0, 0, false // empty, possibly overflowing, or a leading zero
	}
	n, err := strconv.ParseUint(s[:end], 10, 64)
	return n, end, err == nil
}

// validIdentifiers checks dot-separated semver identifiers: [0-9A-Za-z-]+, and for a
// prerelease no numeric identifier with a leading zero.
func validIdentifiers(s string, prerelease bool) bool {
	if s == "" {
		return false
	}
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		numeric := true
		for i := 0; i < len(id); i++ {
			c := id[i]
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
				numeric = false
			default:
				return false
			}
		}
		if prerelease && numeric && len(id) > 1 && id[0] == '0' {
			return false
		}
	}
	return true
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
	versions = make([]Version, 0, len(tags))
	seen := make(map[string]bool, len(tags))
	for _, tag := range tags {
		if seen[tag] {
			continue // registries have been seen to repeat tags across pages
		}
		seen[tag] = true
		v, err := ParseTag(tag)
		if err != nil {
			ignored = append(ignored, tag)
			continue
		}
		versions = append(versions, v)
	}
	sort.SliceStable(versions, func(i, j int) bool {
		if c := Compare(versions[i].SemVer, versions[j].SemVer); c != 0 {
			return c > 0
		}
		return versions[i].Tag < versions[j].Tag
	})
	return versions, ignored
}
