//go:build !noasm && !linux

package bf16

import "errors"

// requestAMX fails: only Linux's arch_prctl grants the tile state here.
func requestAMX() error { return errors.New("AMX is only enabled on Linux (arch_prctl)") }
