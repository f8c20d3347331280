package env

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseGridMapErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string // substrings of the error
	}{
		{"empty", "\n\n", []string{"empty"}},
		{"no start", "...\n..G\n", []string{"no start S"}},
		{"two starts", "S..\n.SG\n", []string{"line 2, column 2", "second start", "line 1, column 1"}},
		{"ragged", "S...\n..G\n....\n", []string{"line 2, column 4", "3 characters wide", "first row is 4"}},
		{"ragged after blank lead", "\n\nS..\n..G.\n", []string{"line 4, column 4"}},
		{"unknown cell", "S.x\n..G\n", []string{"line 1, column 3", `unknown cell 'x'`}},
		{"space", "S. \n..G\n", []string{"line 1, column 3", `unknown cell ' '`}},
		{"no goal", "S..\n...\n", []string{"no goal G"}},
		{"too large", "S" + strings.Repeat(".", 300) + "G\n", []string{"at most 256×256"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseGridMap("m.txt", tc.text)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), "m.txt") {
				t.Errorf("error %q does not name the map", err)
			}
		})
	}
}

func TestParseGridMap(t *testing.T) {
	m, err := ParseGridMap("x", "\r\n#S.L\r\n.#.G\r\n\n")
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != 2 || m.Cols != 4 || m.Start != 1 {
		t.Fatalf("got %d×%d start %d", m.Rows, m.Cols, m.Start)
	}
	want := []Cell{Wall, Free, Free, Pit, Free, Wall, Free, Goal}
	if !slices.Equal(m.Cells, want) {
		t.Fatalf("cells %v, want %v", m.Cells, want)
	}
	if m.String() != "#S.L\n.#.G\n" {
		t.Fatalf("String() = %q", m.String())
	}
	if m.At(-1, 0) != Wall || m.At(0, 4) != Wall || m.At(1, 3) != Goal {
		t.Fatal("At")
	}
}

func TestBuiltinGridMapsOptimum(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps int
		ret   float64
	}{
		{"open-5x5", 8, 1 - 7*0.01},
		{"maze-8x8", 16, 1 - 15*0.01},
		{"cliff", 13, -13},
		{"four-rooms", 20, 1 - 19*0.01},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Make("gridworld:map=" + tc.name)
			if err != nil {
				t.Fatal(err)
			}
			g := Unwrapped(e).(*GridWorld)
			ret, steps, err := g.OptimalReturn(e.Spec().MaxEpisodeSteps)
			if err != nil {
				t.Fatal(err)
			}
			if steps != tc.steps || math.Abs(ret-tc.ret) > 1e-12 {
				t.Fatalf("optimum %v in %d steps, want %v in %d", ret, steps, tc.ret, tc.steps)
			}
			if e.Spec().RewardThreshold != ret {
				t.Fatalf("reward threshold %v, want the optimum %v", e.Spec().RewardThreshold, ret)
			}
			// Walk a shortest path found by following decreasing distance
			// from the goal and check that it earns the optimum.
			got, n := walkShortest(t, e, g)
			if n != tc.steps || math.Abs(got-ret) > 1e-12 {
				t.Fatalf("walking a shortest path: %v in %d steps, want %v in %d", got, n, ret, tc.steps)
			}
		})
	}
}

// walkShortest plays a shortest path to the nearest goal, computed by a
// breadth-first search from the goals backwards, independent of Distances.
func walkShortest(t *testing.T, e Env, g *GridWorld) (float64, int) {
	m := g.cfg.Map
	toGoal := make([]int, len(m.Cells))
	for i := range toGoal {
		toGoal[i] = -1
	}
	var q []int
	for i, c := range m.Cells {
		if c == Goal {
			toGoal[i] = 0
			q = append(q, i)
		}
	}
	for len(q) > 0 {
		i := q[0]
		q = q[1:]
		for _, d := range gridMoves {
			r, c := i/m.Cols+d[0], i%m.Cols+d[1]
			if m.At(r, c) != Free {
				continue
			}
			if j := r*m.Cols + c; toGoal[j] < 0 {
				toGoal[j] = toGoal[i] + 1
				q = append(q, j)
			}
		}
	}
	e.Reset()
	ret, n := 0.0, 0
	for {
		r, c := g.Pos()
		best := -1
		for a, d := range gridMoves {
			if m.At(r+d[0], c+d[1]) == Wall {
				continue
			}
			j := (r+d[0])*m.Cols + c + d[1]
			if toGoal[j] >= 0 && toGoal[j] == toGoal[r*m.Cols+c]-1 {
				best = a
				break
			}
		}
		if best < 0 {
			t.Fatalf("no move towards the goal from (%d, %d)", r, c)
		}
		_, rew, term, trunc := e.Step(best)
		ret += rew
		n++
		if term || trunc {
			return ret, n
		}
	}
}

