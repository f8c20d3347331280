//go:build amd64 && !noasm

package vec

// asmBuild: this build has the AVX-512 assembly, for the CPU to run or not.
const asmBuild = true
