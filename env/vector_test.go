package env

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// vectorTrace steps a vector of name with seeded random actions and records
// everything it returns.
func vectorTrace(t *testing.T, name string, n, workers, steps int, seed uint64) []float64 {
	t.Helper()
	v, err := MakeVector(name, n)
	if err != nil {
		t.Fatal(err)
	}
	v.SetWorkers(workers)
	v.Seed(seed)
	var trace []float64
	add := func(xs []float32) {
		for _, x := range xs {
			trace = append(trace, float64(x))
		}
	}
	add(v.Reset())
	rng := rand.New(rand.NewPCG(seed, 1))
	actions := make([]int, n)
	for range steps {
		for i := range actions {
			actions[i] = rng.IntN(v.Spec().Actions.N)
		}
		add(v.Step(actions))
		for i := range n {
			trace = append(trace, v.Rewards[i])
			if v.Ended(i) {
				ep, _ := v.Episode(i)
				add(v.FinalObs(i))
				trace = append(trace, float64(i), ep.Return, float64(ep.Length))
				if v.Terminated[i] {
					trace = append(trace, 1)
				}
			}
		}
	}
	return trace
}

func TestVectorDeterministic(t *testing.T) {
	for _, name := range []string{"cartpole:max-steps=50", "mountaincar", "acrobot:max-steps=60", "gridworld:map=four-rooms,slip=0.3,obs=image,max-steps=40"} {
		t.Run(name, func(t *testing.T) {
			ref := vectorTrace(t, name, 7, 1, 300, 5)
			for _, w := range []int{0, 2, 3, 7} {
				if got := vectorTrace(t, name, 7, w, 300, 5); !slices.Equal(got, ref) {
					t.Fatalf("%d workers: trace differs from 1 worker", w)
				}
			}
			if got := vectorTrace(t, name, 7, 1, 300, 6); slices.Equal(got, ref) {
				t.Fatal("seeds 5 and 6 give the same trace")
			}
		})
	}
}

