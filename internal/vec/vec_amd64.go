//go:build !noasm

package vec

import "golang.org/x/sys/cpu"

var hasAsm = cpu.X86.HasAVX512F && cpu.X86.HasBMI2

var useAsm = hasAsm
