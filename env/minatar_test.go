package env

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"image"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

// minAtarTriples lists the true cells of obs as [row, col, channel], in NumPy's
// np.nonzero order for a 10×10×C state (row, then column, then channel).
func minAtarTriples(obs []float32, channels int) [][3]int {
	var out [][3]int
	for y := range 10 {
		for x := range 10 {
			for c := range channels {
				switch obs[c*100+y*10+x] {
				case 0:
				case 1:
					out = append(out, [3]int{y, x, c})
				default:
					panic(fmt.Sprintf("obs[%d,%d,%d] = %v is not 0 or 1", c, y, x, obs[c*100+y*10+x]))
				}
			}
		}
	}
	return out
}

func loadJSON(t testing.TB, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// minAtarBreakoutRef is the layout of testdata/minatar_breakout.json, a copy of
// the shared reference ../shared/testdata/minatar/breakout.json.
type minAtarBreakoutRef struct {
	Channels         map[string]int `json:"channels"`
	ActionMap        []string       `json:"action_map"`
	MinimalActionSet []int          `json:"minimal_action_set"`
	Variants         map[string]struct {
		StickyActionProb  float64 `json:"sticky_action_prob"`
		DifficultyRamping bool    `json:"difficulty_ramping"`
		Episodes          []struct {
			Seed           uint64   `json:"seed"`
			Actions        []int    `json:"actions"`
			BallStartIndex int      `json:"ball_start_index"`
			InitialObs     [][3]int `json:"initial_obs"`
			Steps          []struct {
				T              int      `json:"t"`
				Action         int      `json:"action"`
				StickyU        float64  `json:"sticky_u"`
				ExecutedAction int      `json:"executed_action"`
				Reward         float64  `json:"reward"`
				Terminal       bool     `json:"terminal"`
				Obs            [][3]int `json:"obs"`
			} `json:"steps"`
			Length  int     `json:"length"`
			Return  float64 `json:"return"`
			EndedBy string  `json:"ended_by"`
		} `json:"episodes"`
	} `json:"variants"`
}

// TestMinAtarBreakoutMatchesReference replays the shared Breakout episodes:
// every observation cell, reward, terminal flag and executed action, and the
// sticky-action draw of every step, must equal MinAtar's.
func TestMinAtarBreakoutMatchesReference(t *testing.T) {
	var ref minAtarBreakoutRef
	loadJSON(t, "testdata/minatar_breakout.json", &ref)
	for name, c := range ref.Channels {
		if breakoutInfo.channels[c] != name {
			t.Fatalf("channel %d is %q, reference %q", c, breakoutInfo.channels[c], name)
		}
	}
	if !slices.Equal(ref.MinimalActionSet, breakoutInfo.minimal) {
		t.Fatalf("minimal action set %v, reference %v", breakoutInfo.minimal, ref.MinimalActionSet)
	}
	for i, a := range ref.ActionMap {
		if !strings.HasPrefix(minAtarActionNames[i], a) {
			t.Fatalf("action %d is %q, reference %q", i, minAtarActionNames[i], a)
		}
	}
	n := 0
	for vname, v := range ref.Variants {
		for _, ep := range v.Episodes {
			cfg := MinAtarConfig{StickyActionProb: v.StickyActionProb, DifficultyRamping: v.DifficultyRamping}
			m, err := NewMinAtar("breakout", cfg)
			if err != nil {
				t.Fatal(err)
			}
			m.Seed(ep.Seed)
			obs := m.Reset()
			if got := minAtarTriples(obs, 4); !slices.Equal(got, ep.InitialObs) {
				t.Fatalf("%s seed %d: initial obs\n got %v\nwant %v", vname, ep.Seed, got, ep.InitialObs)
			}
			// A second stream, advanced the same way, exposes each step's draw.
			var shadow mt19937
			shadow.seed(uint32(ep.Seed))
			if side := shadow.randint(0, 2); int(side) != ep.BallStartIndex {
				t.Fatalf("seed %d: ball start %d, reference %d", ep.Seed, side, ep.BallStartIndex)
			}
			ret := 0.0
			for k, st := range ep.Steps {
				if u := shadow.float64(); u != st.StickyU {
					t.Fatalf("%s seed %d t=%d: sticky draw %.17g, reference %.17g", vname, ep.Seed, st.T, u, st.StickyU)
				}
				if st.Action != ep.Actions[k] {
					t.Fatalf("seed %d t=%d: reference action mismatch", ep.Seed, st.T)
				}
				obs, r, term, trunc := m.Step(st.Action)
				ret += r
				if r != st.Reward || term != st.Terminal || trunc || m.ExecutedAction() != st.ExecutedAction {
					t.Fatalf("%s seed %d t=%d: (r=%v term=%v trunc=%v executed=%d), want (%v %v false %d)",
						vname, ep.Seed, st.T, r, term, trunc, m.ExecutedAction(), st.Reward, st.Terminal, st.ExecutedAction)
				}
				if got := minAtarTriples(obs, 4); !slices.Equal(got, st.Obs) {
					t.Fatalf("%s seed %d t=%d: obs\n got %v\nwant %v", vname, ep.Seed, st.T, got, st.Obs)
				}
				n++
			}
			if len(ep.Steps) != ep.Length || ret != ep.Return {
				t.Fatalf("seed %d: %d steps, return %v; reference %d, %v", ep.Seed, len(ep.Steps), ret, ep.Length, ep.Return)
			}
		}
	}
	t.Logf("%d steps matched", n)
}

// minAtarRuns is the layout of testdata/minatar_runs_<game>.json, written by
// testdata/minatar_gen.py with MinAtar 1.0.15 and NumPy 1.24.
type minAtarRuns struct {
	Game             string   `json:"game"`
	Channels         []string `json:"channels"`
	MinimalActionSet []int    `json:"minimal_action_set"`
	Runs             []struct {
		Seed              uint64  `json:"seed"`
		StickyActionProb  float64 `json:"sticky_action_prob"`
		DifficultyRamping bool    `json:"difficulty_ramping"`
		MinimalActions    bool    `json:"minimal_actions"`
		Episodes          []struct {
			InitialObs  [][3]int `json:"initial_obs"`
			InitialHash string   `json:"initial_hash"`
			Actions     string   `json:"actions"`
			Executed    string   `json:"executed"`
			Rewards     []int    `json:"rewards"`
			TerminalAt  int      `json:"terminal_at"`
			Hashes      string   `json:"hashes"`
			RampChanges [][2]int `json:"ramp_changes"`
			FinalObs    [][3]int `json:"final_obs"`
			Length      int      `json:"length"`
			Return      int      `json:"return"`
		} `json:"episodes"`
	} `json:"runs"`
}

// minAtarObsHash is the runs' observation hash: FNV-1a (32-bit) over obs as
// bytes 0 and 1, in channel-major order.
func minAtarObsHash(obs []float32) string {
	h := fnv.New32a()
	b := make([]byte, len(obs))
	for i, v := range obs {
		if v != 0 {
			b[i] = 1
		}
	}
	h.Write(b)
	return fmt.Sprintf("%08x", h.Sum32())
}

// TestMinAtarMatchesReferenceRuns replays MinAtar runs of every game: one env
// seeded once plays several episodes in a row (the generator stream and the
// sticky action carry over between them), stepping on a few times after each
// end, with sticky actions on and off, with the full and the minimal action
// sets, and ramping on and off. Every observation (by hash), reward, terminal
// flag, executed action and difficulty level must equal MinAtar's.
func TestMinAtarMatchesReferenceRuns(t *testing.T) {
	for _, info := range minAtarInfos {
		t.Run(info.name, func(t *testing.T) {
			var ref minAtarRuns
			loadJSON(t, "testdata/minatar_runs_"+info.name+".json", &ref)
			if ref.Game != info.name || !slices.Equal(ref.Channels, info.channels) || !slices.Equal(ref.MinimalActionSet, info.minimal) {
				t.Fatalf("reference is %s %v minimal %v; ours %s %v minimal %v",
					ref.Game, ref.Channels, ref.MinimalActionSet, info.name, info.channels, info.minimal)
			}
			steps := 0
			for _, run := range ref.Runs {
				cfg := MinAtarConfig{StickyActionProb: run.StickyActionProb, MinimalActions: run.MinimalActions, DifficultyRamping: run.DifficultyRamping}
				m, err := NewMinAtar(info.name, cfg)
				if err != nil {
					t.Fatal(err)
				}
				m.Seed(run.Seed)
				for e, ep := range run.Episodes {
					where := fmt.Sprintf("seed %d (sticky %v, minimal %v, ramping %v) episode %d",
						run.Seed, run.StickyActionProb, run.MinimalActions, run.DifficultyRamping, e)
					obs := m.Reset()
					if got := minAtarTriples(obs, len(info.channels)); !slices.Equal(got, ep.InitialObs) {
						t.Fatalf("%s: initial obs\n got %v\nwant %v", where, got, ep.InitialObs)
					}
					if h := minAtarObsHash(obs); h != ep.InitialHash {
						t.Fatalf("%s: initial hash %s, reference %s", where, h, ep.InitialHash)
					}
					ramp, ramps := 0, ep.RampChanges
					if _, ok := m.DifficultyRamp(); !ok {
						ramp = -1
					}
					ret := 0
					for k := range ep.Length {
						a := int(ep.Actions[k] - '0')
						obs, r, term, trunc := m.Step(a)
						ret += int(r)
						wantTerm := ep.TerminalAt != 0 && k+1 >= ep.TerminalAt
						if r != float64(ep.Rewards[k]) || term != wantTerm || trunc {
							t.Fatalf("%s step %d: (r=%v term=%v trunc=%v), want (%d %v false)", where, k+1, r, term, trunc, ep.Rewards[k], wantTerm)
						}
						if x := m.ExecutedAction(); x != int(ep.Executed[k]-'0') {
							t.Fatalf("%s step %d: executed action %d, reference %c", where, k+1, x, ep.Executed[k])
						}
						if h := minAtarObsHash(obs); h != ep.Hashes[8*k:8*k+8] {
							t.Fatalf("%s step %d: observation hash %s, reference %s; obs %v",
								where, k+1, h, ep.Hashes[8*k:8*k+8], minAtarTriples(obs, len(info.channels)))
						}
						if len(ramps) > 0 && ramps[0][0] == k+1 {
							ramp, ramps = ramps[0][1], ramps[1:]
						}
						if d, ok := m.DifficultyRamp(); ok && d != ramp {
							t.Fatalf("%s step %d: difficulty %d, reference %d", where, k+1, d, ramp)
						}
						steps++
					}
					if got := minAtarTriples(obs, len(info.channels)); len(ep.FinalObs) > 0 && !slices.Equal(got, ep.FinalObs) {
						t.Fatalf("%s: final obs\n got %v\nwant %v", where, got, ep.FinalObs)
					}
					if ret != ep.Return {
						t.Fatalf("%s: return %d, reference %d", where, ret, ep.Return)
					}
				}
			}
			t.Logf("%d steps matched", steps)
		})
	}
}

// TestMinAtarGolden compares each game's first frame, after Seed(1) and Reset,
// with testdata/minatar_<game>.png; -update rewrites the files. The frame is
// 100×100 with cells of 10 pixels; a second, odd-sized render checks that the
// cells tile the image exactly.
func TestMinAtarGolden(t *testing.T) {
	for _, game := range MinAtarGames() {
		m, err := NewMinAtar(game, DefaultMinAtarConfig())
		if err != nil {
			t.Fatal(err)
		}
		m.Seed(1)
		obs := m.Reset()
		img := image.NewRGBA(image.Rect(0, 0, 100, 100))
		m.Render(img)
		checkGolden(t, "minatar_"+game+".png", img)

		// Every cell's colour: its highest true channel's, or black.
		pal := minAtarPalette(len(m.Channels()))
		odd := image.NewRGBA(image.Rect(3, 5, 3+73, 5+41))
		m.Render(odd)
		for py := 5; py < 46; py++ {
			for px := 3; px < 76; px++ {
				y, x := cellOf(py-5, 41), cellOf(px-3, 73)
				want := [3]uint8{}
				for c := len(pal) - 1; c >= 0; c-- {
					if obs[c*100+y*10+x] != 0 {
						want = pal[c]
						break
					}
				}
				got := odd.RGBAAt(px, py)
				if [3]uint8{got.R, got.G, got.B} != want || got.A != 255 {
					t.Fatalf("%s: pixel (%d,%d) in cell (%d,%d) is %v, want %v", game, px, py, y, x, got, want)
				}
			}
		}
	}
}

// cellOf returns the cell k whose pixels [k·size/10, (k+1)·size/10) hold off.
func cellOf(off, size int) int {
	k := 0
	for (k+1)*size/10 <= off {
		k++
	}
	return k
}

// TestMinAtarPalette checks the colour tables against matplotlib's cubehelix
// formula, evaluated here in float64: each 8-bit value is the truncation of
// 255·f(i/255) with i = ⌊256·(k+1)/(n+1)⌋, unless f lies within 1e-9 of a
// level, where libm's last bit could tip it.
func TestMinAtarPalette(t *testing.T) {
	f := func(x, p0, p1 float64) float64 {
		a := x * (1 - x) / 2
		phi := 2 * math.Pi * (0.5/3 - 1.5*x)
		return min(max(x+a*(p0*math.Cos(phi)+p1*math.Sin(phi)), 0), 1)
	}
	coef := [3][2]float64{{-0.14861, 1.78277}, {-0.29227, -0.90649}, {1.97294, 0}}
	for _, n := range []int{4, 6, 7, 10} {
		pal := minAtarPalette(n)
		if len(pal) != n {
			t.Fatalf("palette %d has %d colours", n, len(pal))
		}
		for k, col := range pal {
			i := int(float64(k+1) / float64(n+1) * 256)
			for ch := range 3 {
				v := 255 * f(float64(i)/255, coef[ch][0], coef[ch][1])
				if frac := v - math.Floor(v); frac > 1e-9 && frac < 1-1e-9 && uint8(v) != col[ch] {
					t.Errorf("palette %d colour %d channel %d = %d, formula gives %.6f", n, k, ch, col[ch], v)
				}
			}
		}
	}
}

// TestMinAtarSameSeedSameEpisode plays every game twice from the same seed
// with sticky actions, through several episodes, and once from another seed.
func TestMinAtarSameSeedSameEpisode(t *testing.T) {
	for _, game := range MinAtarGames() {
		trace := func(seed uint64) []float32 {
			m, err := NewMinAtar(game, DefaultMinAtarConfig())
			if err != nil {
				t.Fatal(err)
			}
			// Play something first: Seed must make the history irrelevant.
			m.Reset()
			for range 17 {
				m.Step(5)
			}
			m.Seed(seed)
			var out []float32
			var pol mt19937
			pol.seed(99)
			for range 3 {
				out = append(out, m.Reset()...)
				for range 300 {
					obs, r, term, _ := m.Step(int(pol.randint(0, 6)))
					out = append(out, obs...)
					out = append(out, float32(r))
					if term {
						break
					}
				}
			}
			return out
		}
		a, b, c := trace(5), trace(5), trace(6)
		if !slices.Equal(a, b) {
			t.Errorf("%s: the same seed gave different episodes", game)
		}
		if slices.Equal(a, c) {
			t.Errorf("%s: seeds 5 and 6 gave the same episodes", game)
		}
	}
}

// TestMinAtarLargeSeed checks that seeds of 2³² and above seed as
// RandomState([lo, hi]) and differ from one another.
func TestMinAtarLargeSeed(t *testing.T) {
	m, err := NewMinAtar("breakout", DefaultMinAtarConfig())
	if err != nil {
		t.Fatal(err)
	}
	m.Seed(1<<32 | 5)
	var want mt19937
	want.seedArray([]uint32{5, 1})
	if m.rng != want {
		t.Fatal("Seed(2³²+5) is not RandomState([5, 1])")
	}
	m.Seed(5)
	want.seed(5)
	if m.rng != want {
		t.Fatal("Seed(5) is not RandomState(5)")
	}
}

func TestMinAtarStickyActions(t *testing.T) {
	// With probability 1 every step repeats the last executed action, which
	// Seed sets to no-op and Reset keeps.
	m, err := NewMinAtar("space_invaders", MinAtarConfig{StickyActionProb: 1, DifficultyRamping: true})
	if err != nil {
		t.Fatal(err)
	}
	m.Seed(3)
	m.Reset()
	for range 5 {
		m.Step(minAtarFire)
		if m.ExecutedAction() != minAtarNoop {
			t.Fatalf("executed %d with sticky probability 1, want no-op", m.ExecutedAction())
		}
	}
	// Alternating left and right with probability p = 0.5: a step executes
	// its own action unless it is sticky and the previous executed action was
	// the other one, so q = P(own action) solves q = (1-p) + p(1-q), and
	// q = 1/(1+p) = 2/3.
	m, _ = NewMinAtar("space_invaders", MinAtarConfig{StickyActionProb: 0.5})
	m.Seed(3)
	m.Reset()
	other, n := 0, 20000
	for i := range n {
		a := []int{minAtarLeft, minAtarRight}[i%2]
		if _, _, term, _ := m.Step(a); term {
			m.Reset()
		}
		if m.ExecutedAction() != a {
			other++
		}
	}
	if f := float64(other) / float64(n); math.Abs(f-1.0/3) > 0.02 {
		t.Fatalf("%.4f of steps executed the other action, want 1/3", f)
	}
}

func TestMinAtarMinimalActions(t *testing.T) {
	for _, info := range minAtarInfos {
		m, err := NewMinAtar(info.name, MinAtarConfig{MinimalActions: true})
		if err != nil {
			t.Fatal(err)
		}
		s := m.Spec()
		if s.Actions.N != len(info.minimal) || !strings.HasSuffix(s.ID, "-v1") {
			t.Fatalf("%s: minimal spec %s %v", info.name, s.ID, s.Actions)
		}
		m.Seed(1)
		m.Reset()
		for i, a := range info.minimal {
			m.Step(i)
			if m.ExecutedAction() != a {
				t.Fatalf("%s: minimal action %d executed %d, want %d", info.name, i, m.ExecutedAction(), a)
			}
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Fatalf("%s: action %d of a %d-action set did not panic", info.name, len(info.minimal), len(info.minimal))
				}
			}()
			m.Step(len(info.minimal))
		}()
	}
}

