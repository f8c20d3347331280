package env

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
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
