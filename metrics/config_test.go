package metrics

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/deepq/deepq/env"
)

func TestBuckets(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		name         string
		spec         env.Spec
		ret, length  []float64 // nil: not checked
		retLo, retHi float64
		lenLo, lenHi float64
		retN, lenN   int
	}{
		{name: "cartpole", spec: env.Spec{MaxEpisodeSteps: 500, RewardRange: [2]float64{0, 1}},
			retLo: 0, retHi: 500, retN: 21, lenLo: 25, lenHi: 500, lenN: 20},
		{name: "acrobot-like", spec: env.Spec{MaxEpisodeSteps: 500, RewardRange: [2]float64{-1, 0}},
			retLo: -500, retHi: 0, retN: 21, lenLo: 25, lenHi: 500, lenN: 20},
		{name: "short limit", spec: env.Spec{MaxEpisodeSteps: 5, RewardRange: [2]float64{-1, 1}},
			length: []float64{1, 2, 3, 4, 5}, retLo: -5, retHi: 5, retN: 21, lenLo: 1, lenHi: 5, lenN: 5},
		{name: "no limit, rewards ≥ 0", spec: env.Spec{RewardRange: [2]float64{0, 1}},
			retLo: 0, retHi: 32768, retN: 17, lenLo: 1, lenHi: 65536, lenN: 17},
		{name: "no limit, signed", spec: env.Spec{RewardRange: [2]float64{-1, 1}},
			retLo: -32768, retHi: 32768, retN: 33, lenLo: 1, lenHi: 65536, lenN: 17},
		{name: "unbounded rewards", spec: env.Spec{MaxEpisodeSteps: 100, RewardRange: [2]float64{-inf, inf}},
			retLo: -32768, retHi: 32768, retN: 33, lenLo: 5, lenHi: 100, lenN: 20},
		{name: "unset reward range", spec: env.Spec{MaxEpisodeSteps: 100},
			retLo: -32768, retHi: 32768, retN: 33, lenLo: 5, lenHi: 100, lenN: 20},
	}
	for _, c := range cases {
		r, l := ReturnBuckets(&c.spec), LengthBuckets(&c.spec)
		for _, b := range [][]float64{r, l} {
			if err := checkBuckets(b); err != nil {
				t.Errorf("%s: %v: %v", c.name, b, err)
			}
		}
		if len(r) != c.retN || r[0] != c.retLo || r[len(r)-1] != c.retHi {
			t.Errorf("%s: return buckets %v, want %d from %v to %v", c.name, r, c.retN, c.retLo, c.retHi)
		}
		if len(l) != c.lenN || l[0] != c.lenLo || l[len(l)-1] != c.lenHi {
			t.Errorf("%s: length buckets %v, want %d from %v to %v", c.name, l, c.lenN, c.lenLo, c.lenHi)
		}
		if c.length != nil && !slices.Equal(l, c.length) {
			t.Errorf("%s: length buckets %v, want %v", c.name, l, c.length)
		}
	}
	if d := decades(1e-5, 10); len(d) != 19 || d[0] != 1e-5 || d[1] != 2.5e-5 || d[len(d)-1] != 10 {
		t.Errorf("decades(1e-5, 10) = %v", d)
	}
}

func TestValidate(t *testing.T) {
	spec := env.Spec{MaxEpisodeSteps: 500, RewardRange: [2]float64{0, 1}}
	cases := []struct {
		field string
		mod   func(*Config)
	}{
		{"Env", func(c *Config) { c.Env = "" }},
		{"Run", func(c *Config) { c.Run = "  " }},
		{"Run", func(c *Config) { c.Run = "bad\xff" }},
		{"Version", func(c *Config) { c.Version = "\xfe" }},
		{"TotalSteps", func(c *Config) { c.TotalSteps = -1 }},
		{"ReturnBuckets", func(c *Config) { c.ReturnBuckets = nil }},
		{"ReturnBuckets", func(c *Config) { c.ReturnBuckets = []float64{1, 1} }},
		{"LengthBuckets", func(c *Config) { c.LengthBuckets = []float64{1, math.NaN()} }},
		{"LengthBuckets", func(c *Config) { c.LengthBuckets = []float64{math.Inf(1)} }},
	}
	for _, tc := range cases {
		c := DefaultConfig("cartpole", &spec)
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: Validate() = %v, want an error naming it", tc.field, err)
		}
	}
	c := DefaultConfig("cartpole", &spec)
	if err := c.Validate(); err != nil {
		t.Fatalf("DefaultConfig invalid: %v", err)
	}
}

// TestDefaultConfigEveryEnv: every registered env gets usable buckets, and
// they span its possible returns.
func TestDefaultConfigEveryEnv(t *testing.T) {
	for _, r := range env.Registered() {
		e, err := env.Make(r.Name)
		if err != nil {
			t.Fatal(err)
		}
		spec := e.Spec()
		c := DefaultConfig(r.Name, spec)
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", r.Name, err)
			continue
		}
		if T := float64(spec.MaxEpisodeSteps); T > 0 {
			lo, hi := min(0, T*spec.RewardRange[0]), max(0, T*spec.RewardRange[1])
			if b := c.ReturnBuckets; b[0] > lo || b[len(b)-1] < hi {
				t.Errorf("%s: return buckets %v do not span [%v, %v]", r.Name, b, lo, hi)
			}
			if b := c.LengthBuckets; b[len(b)-1] != T {
				t.Errorf("%s: length buckets %v do not end at the time limit %v", r.Name, b, T)
			}
		}
	}
}
