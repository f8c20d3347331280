package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/deepq/deepq/internal/bf16"
)

// TestBenchJSON runs two quick benchmarks and reads their figures back from
// the JSON object.
func TestBenchJSON(t *testing.T) {
	code, stdout, stderr := runCLI("bench", "--run", "^(gemm/1T/cube64|replay/add_cartpole)$", "--time", "1ms", "--rounds", "1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got map[string]struct {
		Value float64 `json:"value"`
		Unit  string  `json:"unit"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, stdout)
	}
	if r := got["gemm/1T/cube64"]; r.Unit != "GFLOP/s" || !(r.Value > 0) {
		t.Errorf("gemm/1T/cube64 = %+v", r)
	}
	if r := got["replay/add_cartpole"]; r.Unit != "ns/op" || !(r.Value > 0) {
		t.Errorf("replay/add_cartpole = %+v", r)
	}
	if len(got) != 2 {
		t.Errorf("ran %d benchmarks, want 2: %v", len(got), got)
	}
}

func TestBenchBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--run", "("}, "--run"},
		{[]string{"bench", "--run", "no-such-benchmark"}, "no benchmark matches"},
		{[]string{"bench", "--kernel", "sse1"}, `kernel "sse1" is not available`},
		{[]string{"bench", "--rounds", "0"}, "--rounds"},
		{[]string{"bench", "--bf16-kernel", "fp8"}, `kernel "fp8" is not available`},
	} {
		code, _, stderr := runCLI(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("deepq %s: exit %d, stderr %q; want 2 and %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
}

// TestBenchBF16 sets each bf16 multiply beside its float32 twin and names
// the bf16 kernel; --bf16-kernel float32 measures the fallback path.
func TestBenchBF16(t *testing.T) {
	for _, kernel := range []string{"", "float32"} {
		args := []string{"bench", "--run", "^(gemm|bf16_gemm)/1T/cube64$", "--time", "1ms", "--rounds", "1"}
		if kernel != "" {
			args = append(args, "--bf16-kernel", kernel)
		}
		code, stdout, stderr := runCLI(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		name, _ := bf16.Kernel() // the default: restored after the run
		if kernel != "" {
			name = kernel
		}
		for _, want := range []string{"bf16 kernel " + name + ",", "\nbf16 against float32 (bf16 kernel " + name + ": ", "\ngemm/1T/cube64 "} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%v: output lacks %q:\n%s", args, want, stdout)
			}
		}
	}
}
