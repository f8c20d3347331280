//go:build !amd64 || noasm

package gemm

// asmKernels returns none: this build has no assembly kernels.
func asmKernels() []*kernel { return nil }
