package main

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deepq/deepq/agent"
)

func TestFormatReturn(t *testing.T) {
	for _, c := range []struct {
		r    float64
		want string
	}{
		{-4.999999999999938, "-5"},
		{0.23999999999999955, "0.24"},
		{-1.0000000000000007, "-1"},
		{0.81, "0.81"},
		{500, "500"},
		{-104, "-104"},
		{12.5, "12.5"},
		{0.005, "0.005"},
		{math.Copysign(0, -1), "0"},
		{1e-15, "0.000000000000001"},
		{123456789, "123456789"},
		{1e9, "1000000000"},
		{-0.3333333333333333, "-0.333333333"},
		{math.Inf(-1), "-Inf"},
	} {
		if got := formatReturn(c.r); got != c.want {
			t.Errorf("formatReturn(%v) = %q, want %q", c.r, got, c.want)
		}
	}
}

// TestSummariesPrintReturns: the text summaries of play and eval print
// returns that are not whole numbers as they are, without float noise.
func TestSummariesPrintReturns(t *testing.T) {
	// Random play on GridWorld: returns -0.01 a step, +1 at the goal.
	dir := t.TempDir()
	code, out, e := runCLI("play", "--gif", filepath.Join(dir, "g.gif"), "--env", "gridworld", "--episodes", "3", "--seed", "0", "--size", "20x20")
	if code != 0 {
		t.Fatalf("play: exit %d: %s", code, e)
	}
	if !strings.Contains(out, "returns -1, 0.85, 0.24;") {
		t.Errorf("play summary %q, want returns -1, 0.85, 0.24", out)
	}

	// Eval with random actions (ε = 1) of an untrained GridWorld network:
	// the text's min and max are the JSON's.
	cfg, err := agent.Preset("gridworld")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := agent.NewTrainer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ck := filepath.Join(dir, "g.ckpt")
	if err := tr.SaveCheckpoint(ck); err != nil {
		t.Fatal(err)
	}
	args := []string{"eval", "--checkpoint", ck, "--episodes", "5", "--epsilon", "1"}
	code, js, e := runCLI(append(args, "--json")...)
	if code != 0 {
		t.Fatalf("eval --json: exit %d: %s", code, e)
	}
	var res agent.EvalResult
	if err := json.Unmarshal([]byte(js), &res); err != nil {
		t.Fatal(err)
	}
	if res.Min == math.Round(res.Min) && res.Max == math.Round(res.Max) {
		t.Fatalf("returns %v: want one that is not a whole number for this test", res.Returns)
	}
	code, text, e := runCLI(args...)
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, e)
	}
	want := fmt.Sprintf("min %s, max %s", formatReturn(res.Min), formatReturn(res.Max))
	if !strings.Contains(text, want) {
		t.Errorf("eval printed %q, want %q (returns %v)", text, want, res.Returns)
	}
}
