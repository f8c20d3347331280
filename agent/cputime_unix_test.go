//go:build unix

package agent

import "syscall"

// cpuSeconds returns the CPU time (user + system, all threads) the process
// has used, in seconds: on a shared machine, unlike wall time, it does not
// count the time other processes hold the cores.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
