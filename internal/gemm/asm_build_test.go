//go:build amd64 && !noasm

package gemm

// asmBuild: this build has the assembly kernels, for the CPU to choose from.
const asmBuild = true
