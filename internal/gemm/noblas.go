//go:build !openblas || !cgo

package gemm

// blasKernels is empty without the openblas build tag.
var blasKernels []*kernel

// OpenBLASCore returns "" without the openblas build tag.
func OpenBLASCore() string { return "" }