func TestMinAtarSpecs(t *testing.T) {
	want := map[string]struct {
		id       string
		channels int
		rmax     float64
	}{
		"breakout":       {"MinAtar/Breakout-v0", 4, 1},
		"space_invaders": {"MinAtar/SpaceInvaders-v0", 6, 2},
		"freeway":        {"MinAtar/Freeway-v0", 7, 1},
		"asterix":        {"MinAtar/Asterix-v0", 4, 1},
		"seaquest":       {"MinAtar/Seaquest-v0", 10, 11},
	}
	for _, game := range MinAtarGames() {
		m, err := NewMinAtar(game, DefaultMinAtarConfig())
		if err != nil {
			t.Fatal(err)
		}
		s, w := m.Spec(), want[game]
		if s.ID != w.id || !slices.Equal(s.Observation.Shape, []int{w.channels, 10, 10}) || s.Actions.N != 6 ||
			s.RewardRange != [2]float64{0, w.rmax} || s.MaxEpisodeSteps != 0 || s.FPS <= 0 {
			t.Errorf("%s: spec %+v", game, s)
		}
		if len(s.Observation.Low) != w.channels*100 || s.Observation.High[0] != 1 || s.Observation.Low[0] != 0 {
			t.Errorf("%s: observation bounds of the wrong size or value", game)
		}
	}
}

