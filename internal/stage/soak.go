// Package stage decides what a downstream stage (production) may take from its upstream
// stage (staging), from Git alone: the versions the upstream Applications have run on
// the base branch, and for how long.
//
// The rule: a downstream source gets the newest version that every one of its upstream
// sources has run, without interruption, for at least the stage's soak time, and that is
// not newer than what each upstream runs now. The clock of a run starts at the committer
// time of the commit that brought the version onto the base branch's first-parent line,
// so a version that left and came back (A→B→A) starts a new run, and only a version's
// latest run counts.
package stage

import (
	"time"

	"github.com/chart-promoter/chart-promoter/internal/version"
)

// Run is one unbroken stretch of the base branch's history during which an upstream
// source named one version.
type Run struct {
	// Version is the version the source named.
	Version version.Version
	// Start is the committer time of the commit that brought the version in.
	Start time.Time
	// End is when the next version replaced it; zero for the run that goes on today.
	End time.Time
}

// Current reports whether the run is still going on.
func (r Run) Current() bool { return r.End.IsZero() }

// Soaked reports whether the run has lasted at least soak by now.
func (r Run) Soaked(soak time.Duration, now time.Time) bool {
	end := r.End
	if end.IsZero() {
		end = now
	}
	return end.Sub(r.Start) >= soak
}

// Upstream is one upstream source and the runs of its history, newest first.
type Upstream struct {
	// Application and File name the upstream source for reports.
	Application, File string
	// Runs are the runs of its history, newest first; Runs[0] is the current one.
	Runs []Run
}

// Current returns the version the upstream runs now, and since when.
func (u Upstream) Current() (Run, bool) {
	if len(u.Runs) == 0 || !u.Runs[0].Current() {
		return Run{}, false
	}
	return u.Runs[0], true
}

// eligible returns, per version, the run that makes it eligible: a version is eligible
// when its latest run lasted the soak time and it is not newer than the current version.
func (u Upstream) eligible(soak time.Duration, now time.Time) map[string]Run {
	cur, ok := u.Current()
	if !ok {
		return nil
	}
	out := map[string]Run{}
	seen := map[string]bool{}
	for _, r := range u.Runs {
		key := r.Version.SemVer.String()
		if seen[key] {
			continue // only a version's latest run counts: A→B→A restarts A's clock
		}
		seen[key] = true
		if version.Compare(r.Version.SemVer, cur.Version.SemVer) <= 0 && r.Soaked(soak, now) {
			out[key] = r
		}
	}
	return out
}

// Decision is what a downstream source may take.
type Decision struct {
	// Version is the newest version every upstream has soaked; nil when there is none.
	Version *version.Version
	// Since, per upstream (in the order given), is when that upstream's run of Version began.
	Since []time.Time
	// Pending lists the newer versions the upstreams run now that have not soaked yet,
	// with the time each becomes eligible.
	Pending []Pending
}

// Pending is a version an upstream runs that the downstream will get once it has soaked.
type Pending struct {
	Version version.Version
	// Upstream is the index of the upstream that holds it back.
	Upstream int
	// Until is when the run will have lasted the soak time.
	Until time.Time
}

// Decide applies the rule of the package to the upstreams of one downstream source.
func Decide(ups []Upstream, soak time.Duration, now time.Time) Decision {
	var d Decision
	if len(ups) == 0 {
		return d
	}
	sets := make([]map[string]Run, len(ups))
	for i, u := range ups {
		sets[i] = u.eligible(soak, now)
		if cur, ok := u.Current(); ok && !cur.Soaked(soak, now) {
			d.Pending = append(d.Pending, Pending{Version: cur.Version, Upstream: i, Until: cur.Start.Add(soak)})
		}
	}
	// The newest version in every set.
	for key, run := range sets[0] {
		inAll := true
		for _, s := range sets[1:] {
			if _, ok := s[key]; !ok {
				inAll = false
				break
			}
		}
		if !inAll {
			continue
		}
		if d.Version == nil || version.Compare(run.Version.SemVer, d.Version.SemVer) > 0 {
			v := run.Version
			d.Version = &v
		}
	}
	if d.Version != nil {
		key := d.Version.SemVer.String()
		d.Since = make([]time.Time, len(ups))
		for i, s := range sets {
			d.Since[i] = s[key].Start
		}
		// Only what is newer than the decision is pending.
		kept := d.Pending[:0]
		for _, p := range d.Pending {
			if version.Compare(p.Version.SemVer, d.Version.SemVer) > 0 {
				kept = append(kept, p)
			}
		}
		d.Pending = kept
	}
	return d
}
