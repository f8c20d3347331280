package agent

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/deepq/deepq/net"
)

// TestCartPoleBF16Learns trains the cartpole preset in bf16 mixed precision
// and, for comparison, in float32 on the same seeds 1…5 (DEEPQ_LONG_SEEDS
// picks others), and prints both in one table: the step of the first
// evaluation at 475, the final greedy mean over 100 episodes, wall and CPU
// time (the process's user + system time, which other load on the machine
// does not inflate as it does the wall time). Every bf16 seed must end at or
// above 475, as the float32 preset does (TestPresetsLearn). Gated by
// DEEPQ_LONG=1 (DEEPQ_LONG_PRESETS=cartpole-bf16 selects it alone).
func TestCartPoleBF16Learns(t *testing.T) {
	longTests(t, "cartpole-bf16")
	const target = 475
	kernel, why := net.BF16Kernel()
	var table strings.Builder
	fmt.Fprintf(&table, "\nbf16 kernel: %s (%s)\n\n| seed | float32: first ≥ %d at | float32 final (100 ep.) | float32 wall / CPU | bf16: first ≥ %d at | bf16 final (100 ep.) | bf16 wall / CPU |\n|---|---|---|---|---|---|---|\n",
		kernel, why, target, target)
	for _, seed := range longSeeds(t, 5) {
		fmt.Fprintf(&table, "| %d", seed)
		for _, p := range []PrecisionKind{FP32, BF16} {
			cfg, err := Preset("cartpole")
			if err != nil {
				t.Fatal(err)
			}
			cfg.Seed, cfg.Precision = seed, p
			fa := &firstAbove{level: target}
			cpu0 := cpuTime()
			res := runTrainer(t, cfg, fa)
			cpu1 := cpuTime()
			first := "never"
			if fa.step > 0 {
				first = fmt.Sprint(fa.step)
			}
			fmt.Fprintf(&table, " | %s | %.2f ± %.2f | %.1f s / %.1f s", first, res.Final.Mean, res.Final.Std,
				res.Elapsed.Seconds(), (cpu1 - cpu0).Round(100*time.Millisecond).Seconds())
			fmt.Printf("cartpole %v seed %d: first ≥ %d at %s, final %.2f ± %.2f, %.1f s wall, %.1f s CPU\n",
				p, seed, target, first, res.Final.Mean, res.Final.Std, res.Elapsed.Seconds(), (cpu1 - cpu0).Seconds())
			if p == BF16 && res.Final.Mean < target {
				t.Errorf("bf16 seed %d ends at %.2f, below %d", seed, res.Final.Mean, target)
			}
		}
		table.WriteString(" |\n")
	}
	t.Log(table.String())
}