// TestMinAtarRewardRange plays long random games and checks every reward
// against the spec's range (an upper bound, derived in each game's info).
func TestMinAtarRewardRange(t *testing.T) {
	for _, game := range MinAtarGames() {
		m, _ := NewMinAtar(game, DefaultMinAtarConfig())
		m.Seed(11)
		m.Reset()
		var pol mt19937
		pol.seed(12)
		rr := m.Spec().RewardRange
		for range 50000 {
			_, r, term, _ := m.Step(int(pol.randint(0, 6)))
			if r < rr[0] || r > rr[1] {
				t.Fatalf("%s: reward %v outside %v", game, r, rr)
			}
			if term {
				m.Reset()
			}
		}
	}
}

func TestMinAtarSteppingAfterTheEnd(t *testing.T) {
	m, _ := NewMinAtar("breakout", MinAtarConfig{})
	m.Seed(100)
	obs := m.Reset()
	for {
		var term bool
		obs, _, term, _ = m.Step(minAtarNoop)
		if term {
			break
		}
	}
	last := slices.Clone(obs)
	for range 3 {
		obs, r, term, trunc := m.Step(minAtarRight)
		if r != 0 || !term || trunc || !slices.Equal(obs, last) {
			t.Fatalf("step after the end: r=%v term=%v trunc=%v, obs changed %v", r, term, trunc, !slices.Equal(obs, last))
		}
	}
}

