//go:build !unix

package reply

import "time"

// cpuTime is unknown here; the benchmark then reports wall-clock figures only.
func cpuTime() time.Duration { return 0 }
