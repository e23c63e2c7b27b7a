package promote

import (
	"fmt"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/version"
)

// revisionSkip says why a source whose version is not a plain version is left alone, in
// the words of the tool that reads it; "" when rev is a version.
func revisionSkip(form manifest.Form, rev string, kind version.RevisionKind) string {
	switch form {
	case manifest.Kustomize:
		switch kind {
		case version.Range:
			return fmt.Sprintf("version %q is a range: helm pull resolves it each time kustomize renders", rev)
		case version.Digest:
			return fmt.Sprintf("version %q is a digest, which helm pull does not take: write a version", rev)
		case version.Templated:
			return fmt.Sprintf("version %q is templated: its value is only known after rendering", rev)
		case version.Empty:
			return "version is empty: kustomize pulls the newest version each time it renders"
		case version.Other:
			return fmt.Sprintf("version %q is not a version", rev)
		}
	case manifest.HelmDependency:
		switch kind {
		case version.Range, version.Digest, version.Templated, version.Empty, version.Other:
			// A range in Chart.yaml is read through the lock, so this is the lock's value.
			return fmt.Sprintf("Chart.lock records %q, which is not a version: run helm dependency update", rev)
		}
	default:
		switch kind {
		case version.Range:
			return fmt.Sprintf("targetRevision %q is a range: Argo CD resolves it at sync time", rev)
		case version.Digest:
			return fmt.Sprintf("targetRevision %q is a digest: pinned on purpose", rev)
		case version.Templated:
			return fmt.Sprintf("targetRevision %q is templated: its value is only known after rendering", rev)
		case version.Empty:
			return "targetRevision is empty: Argo CD follows the newest version itself"
		case version.Other:
			return fmt.Sprintf("targetRevision %q is not a version", rev)
		}
	}
	return ""
}

// withinRange narrows a source's constraint to a Helm chart's version range, which Helm
// holds every locked version to.
func withinRange(text, origin, rng string) (*version.Constraint, string, error) {
	if text == version.AnyVersion {
		c, err := version.ParseConstraint(rng)
		if err != nil {
			return nil, "", fmt.Errorf("the version range %q in Chart.yaml: %v", rng, err)
		}
		return c, "the version range in Chart.yaml", nil
	}
	c, err := version.ParseConstraint(text + ", " + rng)
	if err != nil {
		return nil, "", fmt.Errorf("%s (set by %s) within Chart.yaml's range %q: %v", text, origin, rng, err)
	}
	return c, origin + ", within the version range in Chart.yaml", nil
}

// heldBackByRange tells, for a source a Helm chart's range keeps where it is, which newer
// version the policy alone would allow; "" when there is none.
func heldBackByRange(c candidate, r *resolution) string {
	for _, v := range r.versions {
		if version.Compare(v.SemVer, c.current.SemVer) <= 0 {
			break
		}
		if c.unranged.Allows(v) && !c.constraint.Allows(v) {
			return fmt.Sprintf(", but %s is out and Chart.yaml's range %s does not allow it: widen the range in Chart.yaml to promote it", v, c.src.Dependency.Range)
		}
	}
	return ""
}

// pinAs writes a change as a digest pin when the source is one or a rule asks for one,
// and says so when a rule asks for one that the source cannot take.
func pinAs(change *Change, c candidate, best *chartVersion) error {
	src, pin := c.src, c.rules.Pin
	if src.Form != manifest.NativeOCI {
		if pin.Value == config.PinDigest {
			change.Warnings = append(change.Warnings, fmt.Sprintf("pin: digest (%s) does not apply: a %s source is read by Helm, which takes a version, not a digest (only Argo CD's native oci:// sources can be pinned by digest); it moves by version", pin.From, src.Form))
		}
		return nil
	}
	digest := src.DigestVersion != "" && pin.Value != config.PinTag || pin.Value == config.PinDigest
	switch {
	case digest:
		if !strings.HasPrefix(best.chart.Digest, "sha256:") {
			return fmt.Errorf("the registry gave no sha256 digest for %s:%s, so it cannot be pinned by digest", src.Chart, best.version.Tag)
		}
		change.Pin = string(config.PinDigest)
		change.FromVersion, change.ToVersion = src.Revision, change.To
		if src.DigestVersion != "" {
			change.FromVersion = src.DigestVersion
		}
		change.To = best.chart.Digest
		change.edit.New = best.chart.Digest
		change.edit.Comment = manifest.CommentMarker + " version=" + change.ToVersion
	case src.DigestVersion != "":
		// pin: tag turns the digest pin back into the tag, and its comment goes.
		change.FromVersion = src.DigestVersion
		change.edit.DropComment = true
	}
	return nil
}