func TestMinAtarRegistry(t *testing.T) {
	for _, tc := range []struct {
		spec, id string
		n        int
		sticky   float64
		ramping  bool
		limit    int
	}{
		{"minatar-breakout", "MinAtar/Breakout-v0", 6, 0.1, true, 0},
		{"breakout", "MinAtar/Breakout-v0", 6, 0.1, true, 0},
		{"MinAtar/Breakout-v0", "MinAtar/Breakout-v0", 6, 0.1, true, 0},
		{"minatar-breakout:minimal-actions=true", "MinAtar/Breakout-v1", 3, 0.1, true, 0},
		{"minatar-space-invaders:sticky=0", "MinAtar/SpaceInvaders-v0", 6, 0, true, 0},
		{"space-invaders:minimal-actions=true", "MinAtar/SpaceInvaders-v1", 4, 0.1, true, 0},
		{"minatar-freeway:sticky=0.25", "MinAtar/Freeway-v0", 6, 0.25, true, 0},
		{"freeway:minimal-actions=1", "MinAtar/Freeway-v1", 3, 0.1, true, 0},
		{"minatar-asterix:ramping=false", "MinAtar/Asterix-v0", 6, 0.1, false, 0},
		{"asterix:minimal-actions=true", "MinAtar/Asterix-v1", 5, 0.1, true, 0},
		{"minatar-seaquest:max-steps=1000", "MinAtar/Seaquest-v0", 6, 0.1, true, 1000},
		{"seaquest:minimal-actions=true", "MinAtar/Seaquest-v1", 6, 0.1, true, 0},
	} {
		e, err := Make(tc.spec)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		var m *MinAtar
		for inner := e; m == nil; {
			switch w := inner.(type) {
			case *MinAtar:
				m = w
			case interface{ Unwrap() Env }:
				inner = w.Unwrap()
			default:
				t.Fatalf("%s: no MinAtar inside %T", tc.spec, e)
			}
		}
		if s := e.Spec(); s.ID != tc.id || s.Actions.N != tc.n || s.MaxEpisodeSteps != tc.limit {
			t.Errorf("%s: %s %v limit %d, want %s %d actions, limit %d", tc.spec, s.ID, s.Actions, s.MaxEpisodeSteps, tc.id, tc.n, tc.limit)
		}
		if m.cfg.StickyActionProb != tc.sticky || m.cfg.DifficultyRamping != tc.ramping {
			t.Errorf("%s: config %+v", tc.spec, m.cfg)
		}
	}
	for _, tc := range []struct{ spec, want string }{
		{"minatar-breakout:sticky=1.5", "sticky"},
		{"minatar-breakout:sticky=-0.1", "sticky"},
		{"minatar-breakout:sticky=NaN", "sticky"},
		{"minatar-breakout:sticky=abc", "sticky"},
		{"minatar-breakout:minimal-actions=maybe", "minimal-actions"},
		{"minatar-seaquest:ramping=yes", "ramping"},
		{"minatar-seaquest:max-steps=-1", "max-steps"},
		{"minatar-seaquest:lives=3", "lives"},
		{"minatar-pong", "unknown environment"},
	} {
		_, err := Make(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %q", tc.spec, err, tc.want)
		}
	}
	if _, err := NewMinAtar("pong", DefaultMinAtarConfig()); err == nil || !strings.Contains(err.Error(), "breakout") {
		t.Errorf("NewMinAtar(pong): %v, want an error listing the games", err)
	}
}

// BenchmarkMinAtarStep measures steps of each game with pre-drawn random
// actions and default options (sticky actions on), resetting at each end.
func BenchmarkMinAtarStep(b *testing.B) {
	for _, game := range MinAtarGames() {
		b.Run(game, func(b *testing.B) {
			m, err := NewMinAtar(game, DefaultMinAtarConfig())
			if err != nil {
				b.Fatal(err)
			}
			m.Seed(1)
			m.Reset()
			var pol mt19937
			pol.seed(2)
			actions := make([]int, 4096)
			for i := range actions {
				actions[i] = int(pol.randint(0, 6))
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, _, term, _ := m.Step(actions[i&4095]); term {
					m.Reset()
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "env-steps/s")
		})
	}
}

func BenchmarkMinAtarRender(b *testing.B) {
	m, _ := NewMinAtar("seaquest", DefaultMinAtarConfig())
	m.Seed(1)
	m.Reset()
	img := image.NewRGBA(image.Rect(0, 0, 400, 400))
	b.ReportAllocs()
	for b.Loop() {
		m.Render(img)
	}
}