func TestGridWorldOptimalReturnErrors(t *testing.T) {
	mk := func(text string, slip float64) *GridWorld {
		cfg := DefaultGridWorldConfig()
		cfg.Map = MustParseGridMap("t", text)
		cfg.Slip = slip
		g, err := NewGridWorld(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	for _, tc := range []struct {
		name, text string
		slip       float64
		max        int
		want       string
	}{
		{"walled off", "S#G\n", 0, 0, "no goal can be reached from the start (row 1, column 1)"},
		{"behind lava", "SLG\n", 0, 0, "no goal can be reached"},
		{"too far", "S....G\n", 0, 3, "5 steps from the start (row 1, column 1), beyond the step limit 3"},
		{"slippery", "S.G\n", 0.1, 0, "deterministic"},
	} {
		_, _, err := mk(tc.text, tc.slip).OptimalReturn(tc.max)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to say %q", tc.name, err, tc.want)
		}
	}
	// A close pit beats a long walk when the walk costs more than the pit.
	g := mk("SL......\n.......G\n", 0)
	g.cfg.StepReward, g.cfg.PitReward, g.cfg.GoalReward = -1, -2, 0
	if ret, n, err := g.OptimalReturn(0); err != nil || ret != -2 || n != 1 {
		t.Errorf("pit shortcut: %v %d %v, want -2 in 1 step", ret, n, err)
	}
	// Positive step rewards without a limit: unbounded.
	g.cfg.StepReward = 0.5
	if _, _, err := g.OptimalReturn(0); err == nil || !strings.Contains(err.Error(), "unbounded") {
		t.Errorf("positive step reward: %v", err)
	}
	if ret, n, err := g.OptimalReturn(10); err != nil || ret != 5 || n != 10 {
		t.Errorf("positive step reward with limit 10: %v %d %v, want 5 in 10", ret, n, err)
	}
}

func TestGridWorldObservations(t *testing.T) {
	text := "S.#\n.LG\n"
	for _, mode := range []GridObs{GridOneHot, GridCoords, GridImage} {
		t.Run(mode.String(), func(t *testing.T) {
			e, err := Make("gridworld:map=open-5x5,obs=" + mode.String())
			if err != nil {
				t.Fatal(err)
			}
			_ = e
			cfg := DefaultGridWorldConfig()
			cfg.Map = MustParseGridMap("t", text)
			cfg.Obs = mode
			g, err := NewGridWorld(cfg)
			if err != nil {
				t.Fatal(err)
			}
			obs := g.Reset()
			if len(obs) != g.Spec().Observation.Size() {
				t.Fatalf("obs has %d elements, spec %v", len(obs), g.Spec().Observation)
			}
			check := func(want []float32) {
				t.Helper()
				if !slices.Equal(obs, want) {
					t.Fatalf("obs %v, want %v", obs, want)
				}
			}
			switch mode {
			case GridOneHot:
				check([]float32{1, 0, 0, 0, 0, 0})
				obs, _, _, _ = g.Step(1) // right
				check([]float32{0, 1, 0, 0, 0, 0})
				obs, _, _, _ = g.Step(1) // into the wall: stays
				check([]float32{0, 1, 0, 0, 0, 0})
			case GridCoords:
				check([]float32{0, 0})
				obs, _, _, _ = g.Step(1)
				check([]float32{0, 0.5})
				obs, _, _, _ = g.Step(2)
				check([]float32{1, 0.5})
			case GridImage:
				if !slices.Equal(g.Spec().Observation.Shape, []int{4, 2, 3}) {
					t.Fatalf("shape %v", g.Spec().Observation.Shape)
				}
				check([]float32{
					1, 0, 0, 0, 0, 0, // agent
					0, 0, 1, 0, 0, 0, // walls
					0, 0, 0, 0, 0, 1, // goals
					0, 0, 0, 0, 1, 0, // pits
				})
				obs, _, _, _ = g.Step(2)
				check([]float32{
					0, 0, 0, 1, 0, 0,
					0, 0, 1, 0, 0, 0,
					0, 0, 0, 0, 0, 1,
					0, 0, 0, 0, 1, 0,
				})
			}
		})
	}
}

func TestGridWorldRewardsAndEnds(t *testing.T) {
	e, err := Make("gridworld:map=cliff")
	if err != nil {
		t.Fatal(err)
	}
	e.Reset()
	if _, r, term, _ := e.Step(3); r != -1 || term { // bump the left edge
		t.Fatalf("bump: r=%v term=%v", r, term)
	}
	if _, r, term, _ := e.Step(1); r != -100 || !term { // into the cliff
		t.Fatalf("cliff: r=%v term=%v", r, term)
	}
	e, _ = Make("gridworld:map=open-5x5,max-steps=3,goal=5,step=-2")
	e.Reset()
	for i := 1; i <= 3; i++ {
		_, r, term, trunc := e.Step(0)
		if r != -2 || term || trunc != (i == 3) {
			t.Fatalf("step %d: r=%v term=%v trunc=%v", i, r, term, trunc)
		}
	}
}

func TestGridWorldSlip(t *testing.T) {
	e, err := Make("gridworld:map=open-5x5,slip=0.4,max-steps=1000000")
	if err != nil {
		t.Fatal(err)
	}
	g := Unwrapped(e).(*GridWorld)
	e.Seed(3)
	// Push right from the middle of the room; count where the agent goes.
	counts := map[[2]int]int{}
	const n = 40000
	for range n {
		g.Reset()
		g.pos = 2*5 + 2
		g.Step(1)
		r, c := g.Pos()
		counts[[2]int{r - 2, c - 2}]++
	}
	// Intended with 0.6 + 0.4/4, each other neighbour 0.4/4.
	want := map[[2]int]float64{{0, 1}: 0.7, {-1, 0}: 0.1, {1, 0}: 0.1, {0, -1}: 0.1}
	for d, p := range want {
		got := float64(counts[d]) / n
		if sd := math.Sqrt(p * (1 - p) / n); math.Abs(got-p) > 5*sd {
			t.Errorf("moved by %v with frequency %.4f, want %.2f", d, got, p)
		}
	}
	if len(counts) != 4 {
		t.Errorf("moves %v", counts)
	}
}

func TestGridWorldFromFile(t *testing.T) {
	e, err := Make("gridworld:file=testdata/maps/bridge.txt,obs=coords")
	if err != nil {
		t.Fatal(err)
	}
	g := Unwrapped(e).(*GridWorld)
	ret, steps, err := g.OptimalReturn(e.Spec().MaxEpisodeSteps)
	if err != nil {
		t.Fatal(err)
	}
	// Right 3, down 3 over the bridge, right 3, down 2: 11 steps.
	if steps != 11 || math.Abs(ret-(1-10*0.01)) > 1e-12 {
		t.Fatalf("optimum %v in %d steps", ret, steps)
	}
	if e.Spec().ID != "GridWorld-testdata/maps/bridge.txt" || e.Spec().MaxEpisodeSteps != 4*8*9 {
		t.Fatalf("spec %s, limit %d", e.Spec().ID, e.Spec().MaxEpisodeSteps)
	}
}

func TestMakeGridWorldErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("S..\n.G\n"), 0o644)
	good := filepath.Join(dir, "good.txt")
	os.WriteFile(good, []byte("S.\n.G\n"), 0o644)
	for _, tc := range []struct{ name, want string }{
		{"gridworld:map=nope", `unknown map "nope"`},
		{"gridworld:obs=rgb", `unknown gridworld observation "rgb"`},
		{"gridworld:slip=1.5", "slip"},
		{"gridworld:slip=x", "slip"},
		{"gridworld:bogus=1", `unknown option "bogus"`},
		{"gridworld:max-steps=0", "max-steps"},
		{"gridworld:map=cliff,file=" + good, "not both"},
		{"gridworld:file=" + bad, "bad.txt, line 2, column 3"},
		{"gridworld:file=" + filepath.Join(dir, "missing.txt"), "missing.txt"},
	} {
		_, err := Make(tc.name)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Make(%q): %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	e, err := Make("gridworld:file=" + good)
	if err != nil {
		t.Fatal(err)
	}
	if e.Spec().MaxEpisodeSteps != 16 {
		t.Errorf("file map time limit %d, want 4·cells = 16", e.Spec().MaxEpisodeSteps)
	}
}

