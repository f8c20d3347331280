//go:build !unix

package agent

// cpuSeconds is not available here: tables report 0.
func cpuSeconds() float64 { return 0 }
