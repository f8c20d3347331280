package env

import (
	"slices"
	"strings"
	"testing"
)

func TestFrameStackImage(t *testing.T) {
	e, err := Make("gridworld:map=open-5x5,obs=image,frame-stack=3")
	if err != nil {
		t.Fatal(err)
	}
	sp := e.Spec()
	if !slices.Equal(sp.Observation.Shape, []int{12, 5, 5}) || len(sp.Observation.Low) != 300 {
		t.Fatalf("stacked space %v (%d bounds)", sp.Observation, len(sp.Observation.Low))
	}
	g := Unwrapped(e).(*GridWorld)
	const frame = 4 * 25
	agentAt := func(obs []float32, k int) int { // the agent's cell in frame k
		return slices.Index(obs[k*frame:k*frame+25], 1)
	}
	obs := e.Reset()
	for k := range 3 {
		if !slices.Equal(obs[k*frame:(k+1)*frame], g.obs) {
			t.Fatalf("after Reset frame %d is not the first frame", k)
		}
	}
	obs, _, _, _ = e.Step(1) // right: cell 1
	obs, _, _, _ = e.Step(2) // down: cell 6
	if a, b, c := agentAt(obs, 0), agentAt(obs, 1), agentAt(obs, 2); a != 0 || b != 1 || c != 6 {
		t.Fatalf("frames show the agent at %d %d %d, want 0 1 6 (oldest first)", a, b, c)
	}
	obs, _, _, _ = e.Step(2) // cell 11
	if a, b, c := agentAt(obs, 0), agentAt(obs, 1), agentAt(obs, 2); a != 1 || b != 6 || c != 11 {
		t.Fatalf("frames show the agent at %d %d %d, want 1 6 11", a, b, c)
	}
	// Walls, goals and pits channels of every frame are the map's.
	if obs[frame+2*25+24] != 1 || obs[2*frame+2*25+24] != 1 {
		t.Fatal("goal channel missing from a stacked frame")
	}
	obs = e.Reset()
	for k := range 3 {
		if agentAt(obs, k) != 0 {
			t.Fatalf("second Reset: frame %d has the agent at %d", k, agentAt(obs, k))
		}
	}
}

func TestFrameStackVector(t *testing.T) {
	e, err := Make("cartpole:frame-stack=2")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(e.Spec().Observation.Shape, []int{8}) {
		t.Fatalf("shape %v", e.Spec().Observation.Shape)
	}
	e.Seed(1)
	first := slices.Clone(e.Reset())
	if !slices.Equal(first[:4], first[4:]) {
		t.Fatal("reset frames differ")
	}
	obs, _, _, _ := e.Step(0)
	cp := Unwrapped(e).(*CartPole)
	if !slices.Equal(obs[:4], first[4:]) || !slices.Equal(obs[4:], cp.observe()) {
		t.Fatalf("after a step %v, want old %v then new", obs, first)
	}
}

func TestClipRewardAndEpisodeStats(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		rewards []float64
	}{
		{"sign", []float64{-1, -1, -1}},
		{"unit", []float64{-1, -1, -1}},
		{"none", []float64{-1, -1, -100}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			e, err := Make("gridworld:map=cliff,clip-reward=" + tc.mode)
			if err != nil {
				t.Fatal(err)
			}
			var seen []Episode
			st, ok := Find[*EpisodeStats](e)
			if !ok {
				t.Fatal("Make did not add EpisodeStats")
			}
			st.OnEpisode = func(ep Episode) { seen = append(seen, ep) }
			e.Reset()
			var got []float64
			for _, a := range []int{0, 2, 1} { // up, down, right into the cliff
				_, r, _, _ := e.Step(a)
				got = append(got, r)
			}
			if !slices.Equal(got, tc.rewards) {
				t.Fatalf("rewards %v, want %v", got, tc.rewards)
			}
			ep, ended := st.Ended()
			want := Episode{Return: -102, Length: 3, Terminated: true}
			if !ended || ep != want || len(seen) != 1 || seen[0] != want || st.Episodes() != 1 {
				t.Fatalf("stats %+v ended=%v seen=%v, want the raw return %+v", ep, ended, seen, want)
			}
			// A reset mid-episode abandons it unreported.
			e.Reset()
			e.Step(0)
			if _, ended := st.Ended(); ended {
				t.Fatal("Ended after a non-final step")
			}
			if r, n := st.Current(); r != -1 || n != 1 {
				t.Fatalf("current %v %d", r, n)
			}
			e.Reset()
			if last, _ := st.Last(); last != want || st.Episodes() != 1 {
				t.Fatal("abandoned episode was recorded")
			}
		})
	}
	e, _ := Make("gridworld:map=cliff,clip-reward=sign")
	if rr := e.Spec().RewardRange; rr != [2]float64{-1, -1} {
		t.Fatalf("clipped reward range %v", rr)
	}
}

func TestEpisodeStatsTruncation(t *testing.T) {
	e, _ := Make("cartpole:max-steps=5")
	e.Seed(2)
	e.Reset()
	for range 5 {
		e.Step(0)
	}
	st, _ := Find[*EpisodeStats](e)
	if ep, ok := st.Ended(); !ok || ep != (Episode{Return: 5, Length: 5, Truncated: true}) {
		t.Fatalf("%+v %v", ep, ok)
	}
}

func TestCommonOptionErrors(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"cartpole:frame-stack=0", "frame-stack"},
		{"cartpole:frame-stack=x", "frame-stack"},
		{"acrobot:clip-reward=tanh", `unknown reward clipping "tanh"`},
		{"mountaincar:dynamics=book", `unknown option "dynamics"`},
		{"acrobot:dynamics=euler", "book or nips"},
	} {
		if _, err := Make(tc.name); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Make(%q): %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}
