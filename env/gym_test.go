package env

import (
	"encoding/json"
	"math"
	"testing"
)

// stateful is a classic-control env whose float64 state tests can set and read.
type stateful interface {
	Env
	setState(s []float64) []float32
	state() []float64
}

func (c *CartPole) setState(s []float64) []float32    { return c.SetState([4]float64(s)) }
func (c *CartPole) state() []float64                  { return c.State[:] }
func (m *MountainCar) setState(s []float64) []float32 { return m.SetState([2]float64(s)) }
func (m *MountainCar) state() []float64               { return m.State[:] }
func (a *Acrobot) setState(s []float64) []float32     { return a.SetState([4]float64(s)) }
func (a *Acrobot) state() []float64                   { return a.State[:] }

// gymReplay is the outcome of replaying a reference file.
type gymReplay struct {
	// worstSynced is the largest relative state error of a single step taken
	// from the reference's previous state; worstFree the largest over
	// free-running trajectories.
	worstSynced, worstFree float64
	// differingSynced counts re-synced steps whose state is not bit-identical
	// to the reference; differingFree counts free-running steps.
	differingSynced, differingFree int
	steps                          int
}

// replayGym replays the reference trajectories of file on the registered env
// name. Each step is taken twice: once from the reference's previous state,
// where the new state must agree to 1e-12 relative and the observation, reward
// and flags exactly; and once free-running from the initial state, where
// rewards, flags and lengths must agree exactly and states within freeTol.
func replayGym(t *testing.T, file, name string, freeTol float64) gymReplay {
	t.Helper()
	g := loadGym(t, file)
	e, err := Make(name)
	if err != nil {
		t.Fatal(err)
	}
	sp := e.Spec()
	if g.EnvID != sp.ID || g.MaxEpisodeSteps != sp.MaxEpisodeSteps || g.RewardThreshold != sp.RewardThreshold {
		t.Fatalf("spec mismatch: reference %s/%d/%g, ours %s/%d/%g", g.EnvID, g.MaxEpisodeSteps, g.RewardThreshold,
			sp.ID, sp.MaxEpisodeSteps, sp.RewardThreshold)
	}
	var res gymReplay
	for _, tr := range g.Trajectories {
		e, err := Make(name)
		if err != nil {
			t.Fatal(err)
		}
		free := Unwrapped(e).(stateful)
		e.Reset()
		obs := free.setState(tr.InitialState)
		for i, o := range obs {
			if float64(o) != tr.InitialObs[i] {
				t.Errorf("seed %d: initial obs[%d] = %v, want %v", tr.Seed, i, o, tr.InitialObs[i])
			}
		}
		ret := 0.0
		freeDiffered := false
		for k, st := range tr.Steps {
			res.steps++
			if st.Action != tr.Actions[k] {
				t.Fatalf("seed %d t=%d: reference action mismatch", tr.Seed, st.T)
			}
			prev := tr.InitialState
			if k > 0 {
				prev = tr.Steps[k-1].State
			}
			one := Unwrapped(must(Make(name))).(stateful)
			one.setState(prev)
			oneObs, r1, term1, _ := one.Step(st.Action)
			if r1 != st.Reward || term1 != st.Terminated {
				t.Fatalf("seed %d t=%d: one step from the reference state: r=%v term=%v, want %v %v", tr.Seed, st.T, r1, term1, st.Reward, st.Terminated)
			}
			differs := false
			for i, v := range one.state() {
				e := relErr(v, st.State[i], 1e-3)
				res.worstSynced = math.Max(res.worstSynced, e)
				differs = differs || v != st.State[i]
				if e > 1e-12 {
					t.Fatalf("seed %d t=%d: one step from the reference state: state[%d] = %.17g, want %.17g (rel err %.3g)",
						tr.Seed, st.T, i, v, st.State[i], e)
				}
			}
			if differs {
				res.differingSynced++
				t.Logf("seed %d t=%d: one step from the reference state is not bit-identical", tr.Seed, st.T)
			}
			for i, o := range oneObs {
				if relErr(float64(o), st.Obs[i], 1e-3) > 1e-7 {
					t.Fatalf("seed %d t=%d: one step from the reference state: obs[%d] = %v, want %v", tr.Seed, st.T, i, o, st.Obs[i])
				}
			}

			obs, r, term, trunc := e.Step(st.Action)
			ret += r
			if r != st.Reward || term != st.Terminated || trunc != st.Truncated {
				t.Fatalf("seed %d t=%d: got (r=%v term=%v trunc=%v), want (%v %v %v)",
					tr.Seed, st.T, r, term, trunc, st.Reward, st.Terminated, st.Truncated)
			}
			differs = false
			for i, v := range free.state() {
				e := relErr(v, st.State[i], 1e-3)
				res.worstFree = math.Max(res.worstFree, e)
				differs = differs || v != st.State[i]
				if e > freeTol {
					t.Fatalf("seed %d t=%d: free-running state[%d] = %.17g, want %.17g (rel err %.3g)",
						tr.Seed, st.T, i, v, st.State[i], e)
				}
			}
			if differs {
				if !freeDiffered {
					t.Logf("seed %d: the free run first differs from the reference at t=%d", tr.Seed, st.T)
				}
				freeDiffered = true
				res.differingFree++
			}
			for i, o := range obs {
				if relErr(float64(o), st.Obs[i], 1e-3) > max(freeTol, 1e-7) {
					t.Fatalf("seed %d t=%d: free-running obs[%d] = %v, want %v", tr.Seed, st.T, i, o, st.Obs[i])
				}
			}
			if (term || trunc) != (k == len(tr.Steps)-1) {
				t.Fatalf("seed %d: episode ended at t=%d, reference at t=%d", tr.Seed, st.T, tr.Length)
			}
		}
		if len(tr.Steps) != tr.Length || ret != tr.Return {
			t.Fatalf("seed %d: length %d return %v, want %d %v", tr.Seed, len(tr.Steps), ret, tr.Length, tr.Return)
		}
	}
	t.Logf("%s: %d steps; worst relative state error %.3g per re-synced step (%d steps not bit-identical), %.3g free-running (%d steps not bit-identical)",
		name, res.steps, res.worstSynced, res.differingSynced, res.worstFree, res.differingFree)
	return res
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
