// Package gate holds the checks a chart version passes before it is proposed. Resolution
// walks the versions a source's constraint allows, newest first, through a chain of gates
// (is it a Helm chart, is it signed by the right publisher, is it old enough); the first
// version every gate passes is proposed, and every version a gate held back is recorded
// with the gate's reason. Each gate is a file of its own.
//
// A gate that cannot decide (the registry failed, the trust material is unreadable)
// returns an error: the chart fails, it never passes.
package gate

import (
	"context"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/verify"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// Gate is one check a chart version must pass to be proposed.
type Gate interface {
	// Name is the gate's name in held lists: chart, signature, age or tag.
	Name() string
	// Check returns nil when c passes, a Hold when the gate decides against c, and an
	// error when it cannot decide. The chart gate's error wraps registry.ErrNotChart for a
	// tag that is not a chart version at all (a container image): passed over, not held.
	Check(ctx context.Context, c *Candidate) (*Hold, error)
}

// Registry is what the gates read of a registry; *registry.Client provides it.
type Registry interface {
	// Chart reads the manifest of chart:reference (a tag or a digest), checks that it is a
	// Helm chart and reads its metadata.
	Chart(ctx context.Context, chart, reference string) (registry.ChartVersion, error)
	// Open gives read access to a repository: a HEAD of a tag, a blob, a signature.
	verify.Stores
}

// Hold is a version a gate passed over. The JSON names are a contract ("held" in
// plan --json).
type Hold struct {
	// Version is the version held back, as Helm spells it ("1.2.5", "2.1.0+b.6").
	Version string `json:"version"`
	// Gate names the gate: signature or age.
	Gate string `json:"gate"`
	// Reason says why, in a sentence a reviewer can act on.
	Reason string `json:"reason"`
	// Until is when the version becomes eligible, when the gate knows (a version too young).
	Until *time.Time `json:"until,omitempty"`
	// Tag is the registry tag of Version.
	Tag string `json:"-"`
}

// String says in one line which version was held, by which gate, why, and until when.
func (h Hold) String() string {
	s := h.Version + " held by " + h.Gate + ": " + h.Reason
	if h.Until != nil {
		s += "; eligible from " + h.Until.UTC().Format(time.RFC3339)
	}
	return s
}

// TagRef names one tag of one chart repository (host[:port]/path/name, no scheme).
type TagRef struct{ Chart, Tag string }

// Known is a chart version an open pull request proposes, as the hidden marker in its
// body recorded it. A later run confirms such a version with a HEAD of its manifest
// instead of a GET (Docker Hub counts every manifest GET as a pull), and a tag that now
// holds another digest stops the chart (the re-push alarm).
type Known struct {
	// Digest is the manifest digest the pull request proposed.
	Digest string
	// PullRequest and Branch are the pull request that recorded it.
	PullRequest int
	Branch      string
	// Config is the chart's config blob: with it the metadata is read without the manifest.
	// A zero Config (a marker written before it was recorded) means the manifest is read.
	Config ocispec.Descriptor
	// Created is the manifest's org.opencontainers.image.created annotation, "" when none.
	Created string
}

// AnnotationCreated is the manifest annotation helm push (3.13 and later) writes with the
// time the chart was pushed.
const AnnotationCreated = ocispec.AnnotationCreated

// Repository is the candidates of one chart repository during one run. Chains of
// different policies walk the same versions: what one gate read of a version is kept
// for the next. It is not safe for concurrent use; a repository is resolved by one
// goroutine.
type Repository struct {
	chart      string
	reg        Registry
	known      map[string][]Known // by tag
	candidates map[string]*Candidate
	store      verify.Store
}

// NewRepository returns the candidates of chart, read through reg. known are the versions
// open pull requests propose, by tag.
func NewRepository(reg Registry, chart string, known map[string][]Known) *Repository {
	return &Repository{chart: chart, reg: reg, known: known, candidates: map[string]*Candidate{}}
}

// Candidate returns the candidate for v, the same one each time it is asked for.
func (r *Repository) Candidate(v version.Version) *Candidate {
	c := r.candidates[v.Tag]
	if c == nil {
		c = &Candidate{Chart: r.chart, Version: v, repo: r}
		r.candidates[v.Tag] = c
	}
	return c
}

// Proposed returns the candidates among versions that open pull requests propose.
func (r *Repository) Proposed(versions []version.Version) []*Candidate {
	if len(r.known) == 0 {
		return nil
	}
	var out []*Candidate
	for _, v := range versions {
		if len(r.known[v.Tag]) > 0 {
			out = append(out, r.Candidate(v))
		}
	}
	return out
}

// open returns the repository's store, opened once.
func (r *Repository) open(ctx context.Context) (verify.Store, error) {
	if r.store != nil {
		return r.store, nil
	}
	s, err := r.reg.Open(ctx, r.chart)
	if err != nil {
		return nil, err
	}
	r.store = s
	return s, nil
}

// Candidate is one version of a chart on its way through the gates, with what the gates
// have read of it so far.
type Candidate struct {
	// Chart is the normalised chart repository.
	Chart string
	// Version is the version and its tag.
	Version version.Version

	repo *Repository
	// head is the HEAD answer for the tag, asked only for versions open PRs propose.
	head    *ocispec.Descriptor
	headErr error
	// chart is the chart version once the chart gate confirmed it; complete says whether
	// chart.Manifest was read whole or rebuilt from a pull request's marker.
	chart    *registry.ChartVersion
	chartErr error
	complete bool
	verified map[*verify.Policy]verification
}

type verification struct {
	result verify.Result
	err    error
}

// Known returns what open pull requests recorded for this version.
func (c *Candidate) Known() []Known { return c.repo.known[c.Version.Tag] }

// ChartVersion returns the chart version the chart gate confirmed (nil before, or when it
// did not).
func (c *Candidate) ChartVersion() *registry.ChartVersion { return c.chart }

// Verification returns what policy's check found, nil when it has not run or failed.
func (c *Candidate) Verification(policy *verify.Policy) *verify.Result {
	v, ok := c.verified[policy]
	if !ok || v.err != nil {
		return nil
	}
	return &v.result
}

// resolve asks the registry, with a HEAD, which manifest the tag points at now.
func (c *Candidate) resolve(ctx context.Context) (ocispec.Descriptor, error) {
	if c.head != nil || c.headErr != nil {
		if c.headErr != nil {
			return ocispec.Descriptor{}, c.headErr
		}
		return *c.head, nil
	}
	store, err := c.repo.open(ctx)
	if err == nil {
		var desc ocispec.Descriptor
		if desc, err = store.Resolve(ctx, c.Version.Tag); err == nil {
			c.head = &desc
			return desc, nil
		}
	}
	c.headErr = err
	return ocispec.Descriptor{}, err
}

// manifest returns the chart version with its manifest read whole, reading it by digest
// when the chart gate rebuilt it from a marker.
func (c *Candidate) manifest(ctx context.Context) (*registry.ChartVersion, error) {
	if c.chart == nil {
		return nil, c.chartErr
	}
	if c.complete {
		return c.chart, nil
	}
	cv, err := c.repo.reg.Chart(ctx, c.Chart, c.chart.Digest)
	if err != nil {
		return nil, err
	}
	cv.Tag = c.Version.Tag
	c.chart, c.complete = &cv, true
	return c.chart, nil
}
