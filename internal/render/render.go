// Package render shows a reviewer what a new chart version changes in the cluster: it
// renders the chart at the current and the new version with one Application's own Helm
// settings, in-process and cluster-free, the way Argo CD's repo server runs
// `helm template`, and compares the two: which resources appear, vanish or change, which
// container images and CRDs move, and a unified diff, with Secret values redacted.
//
// Rendering never fails a promotion: whatever goes wrong (a missing values file, a
// template error, a chart that takes too long) becomes a note on the Application.
//
// Budgets, per Application: a chart archive of at most registry.MaxChartBytes, unpacked to
// at most 100 MiB (Helm's own limit); DefaultTimeout for rendering both versions, after
// which the render is abandoned and noted; DefaultMaxRenderedBytes of output per version,
// beyond which it is not compared. A template cannot be interrupted once Helm runs it: an
// abandoned render finishes in the background and its output is thrown away.
package render

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Budgets of one Application's rendering.
const (
	// DefaultTimeout bounds rendering both versions of one Application.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxRenderedBytes bounds the output of one version that is compared.
	DefaultMaxRenderedBytes = 32 << 20
	// maxNoteBytes bounds one note: an error from a chart's template can quote a lot.
	maxNoteBytes = 400
)

// Result is the reviewer's view of one change. The JSON names are a contract.
type Result struct {
	// Rendered is false when the chart could not be rendered at both versions; Notes say why.
	Rendered bool `json:"rendered"`
	// Summary counts what the new version adds, removes and changes.
	Summary Summary `json:"summary"`
	// ValuesDiff is the unified diff of the chart's default values.yaml.
	ValuesDiff string `json:"valuesDiff"`
	// Diff is the unified diff of the rendered resources, one file per resource.
	Diff string `json:"diff"`
	// Notes say what was left out and why, and what failed.
	Notes []string `json:"notes"`
	// ReleaseNotes links the new version's release, when one was found.
	ReleaseNotes string `json:"releaseNotes,omitempty"`
	// From and To are the versions compared.
	From string `json:"from"`
	To   string `json:"to"`
}

// Note adds a note, cut to a readable length.
func (r *Result) Note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	if len(n) > maxNoteBytes {
		n = n[:maxNoteBytes] + "…"
	}
	r.Notes = append(r.Notes, n)
}

// NewResult returns an empty result for the versions from and to, ready for notes.
func NewResult(from, to string) *Result {
	return &Result{Summary: newSummary(), Notes: []string{}, From: from, To: to}
}

// Options bound and inform rendering.
type Options struct {
	// Cluster is what is assumed of the destination cluster.
	Cluster Cluster
	// Repository reads $ref value files; nil leaves them out with a note.
	Repository Repository
	// Timeout bounds rendering both versions; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxRenderedBytes bounds one version's output; 0 means DefaultMaxRenderedBytes.
	MaxRenderedBytes int
}

// Compare renders app's chart at from and at to and fills in res (whose ValuesDiff the
// caller may already have set): the summary, the diff and the notes. It never fails:
// what goes wrong is a note.
func Compare(ctx context.Context, app *Application, from, to *Chart, opts Options, res *Result) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxRenderedBytes <= 0 {
		opts.MaxRenderedBytes = DefaultMaxRenderedBytes
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	type rendering struct {
		out   string
		notes []string
		err   error
	}
	done := make(chan [2]rendering, 1)
	go func() {
		var r [2]rendering
		for i, c := range []*Chart{from, to} {
			if ctx.Err() != nil {
				break
			}
			r[i].out, r[i].notes, r[i].err = renderOne(ctx, app, c, opts)
		}
		done <- r
	}()
	var r [2]rendering
	select {
	case r = <-done:
	case <-ctx.Done():
	}
	if ctx.Err() != nil {
		res.Note("not rendered: rendering %s and %s took longer than %s", from.Version, to.Version, opts.Timeout)
		return
	}
	seen := map[string]bool{}
	for _, x := range r {
		for _, n := range x.notes {
			if !seen[n] {
				seen[n] = true
				res.Note("%s", n)
			}
		}
	}
	failed := false
	for i, x := range r {
		v := []string{from.Version, to.Version}[i]
		var argo *errArgoFails
		switch {
		case errors.As(x.err, &argo):
			res.Note("not rendered at %s: %s", v, x.err)
			failed = true
		case x.err != nil:
			res.Note("not rendered: %s fails to render: %s", v, oneLine(x.err.Error()))
			failed = true
		case len(x.out) > opts.MaxRenderedBytes:
			res.Note("not compared: %s renders %d MiB, more than the %d MiB compared", v, len(x.out)>>20, opts.MaxRenderedBytes>>20)
			failed = true
		}
	}
	if failed {
		return
	}
	before, n1 := parseManifests(r[0].out)
	after, n2 := parseManifests(r[1].out)
	for _, n := range append(n1, n2...) {
		res.Note("%s", n)
	}
	var notes []string
	res.Summary, res.Diff, notes = compare(before, after, from.Version, to.Version)
	res.Rendered = true
	for _, n := range notes {
		res.Note("%s", n)
	}
	if to.usesLookup() || from.usesLookup() {
		res.Note("the chart calls lookup, which finds nothing without a cluster: what it would read is not rendered")
	}
}

// renderOne renders one version: values first (they may differ per version, since
// value files without $ref are read from the chart itself), then the templates.
func renderOne(ctx context.Context, app *Application, c *Chart, opts Options) (string, []string, error) {
	vals, err := valuesFor(app, buildEnv(app, c.Version), c.files, opts.Repository)
	if err != nil {
		return "", nil, err
	}
	out, err := template(ctx, c, app, vals.vals, opts.Cluster)
	return out, vals.notes, err
}

// ValuesDiff is the unified diff of the default values.yaml of two chart versions.
func ValuesDiff(from, to *Chart) string {
	var b strings.Builder
	unified(&b, from.Version+"/values.yaml", to.Version+"/values.yaml", string(from.DefaultValues()), string(to.DefaultValues()))
	return b.String()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
