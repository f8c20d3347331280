//go:build !amd64 || noasm

package bf16

const noAsmWhy = "not amd64, or the noasm build tag"

// hasAsm reports whether this build has the bf16 assembly.
const hasAsm = false

// asmKernels returns none: this build has no bf16 assembly.
func asmKernels() []*kernel { return nil }

// AMX reports whether this process may use the AMX tiles, and if not why.
func AMX() (ok bool, why string) { return false, "no AMX kernel in this build (" + noAsmWhy + ")" }

// Peak returns 0: the float32 kernel has no bf16 instruction to measure.
func Peak(rounds int) (flops float64) { return 0 }
