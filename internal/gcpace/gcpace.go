// Package gcpace sets how often the garbage collector of a short-lived command runs.
//
// A plan parses thousands of small YAML files: it allocates hundreds of megabytes over its
// life while holding a few dozen alive. Go's default (GOGC=100) collects every time the
// heap doubles, which at a 20 MB live heap is every 20 MB allocated: measured over 10,000
// Application files, 15 to 20% of the plan's CPU time, on a machine whose cores the
// registry reads need too.
//
// Start makes the collector aim at a heap of a fixed budget for as long as the live heap
// is small, and at twice the live heap (Go's default) once that is more: after each
// collection, GOGC is set so that the next goal is the larger of the two. So a small heap
// is collected several times less often, the peak heap stays near the budget, and a tree
// whose live heap passes half the budget is collected as Go would anyway. The simpler
// GOMEMLIMIT with GOGC=off would do the first without the last: a live heap near the
// limit would be collected without end. A ballast (a large allocation never written)
// would do the last without the second: the heap would grow to the ballast plus twice
// the live heap.
package gcpace

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// DefaultBudget is the heap Start aims at: a plan of 10,000 files then peaks near
// 136 MB resident, the binary's own pages included (measured), where GOGC=100 takes
// 140 to 160 MB and 40 collections instead of 16.
const DefaultBudget = 96 << 20

// liveHeap is the metric read after each collection: the bytes the last one found alive
// (including what was allocated while it marked, so an over-estimate while allocating fast).
const liveHeap = "/gc/heap/live:bytes"

// Start paces collections by budget bytes (see the package doc) unless the user set GOGC
// or GOMEMLIMIT, whose choice stands, and returns whether it did. Call it once, first
// thing in main.
func Start(budget uint64) bool {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return false
	}
	p := &pacer{budget: budget}
	p.collected()
	return true
}

// pacer sets GOGC after each collection.
type pacer struct{ budget uint64 }

// Percent is the GOGC that makes a heap of live bytes aim at the larger of budget and
// twice live: never below Go's default of 100.
func Percent(live, budget uint64) int {
	if live == 0 || live >= budget/2 {
		return 100
	}
	return int((budget - live) * 100 / live)
}

// collected sets GOGC for the heap the last collection left, then arms itself for the
// next: a finalizer on a fresh object runs after the collection that finds it unreachable.
func (p *pacer) collected() {
	sample := []metrics.Sample{{Name: liveHeap}}
	metrics.Read(sample)
	live := uint64(0)
	if sample[0].Value.Kind() == metrics.KindUint64 {
		live = sample[0].Value.Uint64()
	}
	if live == 0 { // before the first collection: what is allocated so far
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		live = m.HeapAlloc
	}
	percent := Percent(live, p.budget)
	debug.SetGCPercent(percent)
	// While the budget paces, it also bounds all the memory the runtime holds, so that the
	// scavenger hands freed pages back to the system rather than keeping them resident;
	// past it, no bound, or a live heap near it would be collected without end.
	if percent > 100 {
		debug.SetMemoryLimit(int64(p.budget))
	} else {
		debug.SetMemoryLimit(math.MaxInt64)
	}
	sentinel := new([16]byte)
	runtime.SetFinalizer(sentinel, func(*[16]byte) { p.collected() })
}