func FuzzParseGridMap(f *testing.F) {
	for _, m := range builtinGridMaps {
		f.Add(m.Text)
	}
	files, _ := filepath.Glob("testdata/maps/*.txt")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("S..\n.SG\n")
	f.Add("S...\n..G\n")
	f.Add("\r\nS\r\nG")
	f.Fuzz(func(t *testing.T, text string) {
		m, err := ParseGridMap("fuzz", text)
		if err != nil {
			if m != nil {
				t.Fatal("map and error")
			}
			return
		}
		if m.Rows*m.Cols != len(m.Cells) || m.Start < 0 || m.Start >= len(m.Cells) || m.Cells[m.Start] != Free {
			t.Fatalf("inconsistent map %+v", m)
		}
		again, err := ParseGridMap("fuzz", m.String())
		if err != nil {
			t.Fatalf("String() does not parse back: %v", err)
		}
		if again.Rows != m.Rows || again.Cols != m.Cols || again.Start != m.Start || !slices.Equal(again.Cells, m.Cells) {
			t.Fatal("String() does not round-trip")
		}
		if d := m.Distances(); d[m.Start] != 0 {
			t.Fatal("start distance")
		}
		cfg := DefaultGridWorldConfig()
		cfg.Map = m
		g, err := NewGridWorld(cfg)
		if err != nil {
			t.Fatal(err)
		}
		g.OptimalReturn(10)
		g.Reset()
		for a := range 8 {
			g.Step(a % 4)
		}
	})
}
