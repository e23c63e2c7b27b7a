package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/provenance"
)

// LockFileName is the file beside Chart.yaml in which Helm records the versions its
// dependencies resolved to.
const LockFileName = "Chart.lock"

// LockDigest returns the digest Helm records in Chart.lock for a chart whose Chart.yaml
// and Chart.lock hold these bytes, computed exactly as Helm does it: both files read by
// Helm's own loader into its own types (so field order, omitempty and the loader's
// clean-up of strings agree), the JSON of [Chart.yaml's dependencies, Chart.lock's
// dependencies] hashed with SHA-256 (helm.sh/helm/v3 internal/resolver HashReq). `helm
// dependency build` compares it with the digest the lock records and refuses a lock
// whose digest differs ("out of sync").
func LockDigest(chartYAML, lock []byte) (string, error) {
	c, err := loader.LoadFiles([]*loader.BufferedFile{
		{Name: "Chart.yaml", Data: chartYAML},
		{Name: LockFileName, Data: lock},
	})
	if err != nil {
		return "", fmt.Errorf("the chart does not load in Helm: %w", err)
	}
	if c.Metadata.APIVersion != chart.APIVersionV2 {
		// Helm 2's charts keep dependencies in requirements.yaml and hash them differently.
		return "", fmt.Errorf("apiVersion %q in Chart.yaml: only apiVersion v2 charts keep their dependencies in Chart.yaml and Chart.lock", c.Metadata.APIVersion)
	}
	if c.Lock == nil {
		return "", errors.New("the chart's Chart.lock is empty")
	}
	data, err := json.Marshal([2][]*chart.Dependency{c.Metadata.Dependencies, c.Lock.Dependencies})
	if err != nil {
		return "", err
	}
	sum, err := provenance.Digest(bytes.NewReader(data))
	if err != nil {
		return "", err
	}
	return "sha256:" + sum, nil
}

// chartLock is a Chart.lock as chart-promoter edits it: where its values are.
type chartLock struct {
	// digest and generated are the top-level values; nil when absent.
	digest, generated *yaml.Node
	// entries are dependencies[i], in order: Helm writes one per Chart.yaml dependency,
	// in the same order.
	entries []lockEntry
	index   *lineIndex
}

// lockEntry is one item of Chart.lock's dependencies.
type lockEntry struct {
	name, repository string
	version          *yaml.Node
}

// parseLock reads Chart.lock's structure. It accepts what Helm writes and what a person
// may make of it (comments, quoting, flow style, CRLF); anything else is an error that
// says what is wrong.
func parseLock(data []byte) (*chartLock, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		line, msg := YAMLErrorLine(data, err)
		return nil, fmt.Errorf("line %d: does not parse as YAML: %s", line, msg)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, errors.New("holds more than one YAML document")
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("is not a mapping with dependencies, digest and generated")
	}
	root := doc.Content[0]
	lf := &chartLock{index: newLineIndex(data)}
	_, lf.digest = ownPair(root, "digest")
	_, lf.generated = ownPair(root, "generated")
	_, deps := ownPair(root, "dependencies")
	if deps != nil && deps.Kind == yaml.SequenceNode {
		for _, item := range deps.Content {
			_, v := ownPair(item, "version")
			lf.entries = append(lf.entries, lockEntry{
				name:       scalarValue(lookup(item, "name")),
				repository: scalarValue(lookup(item, "repository")),
				version:    v,
			})
		}
	}
	return lf, nil
}

// LockEdits returns the edits that bring Chart.lock in step after dependency versions
// change, the way `helm dependency update` would leave it, without downloading a chart:
// versions are the edits of the entries' versions, digest is recomputed with LockDigest
// from chartYAMLAfter (Chart.yaml as it will be) and the lock with those versions, and
// generated is set to now. chartYAMLBefore and lockBefore are the files as they are.
//
// It refuses a lock whose recorded digest is not the one Helm computes from the files as
// they are: Helm refuses that lock too, and an edit could not tell which side was meant
// (a dependency on a repository alias such as "@bitnami", which Helm resolves through
// the local repositories.yaml before hashing, also ends here).
func LockEdits(chartYAMLBefore, lockBefore, chartYAMLAfter []byte, versions []Edit, now time.Time) ([]Edit, error) {
	lf, err := parseLock(lockBefore)
	if err != nil {
		return nil, fmt.Errorf("%s %v", LockFileName, err)
	}
	if lf.digest == nil {
		return nil, fmt.Errorf("%s has no digest: run helm dependency update, commit the lock, and run again", LockFileName)
	}
	want, err := LockDigest(chartYAMLBefore, lockBefore)
	if err != nil {
		return nil, err
	}
	if got := lf.digest.Value; got != want {
		return nil, fmt.Errorf("%s is out of sync with Chart.yaml already (it records digest %s, Helm computes %s from the files as they are, and helm dependency build refuses it): run helm dependency update, commit, and run again", LockFileName, got, want)
	}
	mid, err := Splice(lockBefore, versions)
	if err != nil {
		return nil, err
	}
	digest, err := LockDigest(chartYAMLAfter, mid)
	if err != nil {
		return nil, err
	}
	out := append([]Edit(nil), versions...)
	out = append(out, Edit{Location: lf.index.locate(lf.digest, "digest"), Old: lf.digest.Value, New: digest})
	if lf.generated != nil {
		// Helm writes the time as JSON does (RFC 3339 with nanoseconds); the rewrite keeps
		// its quotes, without which YAML would read it as a timestamp, not a string.
		out = append(out, Edit{Location: lf.index.locate(lf.generated, "generated"), Old: lf.generated.Value, New: now.UTC().Format(time.RFC3339Nano)})
	}
	return out, nil
}

// Move is one dependency of a Helm chart to move: its source as discovery read it, and
// the version to write, in Helm's spelling.
type Move struct {
	Source Source
	To     string
}

// DependencyEdits returns the edits of one chart's Chart.yaml and Chart.lock that move
// its dependencies: Chart.yaml's version where it is exact (a range stays as it is), and,
// when the chart has a lock, each entry's version, the digest and generated (LockEdits).
// chartYAML and lock are the files as discovery read them; lock is nil when the chart has
// none.
func DependencyEdits(chartYAML, lock []byte, moves []Move, now time.Time) (chartEdits, lockEdits []Edit, err error) {
	var versions []Edit
	for _, m := range moves {
		s := m.Source
		if s.Dependency == nil {
			return nil, nil, fmt.Errorf("%s:%d: not a dependency of a Helm chart", s.File, s.Location.Line)
		}
		if s.Dependency.Range == "" {
			chartEdits = append(chartEdits, Edit{Location: s.Location, Old: s.Revision, New: m.To})
		}
		if s.Dependency.LockFile != "" {
			versions = append(versions, Edit{Location: s.Dependency.LockLocation, Old: s.Dependency.LockVersion, New: m.To})
		}
	}
	if len(versions) == 0 {
		return chartEdits, nil, nil
	}
	if lock == nil {
		return nil, nil, fmt.Errorf("the chart's %s is missing: it was read when the plan was made", LockFileName)
	}
	after, err := Splice(chartYAML, chartEdits)
	if err != nil {
		return nil, nil, err
	}
	lockEdits, err = LockEdits(chartYAML, lock, after, versions, now)
	if err != nil {
		return nil, nil, err
	}
	return chartEdits, lockEdits, nil
}
