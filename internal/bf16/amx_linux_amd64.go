//go:build !noasm

package bf16

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Linux's arch_prctl codes for extended state permissions
// (arch/x86/include/uapi/asm/prctl.h) and the AMX tile data component.
const (
	archGetXcompPerm  = 0x1022
	archReqXcompPerm  = 0x1023
	xfeatureXtiledata = 18
)

// requestAMX asks Linux for the AMX tile state, once per process: without
// it the first tile instruction raises SIGILL. It then reads the granted
// features back to be sure.
func requestAMX() error {
	if _, _, e := unix.Syscall(unix.SYS_ARCH_PRCTL, archReqXcompPerm, xfeatureXtiledata, 0); e != 0 {
		return fmt.Errorf("arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA): %w", e)
	}
	var granted uint64
	if _, _, e := unix.Syscall(unix.SYS_ARCH_PRCTL, archGetXcompPerm, uintptr(unsafe.Pointer(&granted)), 0); e != 0 {
		return fmt.Errorf("arch_prctl(ARCH_GET_XCOMP_PERM): %w", e)
	}
	if granted&(1<<xfeatureXtiledata) == 0 {
		return fmt.Errorf("arch_prctl(ARCH_GET_XCOMP_PERM) = %#x, without XTILEDATA", granted)
	}
	return nil
}
