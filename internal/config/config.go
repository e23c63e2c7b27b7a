// Package config reads chart-promoter.yaml, the repository config file: rules that set,
// per chart repository and Application, the policy of the chart sources they match
// (constraint, ignore, minimum release age, signature verification, separate majors,
// vendored chart archives), the stages versions are promoted along, limits on pull
// requests, and the render: and pullRequest: blocks, which set in the file what promote's
// flags and the Action's inputs set (a flag or input given explicitly wins; package
// promote applies that order).
//
// A file is validated against the JSON Schema in schema/chart-promoter.schema.json (the
// one editors use), then checked for what a schema cannot say (globs, durations, regular
// expressions, constraints, referenced files). Every problem is reported with
// file:line:column; a bad file is never half-applied.
//
// Rules apply in order and later rules win, field by field: Config.For merges the rules
// that match one source and says, per field, which rule set it. A manifest's own comment
// or annotation wins over every rule; that precedence is applied by the planner.
package config

import (
	"fmt"
	"time"
)

// FileName is the config file's name, looked for at the scanned root and in .github/.
const FileName = "chart-promoter.yaml"

// Config is a loaded, valid config file. A nil *Config is a repository without one: it
// has no rules, and For returns the defaults.
type Config struct {
	// File is the config file's path as it was found or given: what to open, and what
	// load errors name.
	File string
	// Name is the file as plans name it, relative to the scanned directory
	// ("chart-promoter.yaml", ".github/chart-promoter.yaml"): what the origins of rules say.
	Name string
	// Rules are the file's rules, in order.
	Rules []Rule
	// Stages are the file's stages, in order; an upstream is always listed before the
	// stages that take from it.
	Stages []Stage
	// MaxOpenPullRequests and MaxNewPullRequestsPerRun are the limits as written; nil when
	// the file leaves them to the defaults (see Limits).
	MaxOpenPullRequests      *Setting[int]
	MaxNewPullRequestsPerRun *Setting[int]
	// Render and PullRequest are the render: and pullRequest: blocks; nil when the file
	// has none. Flags and inputs given explicitly win over them (see package promote).
	Render      *Render
	PullRequest *PullRequest
}

// Pos is a place in the config file, 1-based as editors show it.
type Pos struct {
	Line, Column int
}

// String writes the position as "line:column".
func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Column) }

// Setting is one field a rule sets, with where it is written.
type Setting[T any] struct {
	Value T
	Pos   Pos
}

// Rule is one item of rules:. A nil field is one the rule leaves to earlier rules.
type Rule struct {
	// Index is the rule's place in rules:, from 0 (rules[0] is the first).
	Index int
	// Pos is where the rule starts.
	Pos Pos
	// Charts are the chart repository globs; empty matches every chart.
	Charts []Pattern
	// Applications are the Application name or file path globs; empty matches every source.
	Applications []Pattern

	Constraint         *Setting[string]
	MinimumReleaseAge  *Setting[time.Duration]
	OnMissingTimestamp *Setting[MissingTimestamp]
	ReleaseTime        *Setting[[]TimeSource]
	Ignore             *Setting[bool]
	SeparateMajor      *Setting[bool]
	Pin                *Setting[Pin]
	// ReplaceVendoredArchives replaces a Helm chart's vendored charts/NAME-VERSION.tgz
	// along with the dependency's version, downloading the new archive.
	ReplaceVendoredArchives *Setting[bool]
	// Verify holds the verify: block's fields; nil when the rule has none.
	Verify *Verify
}

// Verify is a rule's verify: block. Each field merges on its own, like a rule's fields.
type Verify struct {
	Required            *Setting[bool]
	SignatureRepository *Setting[string]
	Providers           *Setting[[]Provider]
}

// MissingTimestamp is what to do with a version whose release time is unknown.
type MissingTimestamp string

// The values of onMissingTimestamp.
const (
	// Hold keeps the version back, as if it were too young (the default).
	Hold MissingTimestamp = "hold"
	// Allow lets the version through the age check.
	Allow MissingTimestamp = "allow"
)

// Pin is how a native OCI source records the version it runs.
type Pin string

