package gemm

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// kernels lists the kernels this machine can run, fastest first; the
// generic one is always last. Set up by init.
var kernels []*kernel

// current is the kernel Sgemm uses.
var current atomic.Pointer[kernel]

func init() {
	kernels = append(append(blasKernels, asmKernels()...), genericKernel)
	current.Store(kernels[0])
}

// Kernels returns the names of the kernels this machine can run, fastest
// first: "openblas" (with the openblas build tag), some of "avx512", "avx2",
// then "generic".
func Kernels() []string {
	names := make([]string, len(kernels))
	for i, k := range kernels {
		names[i] = k.name
	}
	return names
}

// Kernel returns the name of the kernel in use.
func Kernel() string { return current.Load().name }

// Use selects the kernel named name (one of Kernels) and returns the name of
// the previous one, so that tests and benchmarks can compare paths and
// restore the default. It is meant for setup, not for calls racing with
// Sgemm on other goroutines (those see either kernel).
func Use(name string) (prev string, err error) {
	for _, k := range kernels {
		if k.name == name {
			return current.Swap(k).name, nil
		}
	}
	return "", fmt.Errorf("gemm: kernel %q is not available on this machine (have %s)", name, strings.Join(Kernels(), ", "))
}
