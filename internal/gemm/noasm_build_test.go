//go:build !amd64 || noasm

package gemm

// asmBuild: this build has no assembly kernels (not amd64, or the noasm tag).
const asmBuild = false
