package remote

import (
	"errors"
	"math"
	"math/rand/v2"
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/env/remote/remotetest"
)

// dialCartPole connects to s's CartPole-v1 with the time limit maxSteps.
func dialCartPole(t testing.TB, s *remotetest.Server, maxSteps int) *Env {
	t.Helper()
	cfg := DefaultConfig(s.Addr, "CartPole-v1")
	cfg.WorldSettings = []Setting{Int("max_episode_steps", int64(maxSteps))}
	cfg.MaxEpisodeSteps = maxSteps
	e, err := Dial(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestMatchesCartPole steps the Python CartPole of testdata/cartpole_server.py
// and deepq's env.CartPole from the same start states (deepq's draws, sent as
// the reset option "state") with the same random actions: every observation
// (float32 bits), reward and flag must agree. A time limit of 30 steps makes
// both kinds of ending common; dm_env_rpc carries one state, so where deepq's
// TimeLimit says terminated and truncated at once, the remote env says
// terminated only.
func TestMatchesCartPole(t *testing.T) {
	s := sharedServer(t)
	const maxSteps, episodes = 30, 200
	e := dialCartPole(t, s, maxSteps)
	cp := env.NewCartPole()
	cp.Seed(3)
	local := env.NewTimeLimit(cp, maxSteps)
	rng := rand.New(rand.NewPCG(1, 2))

	var steps, terminated, truncated int
	for ep := range episodes {
		want := slices.Clone(local.Reset())
		got, err := e.ResetWith(Float64s("state", cp.State[:]...))
		if err != nil {
			t.Fatal(err)
		}
		if !sameBits(got, want) {
			t.Fatalf("episode %d: first observation %v, deepq's %v", ep, got, want)
		}
		for {
			a := rng.IntN(2)
			wo, wr, wterm, wtrunc := local.Step(a)
			o, r, term, trunc := e.Step(a)
			if err := e.Err(); err != nil {
				t.Fatal(err)
			}
			steps++
			if wterm {
				wtrunc = false // the protocol's one state: terminated wins
			}
			if !sameBits(o, wo) || r != wr || term != wterm || trunc != wtrunc {
				t.Fatalf("episode %d step %d, action %d: remote %v r=%v term=%v trunc=%v; deepq %v r=%v term=%v trunc=%v",
					ep, steps, a, o, r, term, trunc, wo, wr, wterm, wtrunc)
			}
			if term || trunc {
				if term {
					terminated++
				} else {
					truncated++
				}
				break
			}
		}
	}
	t.Logf("%d episodes, %d steps: %d terminated, %d truncated", episodes, steps, terminated, truncated)
	if terminated < episodes/10 || truncated < episodes/10 {
		t.Errorf("%d terminated and %d truncated episodes: want both kinds tested", terminated, truncated)
	}
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestSpec checks the spec read from JoinWorld's specs against deepq's
// CartPole-v1.
func TestSpec(t *testing.T) {
	s := sharedServer(t)
	e := dialCartPole(t, s, 200)
	got, want := e.Spec(), env.NewCartPole().Spec()
	if !slices.Equal(got.Observation.Shape, want.Observation.Shape) || got.Actions.N != want.Actions.N {
		t.Fatalf("spaces %v %v, want %v %v", got.Observation, got.Actions, want.Observation, want.Actions)
	}
	if !sameBits(got.Observation.Low, want.Observation.Low) || !sameBits(got.Observation.High, want.Observation.High) {
		t.Errorf("bounds [%v, %v], want [%v, %v]", got.Observation.Low, got.Observation.High, want.Observation.Low, want.Observation.High)
	}
	if got.ID != "CartPole-v1" || got.MaxEpisodeSteps != 200 {
		t.Errorf("ID %q, MaxEpisodeSteps %d; want CartPole-v1, 200", got.ID, got.MaxEpisodeSteps)
	}
	if !strings.HasPrefix(e.World(), "CartPole-v1/") {
		t.Errorf("world %q: want the server's name CartPole-v1/<n>", e.World())
	}
}

// TestSeed checks the seeding convention: Seed(s) then Reset is the
// server's reset(seed=s), so the same seed gives the same start state, a
// different one another, and later Resets continue the seeded generator.
func TestSeed(t *testing.T) {
	s := sharedServer(t)
	e := dialCartPole(t, s, 500)
	reset := func() []float32 {
		o := slices.Clone(e.Reset())
		if err := e.Err(); err != nil {
			t.Fatal(err)
		}
		return o
	}
	e.Seed(7)
	a, a2 := reset(), reset()
	e.Seed(7)
	b, b2 := reset(), reset()
	e.Seed(8)
	c := reset()
	if !sameBits(a, b) || !sameBits(a2, b2) {
		t.Errorf("seed 7 twice: %v %v, then %v %v", a, a2, b, b2)
	}
	if sameBits(a, a2) || sameBits(a, c) {
		t.Errorf("seed 7 %v, its next episode %v, seed 8 %v: want three start states", a, a2, c)
	}
	for _, o := range [][]float32{a, a2, c} {
		for _, v := range o {
			if v < -0.05 || v > 0.05 {
				t.Errorf("start state %v outside [-0.05, 0.05]", o)
			}
		}
	}
	// The server draws start states from the generator deepq's CartPole
	// uses: the same seed gives the same episodes, to the bit.
	local := env.NewCartPole()
	for _, seed := range []uint64{0, 7, 8, 1 << 63} {
		local.Seed(seed)
		e.Seed(seed)
		for ep := range 3 {
			if want, got := slices.Clone(local.Reset()), reset(); !sameBits(want, got) {
				t.Fatalf("seed %d, episode %d: start state %v, deepq's CartPole %v", seed, ep, got, want)
			}
		}
	}
}

// TestMake builds the env through the registry, wrapped as env.Make wraps
// every env, and checks its option errors.
func TestMake(t *testing.T) {
	s := sharedServer(t)
	e, err := env.Make("remote:addr=" + s.Addr + ",world=CartPole-v1,max-steps=25,timeout=5s")
	if err != nil {
		t.Fatal(err)
	}
	r, ok := env.Find[*Env](e)
	if !ok {
		t.Fatalf("Make built %T, with no *remote.Env inside", e)
	}
	defer r.Close()
	if f, ok := env.Find[env.Failer](e); !ok || f.Err() != nil {
		t.Fatalf("Find[env.Failer]: %v %v", f, ok)
	}
	if sp := e.Spec(); sp.MaxEpisodeSteps != 25 || sp.Actions.N != 2 || sp.Observation.Size() != 4 {
		t.Fatalf("spec %+v", sp)
	}
	e.Seed(1)
	e.Reset()
	n := 0
	for trunc, term := false, false; !term && !trunc; n++ {
		_, _, term, trunc = e.Step(n % 2) // alternate: the pole stays up, the limit ends it
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if st, _ := env.Find[*env.EpisodeStats](e); st == nil {
		t.Error("no EpisodeStats around the env")
	} else if ep, ok := st.Ended(); !ok || ep.Length != n || ep.Length != 25 || !ep.Truncated {
		t.Errorf("episode %+v after %d steps: want 25 steps, truncated by the server's limit", ep, n)
	}

	for _, tc := range []struct{ spec, want string }{
		{"remote", "addr and world are required"},
		{"remote:world=CartPole-v1", "addr and world are required"},
		{"remote:addr=" + s.Addr, "addr and world are required"},
		{"remote:addr=127.0.0.1,world=CartPole-v1", "want host:port"},
		{"remote:addr=127.0.0.1:0,world=CartPole-v1", "port in 1..65535"},
		{"remote:addr=" + s.Addr + ",world=CartPole-v1,timeout=soon", "want a duration"},
		{"remote:addr=" + s.Addr + ",world=CartPole-v1,timeout=-1s", "positive duration"},
		{"remote:addr=" + s.Addr + ",world=CartPole-v1,timeout=", "want a duration"},
		{"remote:addr=" + s.Addr + ",world=CartPole-v1,max-steps=-3", "max-steps"},
		{"remote:addr=" + s.Addr + ",world=CartPole-v1,speed=2", `unknown option "speed"`},
		{"remote:addr=" + s.Addr + ",world=CartPole-v1,obs=pixels", `no observation "pixels"`},
	} {
		_, err := env.Make(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Make(%q): error %v, want one containing %q", tc.spec, err, tc.want)
		}
	}
}

// TestBadWorld: the server's own message for an unknown env id reaches the
// caller, as a ServerError.
func TestBadWorld(t *testing.T) {
	s := sharedServer(t)
	_, err := Dial(DefaultConfig(s.Addr, "NoSuchEnv-v0"))
	var se *ServerError
	if !errors.As(err, &se) || se.Code != codes.NotFound || se.Request != "create_world" {
		t.Fatalf("Dial: %v, want a ServerError NotFound for create_world", err)
	}
	if want := "no env 'NoSuchEnv-v0' on this test server (it serves CartPole-v1 and Probe-v0)"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not show the server's text %q", err, want)
	}
	t.Log(err)
}

// TestServerErrorMidEpisode: a reset the server's env refuses is reported
// with the env's own message, and the env fails from then on.
func TestServerErrorMidEpisode(t *testing.T) {
	s := sharedServer(t)
	e := dialCartPole(t, s, 500)
	e.Reset()
	e.Step(0)
	_, err := e.ResetWith(Float64s("state", 1, 2, 3))
	if err == nil || !strings.Contains(err.Error(), "option state must be 4 floats") {
		t.Fatalf("reset with a 3-float state: %v, want the env's ValueError", err)
	}
	if e.Err() != err {
		t.Errorf("Err() = %v, want the reset's error", e.Err())
	}
	if _, r, term, trunc := e.Step(1); r != 0 || term || !trunc {
		t.Errorf("Step after a failure: r=%v term=%v trunc=%v, want 0 false true", r, term, trunc)
	}
	t.Log(err)
}

// TestServerKilled: a server killed mid-episode is a clear error at once,
// long before the timeout, and Step never blocks again.
func TestServerKilled(t *testing.T) {
	s := startServer(t)
	e := dialCartPole(t, s, 500)
	e.Reset()
	e.Step(0)
	s.Kill()
	start := time.Now()
	_, r, term, trunc := e.Step(1)
	took := time.Since(start)
	err := e.Err()
	if err == nil {
		t.Fatal("Step after the server was killed: no error")
	}
	if took > 2*time.Second {
		t.Errorf("the error took %v", took)
	}
	if !strings.Contains(err.Error(), "server unavailable") && !strings.Contains(err.Error(), "closed the stream") {
		t.Errorf("error %q does not say the server went away", err)
	}
	if r != 0 || term || !trunc {
		t.Errorf("the failed Step returned r=%v term=%v trunc=%v, want 0 false true", r, term, trunc)
	}
	start = time.Now()
	e.Reset()
	e.Step(0)
	if time.Since(start) > 100*time.Millisecond || e.Err() != err {
		t.Errorf("Reset and Step after the failure took %v, Err %v", time.Since(start), e.Err())
	}
	t.Logf("after %v: %v", took, err)
}

// TestServerHung: a server that stops answering (SIGSTOP) is an error after
// the timeout, not a hang.
func TestServerHung(t *testing.T) {
	s := startServer(t)
	cfg := DefaultConfig(s.Addr, "CartPole-v1")
	cfg.Timeout = 300 * time.Millisecond
	e, err := Dial(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.Reset()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	e.Step(0)
	took := time.Since(start)
	err = e.Err()
	if err == nil || !strings.Contains(err.Error(), "no answer within 300ms") || !errors.Is(err, errTimeout) {
		t.Fatalf("Step on a stopped server: %v, want a timeout", err)
	}
	if took < cfg.Timeout || took > cfg.Timeout+2*time.Second {
		t.Errorf("the timeout took %v, want about %v", took, cfg.Timeout)
	}
	t.Logf("after %v: %v", took, err)
}

// TestBadAddress: nothing listening, or no such host, is a clear error from
// Dial within the timeout.
func TestBadAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	start := time.Now()
	_, err = Dial(DefaultConfig(closed, "CartPole-v1"))
	if err == nil || !strings.Contains(err.Error(), "server unavailable") || !strings.Contains(err.Error(), closed) {
		t.Errorf("Dial(%s), nothing listening: %v", closed, err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
	t.Log(err)
	for _, addr := range []string{"", "127.0.0.1", ":50051", "127.0.0.1:http", "127.0.0.1:70000"} {
		if _, err := Dial(DefaultConfig(addr, "CartPole-v1")); err == nil || !strings.Contains(err.Error(), "want host:port") {
			t.Errorf("Dial(%q): %v, want an address error", addr, err)
		}
	}
}

// TestGymnasiumServer runs scripts/dm_env_rpc_server.py itself. With
// Gymnasium installed its CartPole-v1 must have deepq's spaces and step;
// without it, making a world must fail with the server's explanation.
func TestGymnasiumServer(t *testing.T) {
	s, err := remotetest.Launch("../../scripts/dm_env_rpc_server.py")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Kill()
	hasGym := exec.Command(remotetest.Python(), "-c", "import gymnasium").Run() == nil
	e, err := Dial(DefaultConfig(s.Addr, "CartPole-v1"))
	if !hasGym {
		if err == nil || !strings.Contains(err.Error(), "Gymnasium is not installed on the server") {
			t.Fatalf("without Gymnasium: %v, want the server's explanation", err)
		}
		t.Logf("without Gymnasium: %v", err)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if sp := e.Spec(); sp.Actions.N != 2 || sp.Observation.Size() != 4 {
		t.Fatalf("Gymnasium's CartPole-v1: spec %+v", sp)
	}
	e.Seed(1)
	e.Reset()
	for range 10 {
		e.Step(1)
	}
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestProbe checks types other than CartPole's against testdata's Probe-v0:
// uint8 observations of shape (2, 3) with per-element bounds, and actions
// {-1, 0, 1} sent as min + index.
func TestProbe(t *testing.T) {
	s := sharedServer(t)
	e, err := Dial(DefaultConfig(s.Addr, "Probe-v0"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	sp := e.Spec()
	if !slices.Equal(sp.Observation.Shape, []int{2, 3}) || sp.Actions.N != 3 ||
		!slices.Equal(sp.Observation.Low, []float32{0, 0, 7, 0, 0, 0}) || !slices.Equal(sp.Observation.High, []float32{255, 2, 7, 255, 255, 255}) {
		t.Fatalf("spec %+v", sp)
	}
	if o := e.Reset(); !slices.Equal(o, []float32{0, 0, 7, 255, 0, 0}) {
		t.Errorf("first observation %v", o)
	}
	for i, a := range []int{2, 0, 1} {
		o, r, term, trunc := e.Step(a)
		tt := float32(i + 1)
		if want := []float32{tt, float32(a), 7, 255, 0, tt}; !slices.Equal(o, want) || r != float64(a-1) || term != (i == 2) || trunc {
			t.Errorf("step %d, action %d: %v r=%v term=%v trunc=%v; want %v r=%v term=%v", i, a, o, r, term, trunc, want, a-1, i == 2)
		}
	}
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
}
