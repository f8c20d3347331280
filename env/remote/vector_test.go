package remote

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deepq/deepq/env"
)

// TestVectorMatchesEnvs steps a Vector of 4 (requests pipelined, same-step
// autoreset) and 4 single Envs seeded as its copies, one request at a time,
// with the same actions: observations, final observations, rewards, flags and
// episodes must agree.
func TestVectorMatchesEnvs(t *testing.T) {
	s := sharedServer(t)
	const n, steps, maxSteps = 4, 600, 30
	cfg := DefaultConfig(s.Addr, "CartPole-v1")
	cfg.WorldSettings = []Setting{Int("max_episode_steps", maxSteps)}
	v, err := DialVector(cfg, n)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ref := make([]*Env, n)
	for i := range ref {
		ref[i] = dialCartPole(t, s, maxSteps)
	}
	v.Seed(5)
	obs := v.Reset()
	want := make([][]float32, n)
	ret := make([]float64, n)
	length := make([]int, n)
	for i, e := range ref {
		e.Seed(env.VectorSeed(5, i))
		want[i] = slices.Clone(e.Reset())
		if !sameBits(v.ObsOf(i), want[i]) {
			t.Fatalf("copy %d first observation %v, single env %v", i, v.ObsOf(i), want[i])
		}
	}
	if len(obs) != n*4 {
		t.Fatalf("Reset returned %d floats, want %d", len(obs), n*4)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	actions := make([]int, n)
	episodes := 0
	for step := range steps {
		for i := range actions {
			actions[i] = rng.IntN(2)
		}
		v.Step(actions)
		if err := v.Err(); err != nil {
			t.Fatal(err)
		}
		for i, e := range ref {
			o, r, term, trunc := e.Step(actions[i])
			ret[i] += r
			length[i]++
			if v.Rewards[i] != r || v.Terminated[i] != term || v.Truncated[i] != trunc {
				t.Fatalf("step %d copy %d: r=%v term=%v trunc=%v, single env %v %v %v", step, i, v.Rewards[i], v.Terminated[i], v.Truncated[i], r, term, trunc)
			}
			if !term && !trunc {
				if !sameBits(v.ObsOf(i), o) {
					t.Fatalf("step %d copy %d: obs %v, single env %v", step, i, v.ObsOf(i), o)
				}
				continue
			}
			episodes++
			if !sameBits(v.FinalObs(i), o) {
				t.Fatalf("step %d copy %d: final obs %v, single env %v", step, i, v.FinalObs(i), o)
			}
			ep, ended := v.Episode(i)
			if wantEp := (env.Episode{Return: ret[i], Length: length[i], Terminated: term, Truncated: trunc}); !ended || ep != wantEp {
				t.Fatalf("step %d copy %d: episode %+v %v, want %+v", step, i, ep, ended, wantEp)
			}
			ret[i], length[i] = 0, 0
			if next := e.Reset(); !sameBits(v.ObsOf(i), next) {
				t.Fatalf("step %d copy %d: next episode's obs %v, single env %v", step, i, v.ObsOf(i), next)
			}
		}
		for i, e := range ref {
			if err := e.Err(); err != nil {
				t.Fatalf("single env %d: %v", i, err)
			}
		}
	}
	if episodes < 50 {
		t.Errorf("only %d episodes ended: want autoreset exercised", episodes)
	}
}

// TestVectorProcesses: a Vector over 16 connections to a server of 2
// processes steps copies in both (each process names its worlds from 0, so
// both served worlds if a name repeats), with the same results as a Vector
// on one connection to a one-process server given the same seeds and actions.
func TestVectorProcesses(t *testing.T) {
	s2 := startServers(t, 2)
	const n = 16
	cfg := DefaultConfig(s2.Addr, "CartPole-v1")
	cfg.Connections = n
	v, err := DialVector(cfg, n)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	names := map[string]int{}
	for i := range n {
		names[v.Env(i).World()]++
	}
	if len(names) == n {
		t.Errorf("worlds %v: all names differ, so one process served all %d connections", names, n)
	}
	ref, err := DialVector(DefaultConfig(sharedServer(t).Addr, "CartPole-v1"), n)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	v.Seed(9)
	ref.Seed(9)
	if !sameBits(v.Reset(), ref.Reset()) {
		t.Fatal("first observations differ")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	actions := make([]int, n)
	for step := range 60 {
		for i := range actions {
			actions[i] = rng.IntN(2)
		}
		if !sameBits(v.Step(actions), ref.Step(actions)) || !slices.Equal(v.Rewards, ref.Rewards) ||
			!slices.Equal(v.Terminated, ref.Terminated) || !slices.Equal(v.Truncated, ref.Truncated) {
			t.Fatalf("step %d: the two servers' vectors differ", step)
		}
		if err := errors.Join(v.Err(), ref.Err()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestVectorServerKilled: a Vector whose server dies reports it at the next
// Step and then does nothing.
func TestVectorServerKilled(t *testing.T) {
	s := startServer(t)
	v, err := DialVector(DefaultConfig(s.Addr, "CartPole-v1"), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	v.Reset()
	v.Step([]int{0, 1, 0})
	if err := v.Err(); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	start := time.Now()
	v.Step([]int{1, 1, 1})
	if err := v.Err(); err == nil || !strings.Contains(err.Error(), "server unavailable") {
		t.Fatalf("Vector.Step after the server was killed: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v", took)
	}
	for i := range 3 {
		if !v.Truncated[i] || v.Terminated[i] || v.Rewards[i] != 0 {
			t.Errorf("copy %d after the failure: r=%v term=%v trunc=%v", i, v.Rewards[i], v.Terminated[i], v.Truncated[i])
		}
	}
}

// TestVectorServerHung: one timeout, not one per copy.
func TestVectorServerHung(t *testing.T) {
	s := startServer(t)
	cfg := DefaultConfig(s.Addr, "CartPole-v1")
	cfg.Timeout = 500 * time.Millisecond
	v, err := DialVector(cfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	v.Reset()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	v.Step(make([]int, 4))
	took := time.Since(start)
	if err := v.Err(); err == nil || !strings.Contains(err.Error(), "no answer within 500ms") {
		t.Fatalf("Vector.Step on a stopped server: %v", err)
	}
	if took < cfg.Timeout || took > cfg.Timeout+time.Second { // 4 timeouts in a row would be 2 s
		t.Errorf("took %v for 4 copies with a 500ms timeout: want one timeout", took)
	}
	for i := range 4 {
		if err := v.Env(i).Err(); err == nil {
			t.Errorf("copy %d has no error", i)
		}
	}
	t.Logf("after %v: %v", took, v.Err())
}

// BenchmarkStep measures remote CartPole steps per second through a Vector of
// 1 and 8 copies on a server of one Python process (testdata/cartpole_server.py),
// and of 8 copies over 8 connections on a server of 2 processes; env-steps/s
// counts every copy's step.
func BenchmarkStep(b *testing.B) {
	s1, s2 := sharedServer(b), startServers(b, 2)
	for _, c := range []struct{ n, procs int }{{1, 1}, {8, 1}, {8, 2}} {
		b.Run(fmt.Sprintf("envs=%d/procs=%d", c.n, c.procs), func(b *testing.B) {
			n, cfg := c.n, DefaultConfig(s1.Addr, "CartPole-v1")
			if c.procs > 1 {
				cfg.Addr, cfg.Connections = s2.Addr, n
			}
			v, err := DialVector(cfg, n)
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			v.Seed(1)
			v.Reset()
			rng := rand.New(rand.NewPCG(1, 1))
			actions := make([]int, n)
			srv := s1
			if c.procs > 1 {
				srv = s2
			}
			cpu0, err := srv.CPUTime()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				for i := range actions {
					actions[i] = rng.IntN(2)
				}
				v.Step(actions)
			}
			b.StopTimer()
			if err := v.Err(); err != nil {
				b.Fatal(err)
			}
			cpu1, err := srv.CPUTime()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "env-steps/s")
			// The server's CPU time a step: what bounds the rate once the
			// round trips overlap, and less sensitive to other load.
			b.ReportMetric((cpu1-cpu0).Seconds()*1e6/float64(b.N*n), "server-CPU-µs/env-step")
			b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(b.N), "µs/vector-step")
		})
	}
}