// The values of pin.
const (
	// PinTag writes the version's tag into targetRevision, and turns a digest pin back
	// into a tag at the next promotion.
	PinTag Pin = "tag"
	// PinDigest writes the manifest digest ("sha256:…") with the version in a trailing
	// comment the tool owns ("# chart-promoter: version=1.4.2"): Git then records
	// exactly which artifact runs, which a re-pushed tag could change. Only Argo CD's
	// native oci:// sources can take a digest; Helm resolves --version itself.
	PinDigest Pin = "digest"
)

// TimeSource is where a version's release time may come from.
type TimeSource string

// The values of releaseTime, and the default order.
const (
	// TransparencyLog is the integrated time of the verified signature's transparency-log
	// entry: signed by the log, it cannot be back-dated.
	TransparencyLog TimeSource = "tlog"
	// Created is the manifest annotation org.opencontainers.image.created, which helm push
	// writes since Helm 3.13; whoever pushes can write any time there.
	Created TimeSource = "created"
)

// defaultReleaseTime is the order of trust used when no rule sets releaseTime.
var defaultReleaseTime = []TimeSource{TransparencyLog, Created}

// DefaultReleaseTime returns the time sources used when no rule sets releaseTime, most
// trusted first.
func DefaultReleaseTime() []TimeSource { return append([]TimeSource(nil), defaultReleaseTime...) }

// Provider is one item of verify.providers: exactly one of its fields is set.
type Provider struct {
	// Pos is where the provider is written.
	Pos            Pos
	Cosign         *Cosign
	Notation       *Notation
	HelmProvenance *HelmProvenance
}

// Name is the provider's key in the config: cosign, notation or helmProvenance.
func (p Provider) Name() string {
	switch {
	case p.Cosign != nil:
		return "cosign"
	case p.Notation != nil:
		return "notation"
	case p.HelmProvenance != nil:
		return "helmProvenance"
	}
	return ""
}

// String describes the provider for explain and reports.
func (p Provider) String() string {
	switch {
	case p.Cosign != nil && p.Cosign.Keyless != nil:
		k := p.Cosign.Keyless
		s := fmt.Sprintf("cosign keyless (issuer %s, subject %s)", orRegexp(k.Issuer, k.IssuerRegExp), orRegexp(k.Subject, k.SubjectRegExp))
		if p.Cosign.TrustedRoot != "" {
			s += ", trusted root " + p.Cosign.TrustedRoot
		}
		return s
	case p.Cosign != nil:
		s := fmt.Sprintf("cosign keys %v", p.Cosign.PublicKeys)
		if p.Cosign.TrustedRoot != "" {
			s += ", trusted root " + p.Cosign.TrustedRoot
		}
		return s
	case p.Notation != nil:
		return fmt.Sprintf("notation (trust policy %s, trust store %s)", p.Notation.TrustPolicy, p.Notation.TrustStore)
	case p.HelmProvenance != nil:
		return "helmProvenance (keyring " + p.HelmProvenance.Keyring + ")"
	}
	return "no provider"
}

func orRegexp(exact, re string) string {
	if exact != "" {
		return fmt.Sprintf("%q", exact)
	}
	return fmt.Sprintf("matching /%s/", re)
}

// Cosign is a cosign or Sigstore signature check: keyed (PublicKeys) or keyless (Keyless),
// never both. Paths are absolute, resolved against the config file's directory.
type Cosign struct {
	// PublicKeys are PEM public key files; a signature by any of them passes.
	PublicKeys []string
	// Keyless is the certificate identity a keyless signature must carry.
	Keyless *Keyless
	// TrustedRoot is a Sigstore trusted root JSON file; "" means the public-good root
	// through TUF.
	TrustedRoot string
}

// Keyless is a Fulcio certificate identity, the shape sigstore-go's
// NewShortCertificateIdentity takes: for each of issuer and subject, exactly one of the
// exact value and the regular expression is set. Regular expressions are Go RE2 syntax,
// anchored with ^ (the loader refuses unanchored ones, which match too much).
type Keyless struct {
	Issuer, IssuerRegExp   string
	Subject, SubjectRegExp string
}

// Notation is a Notary Project signature check, with notation's own file formats.
type Notation struct {
	// TrustPolicy is the trust policy JSON file (absolute path).
	TrustPolicy string
	// TrustStore is the trust store directory (absolute path).
	TrustStore string
}

// HelmProvenance is a check of the chart's Helm provenance (.prov) layer.
type HelmProvenance struct {
	// Keyring is the OpenPGP public keyring file (absolute path).
	Keyring string
}
