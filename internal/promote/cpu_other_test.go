//go:build !unix

package promote_test

import "time"

// processCPU is not measured here: the benchmarks report no CPU ratio.
func processCPU() time.Duration { return 0 }
