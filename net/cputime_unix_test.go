//go:build unix

package net

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user + system, all threads) the process has
// used, for benchmarks on a shared machine: unlike wall time it does not
// count the time other processes hold the cores.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
