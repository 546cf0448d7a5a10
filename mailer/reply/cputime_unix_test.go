//go:build unix

package reply

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used, all threads: on a shared
// machine the benchmark's per-core figure, whatever else runs beside it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