// TestVectorMatchesSingleEnvs checks each copy against a lone env seeded with
// VectorSeed and reset by hand, and the same-step autoreset contract.
func TestVectorMatchesSingleEnvs(t *testing.T) {
	const n, name = 4, "cartpole:max-steps=30"
	v, err := MakeVector(name, n)
	if err != nil {
		t.Fatal(err)
	}
	v.SetWorkers(2)
	v.Seed(11)
	v.Reset()
	lone := make([]Env, n)
	for i := range lone {
		lone[i] = must(Make(name))
		lone[i].Seed(VectorSeed(11, i))
		if obs := lone[i].Reset(); !slices.Equal(obs, v.ObsOf(i)) {
			t.Fatalf("copy %d starts at %v, lone env at %v", i, v.ObsOf(i), obs)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	actions := make([]int, n)
	ended := 0
	returns := make([]float64, n)
	for step := range 200 {
		for i := range actions {
			actions[i] = rng.IntN(2)
		}
		v.Step(actions)
		for i, e := range lone {
			obs, r, term, trunc := e.Step(actions[i])
			returns[i] += r
			if r != v.Rewards[i] || term != v.Terminated[i] || trunc != v.Truncated[i] {
				t.Fatalf("step %d copy %d: (%v %v %v), lone (%v %v %v)", step, i, v.Rewards[i], v.Terminated[i], v.Truncated[i], r, term, trunc)
			}
			if !term && !trunc {
				if !slices.Equal(obs, v.ObsOf(i)) {
					t.Fatalf("step %d copy %d: obs differs", step, i)
				}
				continue
			}
			ended++
			if !slices.Equal(obs, v.FinalObs(i)) {
				t.Fatalf("step %d copy %d: final obs %v, lone env %v", step, i, v.FinalObs(i), obs)
			}
			ep, ok := v.Episode(i)
			st, _ := Find[*EpisodeStats](e)
			if want, _ := st.Last(); !ok || ep != want || ep.Return != returns[i] {
				t.Fatalf("step %d copy %d: episode %+v, want %+v", step, i, ep, want)
			}
			returns[i] = 0
			if obs := e.Reset(); !slices.Equal(obs, v.ObsOf(i)) {
				t.Fatalf("step %d copy %d: after autoreset obs %v, lone env %v", step, i, v.ObsOf(i), obs)
			}
		}
	}
	if ended < 8 {
		t.Fatalf("only %d episodes ended", ended)
	}
}

func TestVectorWithoutEpisodeStats(t *testing.T) {
	v, err := NewVector(2, func() (Env, error) { return NewTimeLimit(NewMountainCar(), 3), nil })
	if err != nil {
		t.Fatal(err)
	}
	v.Reset()
	for range 3 {
		v.Step([]int{0, 2})
	}
	for i := range 2 {
		if ep, ok := v.Episode(i); !ok || ep != (Episode{Return: -3, Length: 3, Truncated: true}) {
			t.Fatalf("copy %d: %+v %v", i, ep, ok)
		}
	}
	v.Step([]int{1, 1})
	if _, ok := v.Episode(0); ok {
		t.Fatal("episode reported after a non-final step")
	}
}

func TestVectorSeeds(t *testing.T) {
	seen := map[uint64]string{}
	for s := range uint64(64) {
		for i := range 64 {
			k := VectorSeed(s, i)
			if prev, dup := seen[k]; dup {
				t.Fatalf("VectorSeed(%d, %d) = VectorSeed(%s)", s, i, prev)
			}
			seen[k] = fmt.Sprint(s, ", ", i)
		}
	}
}

func TestVectorErrors(t *testing.T) {
	if _, err := MakeVector("cartpole", 0); err == nil {
		t.Error("0 copies: want an error")
	}
	if _, err := MakeVector("nope", 2); err == nil || !strings.Contains(err.Error(), "unknown environment") {
		t.Errorf("unknown env: %v", err)
	}
	k := 0
	_, err := NewVector(2, func() (Env, error) {
		k++
		if k == 1 {
			return Make("gridworld:map=open-5x5")
		}
		return Make("gridworld:map=cliff")
	})
	if err == nil || !strings.Contains(err.Error(), "copy 1") {
		t.Errorf("mismatched copies: %v", err)
	}
}

func BenchmarkVector(b *testing.B) {
	for _, name := range []string{"cartpole", "gridworld:map=four-rooms,obs=image"} {
		for _, n := range []int{1, 8, 64} {
			for _, w := range []int{1, 2} {
				if w > n {
					continue
				}
				b.Run(fmt.Sprintf("%s/N=%d/workers=%d", name, n, w), func(b *testing.B) {
					v, err := MakeVector(name, n)
					if err != nil {
						b.Fatal(err)
					}
					v.SetWorkers(w)
					v.Seed(1)
					v.Reset()
					actions := make([]int, n)
					rng := rand.New(rand.NewPCG(1, 1))
					for i := range actions {
						actions[i] = rng.IntN(v.Spec().Actions.N)
					}
					b.ReportAllocs()
					for b.Loop() {
						v.Step(actions)
					}
					b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "env-steps/s")
				})
			}
		}
	}
}

func TestVectorAutoWorkers(t *testing.T) {
	// A fake clock that advances by tick at each reading: a Step measures tick.
	var now time.Time
	clock := func(tick time.Duration) func() time.Time {
		return func() time.Time { now = now.Add(tick); return now }
	}
	v := must(MakeVector("cartpole", 8))
	v.now = clock(ParallelThreshold / 2)
	v.Reset()
	actions := make([]int, 8)
	for range vectorAutoSteps - 1 {
		v.Step(actions)
	}
	if v.Workers() != 0 {
		t.Fatalf("decided after %d steps", vectorAutoSteps-1)
	}
	v.Step(actions)
	if v.Workers() != 1 {
		t.Fatalf("fast steps: %d workers, want 1", v.Workers())
	}

	v.SetWorkers(0)
	v.now = clock(2 * ParallelThreshold)
	for range vectorAutoSteps {
		v.Step(actions)
	}
	if want := min(runtime.GOMAXPROCS(0), 8); v.Workers() != want {
		t.Fatalf("slow steps: %d workers, want %d", v.Workers(), want)
	}
	v.SetWorkers(100)
	if v.Workers() != 8 {
		t.Fatalf("SetWorkers(100) on 8 copies: %d", v.Workers())
	}
}
