package gcpace

import (
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercentAimsAtTheBudgetWhileTheLiveHeapIsSmall(t *testing.T) {
	const mib = 1 << 20
	for _, tt := range []struct {
		live, budget uint64
		want         int
	}{
		{live: 16 * mib, budget: 96 * mib, want: 500}, // goal 96 MiB
		{live: 32 * mib, budget: 96 * mib, want: 200}, // goal 96 MiB
		{live: 48 * mib, budget: 96 * mib, want: 100}, // twice live is the budget
		{live: 200 * mib, budget: 96 * mib, want: 100},
		{live: 0, budget: 96 * mib, want: 100},
	} {
		if got := Percent(tt.live, tt.budget); got != tt.want {
			t.Errorf("Percent(%d MiB, %d MiB) = %d, want %d", tt.live/mib, tt.budget/mib, got, tt.want)
		}
	}
}

// The pacing is the whole process's, so the cases below run in child processes.

func TestMain(m *testing.M) {
	switch os.Getenv("GCPACE_CHILD") {
	case "":
		os.Exit(m.Run())
	case "small":
		os.Exit(childSmallHeap())
	case "large":
		os.Exit(childLargeHeap())
	case "user":
		os.Exit(childUserSetting())
	}
	os.Exit(3)
}

func runChild(t *testing.T, name string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, "GCPACE_CHILD="+name)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

func TestASmallHeapIsCollectedFarLessOftenThanAtGOGC100(t *testing.T) {
	runChild(t, "small", "GOGC=", "GOMEMLIMIT=")
}

func TestALargeLiveHeapGetsGosDefaultPacing(t *testing.T) {
	runChild(t, "large", "GOGC=", "GOMEMLIMIT=")
}

func TestTheUsersGOGCStands(t *testing.T) {
	runChild(t, "user", "GOGC=50", "GOMEMLIMIT=")
}

// churn allocates 256 MiB in 16 KiB pieces, holding 2 MiB of them, and returns the
// number of collections meanwhile.
func churn() uint32 {
	before := numGC()
	keep := make([][]byte, 0, 128)
	for i := range 256 * 64 {
		b := make([]byte, 16<<10)
		if i%128 == 0 {
			keep = append(keep, b)
		}
	}
	runtime.KeepAlive(keep)
	return numGC() - before
}

// childSmallHeap churns at GOGC=100, then paced by a 64 MiB budget: a live heap of a few
// MiB is collected every few MiB at GOGC=100, every 50 or more under the budget.
func childSmallHeap() int {
	atDefault := churn()
	Start(64 << 20)
	paced := churn()
	if paced*4 > atDefault {
		println("collections at GOGC=100:", atDefault, "paced:", paced)
		return 1
	}
	return 0
}

// childLargeHeap holds 48 MiB under a 64 MiB budget: past half of it, GOGC is Go's
// default again.
func childLargeHeap() int {
	Start(64 << 20)
	var keep [][]byte
	for range 48 {
		keep = append(keep, make([]byte, 1<<20))
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // the finalizer runs on its own goroutine
		percent := debug.SetGCPercent(100)
		debug.SetGCPercent(percent)
		if percent == 100 {
			runtime.KeepAlive(keep)
			return 0
		}
	}
	println("GOGC is not 100 with", len(keep), "MiB alive")
	return 1
}

func childUserSetting() int {
	if Start(64 << 20) {
		println("Start paced though GOGC was set")
		return 1
	}
	if percent := debug.SetGCPercent(50); percent != 50 {
		println("GOGC:", percent)
		return 1
	}
	return 0
}

func numGC() uint32 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.NumGC
}
