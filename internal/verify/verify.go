// Package verify checks that a chart version held in an OCI registry was signed by a
// publisher a rule trusts, before a promotion proposes it. Each way of signing is a
// Provider in a file of its own (cosign keyed and keyless, Notation, Helm provenance); a
// Policy passes a version when any one of its providers does.
//
// Verification fails closed: a provider that cannot decide (the registry did not answer,
// the trust material is unreadable) returns an error, which is never a pass.
package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Subject is the chart version to verify.
type Subject struct {
	// Chart is the normalised chart repository, host[:port]/path/name, no scheme.
	Chart string
	// Tag is the tag the version was found under.
	Tag string
	// Descriptor is the chart manifest's descriptor: its digest is what a signature must cover.
	Descriptor ocispec.Descriptor
	// Manifest is the chart's image manifest as read; its layers include the chart archive and,
	// when the publisher made one, the Helm provenance file.
	Manifest ocispec.Manifest
	// SignatureRepository, when set, is where the signatures are kept instead of Chart (a
	// rule's signatureRepository). Policy.Verify fills it in from its own field.
	SignatureRepository string
}

// SignatureRepositoryOrChart is the repository a provider looks for signatures in.
func (s Subject) SignatureRepositoryOrChart() string {
	if s.SignatureRepository != "" {
		return s.SignatureRepository
	}
	return s.Chart
}

// Store is read access to one repository: what every provider needs of a registry.
// Stores that also implement oras-go's registry.ReferrerLister serve the OCI 1.1
// referrers API; providers fall back to the referrers tag scheme (sha256-<hex>) otherwise.
type Store interface {
	// Resolve turns a tag or digest into a descriptor.
	Resolve(ctx context.Context, reference string) (ocispec.Descriptor, error)
	// Fetch reads the content a descriptor names. Callers verify size and digest.
	Fetch(ctx context.Context, target ocispec.Descriptor) (io.ReadCloser, error)
}

// ReferenceFetcher is what a Store may also implement to read a tag's manifest in one
// request, where Resolve and Fetch take two: signature lookups by tag (cosign's
// sha256-<hex>.sig) are on the path of every verified version, and the registry may count
// each request.
type ReferenceFetcher interface {
	FetchReference(ctx context.Context, reference string) (ocispec.Descriptor, io.ReadCloser, error)
}

// Stores opens repositories by name (host[:port]/path/name), through the same mirrors and
// credentials as the rest of the run: the chart's own repository, or the one a rule's
// signatureRepository names.
type Stores interface {
	Open(ctx context.Context, repository string) (Store, error)
}

// Result is what a passing verification established, as a reviewer should see it. The
// JSON names are a contract ("verification" in plan --json).
type Result struct {
	// Provider names the provider that passed: cosign, notation or helmProvenance.
	Provider string `json:"provider"`
	// Identity is who signed: the certificate's subject (keyless, Notation) or the key's
	// user ID (Helm provenance).
	Identity string `json:"identity,omitempty"`
	// Issuer is the OIDC issuer of a keyless signature.
	Issuer string `json:"issuer,omitempty"`
	// KeyID identifies the key: a public key's fingerprint or file, a certificate's SHA-256.
	KeyID string `json:"keyId,omitempty"`
	// TlogTime is the transparency log's integrated time, which cannot be back-dated: the
	// most trustworthy release time there is.
	TlogTime *time.Time `json:"tlogTime,omitempty"`
	// Signed is false when verification is not required and no provider passed: the
	// version is let through, and Reason says why it was not verified.
	Signed bool   `json:"signed"`
	Reason string `json:"reason,omitempty"`
}

// Provider is one way of checking a signature.
type Provider interface {
	// Name is the provider's name in reports and config: cosign, notation, helmProvenance.
	Name() string
	// Verify checks subject. It returns a *RejectedError when the version is unsigned, signed
	// by someone the provider does not trust, or tampered with, and any other error when it
	// cannot decide.
	Verify(ctx context.Context, stores Stores, subject Subject) (Result, error)
}

// RejectedError says a version is not signed as the policy requires. It is a decision,
// unlike other errors, which mean the check could not be made.
type RejectedError struct {
	Provider string
	Reason   string
}

func (e *RejectedError) Error() string { return e.Provider + ": " + e.Reason }

// Rejected reports whether err is a decision against the version rather than a failure to
// decide.
func Rejected(err error) bool {
	var r *RejectedError
	return errors.As(err, &r)
}

// Policy is a rule's verify block, ready to run.
type Policy struct {
	// Providers are tried in order; the first that passes decides.
	Providers []Provider
	// Required fails closed: no passing provider means the version is held. When false the
	// version passes anyway, and the result records why it was not verified.
	Required bool
	// SignatureRepository, when set, is where signatures are kept instead of the chart's
	// own repository (like COSIGN_REPOSITORY).
	SignatureRepository string
}

// Verify runs the providers in order and returns the first pass. When none passes it
// returns a *RejectedError joining their reasons (or, when Required is false, an unsigned
// Result). An error that is not a rejection stops the check: it means the policy could
// not be evaluated, which is never a pass.
func (p Policy) Verify(ctx context.Context, stores Stores, subject Subject) (Result, error) {
	if len(p.Providers) == 0 {
		return Result{}, errors.New("verify: no providers configured")
	}
	if subject.SignatureRepository == "" {
		subject.SignatureRepository = p.SignatureRepository
	}
	var reasons []string
	for _, prov := range p.Providers {
		res, err := prov.Verify(ctx, stores, subject)
		if err == nil {
			res.Signed = true
			if res.Provider == "" {
				res.Provider = prov.Name()
			}
			return res, nil
		}
		if !Rejected(err) {
			return Result{}, fmt.Errorf("%s: %w", prov.Name(), err)
		}
		reasons = append(reasons, err.Error())
	}
	reason := joinReasons(reasons)
	if !p.Required {
		return Result{Signed: false, Reason: reason}, nil
	}
	return Result{}, &RejectedError{Provider: "verify", Reason: reason}
}

func joinReasons(reasons []string) string {
	out := ""
	for i, r := range reasons {
		if i > 0 {
			out += "; "
		}
		out += r
	}
	return out
}
