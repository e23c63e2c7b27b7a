package gate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/verify"
)

// Signature holds back versions a rule's verify policy does not pass: unsigned, signed by
// someone the policy does not trust, or changed after signing. Any of the policy's
// providers passing is a pass; with Required false the version passes unsigned and the
// result says why it was not verified. A check that cannot be made (the registry failed,
// the trust material is unreadable) is an error, never a pass.
type Signature struct {
	// Policy is the rule's verify block.
	Policy *verify.Policy
	// Stores open the repositories that hold signatures (the chart's, or the policy's
	// signatureRepository), through the run's mirrors and credentials.
	Stores verify.Stores
}

// Name is "signature".
func (Signature) Name() string { return "signature" }

// Check verifies c once per policy; the result is kept on c for the change's
// "verification" and for the age gate's transparency-log time.
func (g Signature) Check(ctx context.Context, c *Candidate) (*Hold, error) {
	if c.verified == nil {
		c.verified = map[*verify.Policy]verification{}
	}
	v, done := c.verified[g.Policy]
	if !done {
		v.result, v.err = g.verify(ctx, c)
		c.verified[g.Policy] = v
	}
	var rejected *verify.RejectedError
	switch {
	case errors.As(v.err, &rejected):
		return &Hold{Gate: g.Name(), Reason: rejected.Reason}, nil
	case v.err != nil:
		return nil, fmt.Errorf("could not verify the signature of %s (fails closed: nothing is proposed until it can be checked): %w", c.Version.Tag, v.err)
	}
	return nil, nil
}

func (g Signature) verify(ctx context.Context, c *Candidate) (verify.Result, error) {
	cv, err := c.manifest(ctx)
	if err != nil {
		return verify.Result{}, err
	}
	return g.Policy.Verify(ctx, g.Stores, verify.Subject{Chart: c.Chart, Tag: c.Version.Tag, Descriptor: cv.Descriptor, Manifest: cv.Manifest})
}

// Describe says in one line what a verification established, for reports and pull
// requests: who signed, with which key, and when the transparency log saw it.
func Describe(r verify.Result) string {
	if !r.Signed {
		if r.Reason == "" {
			return "not verified (the rule does not require it)"
		}
		return "not verified (the rule does not require it): " + r.Reason
	}
	parts := []string{"verified by " + r.Provider}
	if r.Identity != "" {
		parts = append(parts, "identity "+r.Identity)
	}
	if r.Issuer != "" {
		parts = append(parts, "issuer "+r.Issuer)
	}
	if r.KeyID != "" {
		parts = append(parts, "key "+r.KeyID)
	}
	if r.TlogTime != nil {
		parts = append(parts, "transparency log "+r.TlogTime.UTC().Format(time.RFC3339))
	}
	return strings.Join(parts, ", ")
}
