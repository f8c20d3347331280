package viz

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
)

// smallConfig is a short run on envName with its preset.
func smallConfig(t testing.TB, envName string, steps int64) agent.Config {
	t.Helper()
	cfg, err := agent.Preset(agent.PresetFor(envName))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Env, cfg.Seed, cfg.TotalSteps = envName, 7, steps
	cfg.LearningStarts = min(cfg.LearningStarts, steps/4)
	cfg.Hidden, cfg.BatchSize = []int{32, 32}, 32
	cfg.ExplorationSteps = min(cfg.ExplorationSteps, steps/2)
	cfg.EvalEvery, cfg.EvalEpisodes, cfg.FinalEvalEpisodes = steps/2, 2, 2
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// runLog keeps what a determinism test compares.
type runLog struct {
	agent.NopObserver
	returns, losses, evals []float64
	actions                []int
}

func (r *runLog) OnStep(e *agent.StepEvent)       { r.actions = append(r.actions, e.Action) }
func (r *runLog) OnEpisode(e *agent.EpisodeEvent) { r.returns = append(r.returns, e.Return) }
func (r *runLog) OnUpdate(e *agent.UpdateEvent)   { r.losses = append(r.losses, e.Loss) }
func (r *runLog) OnEval(e *agent.EvalEvent)       { r.evals = append(r.evals, e.Mean) }

func (r *runLog) equal(o *runLog) bool {
	return slices.Equal(r.returns, o.returns) && slices.Equal(r.losses, o.losses) &&
		slices.Equal(r.evals, o.evals) && slices.Equal(r.actions, o.actions)
}

// watched is a training run with a viewer and a fake window: a goroutine
// that updates a screen as fast as it can, as the real window does at its
// frame rate.
type watched struct {
	tr     *agent.Trainer
	v      *Viewer
	s      *screen
	mu     sync.Mutex // guards s between the fake window and the test
	stop   chan struct{}
	done   sync.WaitGroup
	frames atomic.Int64 // frames with an image the window took
}

// newWatched builds the trainer of cfg with before, the viewer and after as
// observers (in that order) and the viewer's Greedy hook.
func newWatched(t *testing.T, cfg agent.Config, o Options, before, after []agent.Observer) *watched {
	t.Helper()
	tr, err := agent.NewTrainer(cfg, before...)
	if err != nil {
		t.Fatal(err)
	}
	o.QValues = tr.Agent.QValues
	v, err := NewViewer(tr.Env, o)
	if err != nil {
		t.Fatal(err)
	}
	tr.Observe(v)
	tr.Observe(after...)
	tr.Actor.Greedy = v.Greedy
	w := &watched{tr: tr, v: v, s: newScreen(v), stop: make(chan struct{})}
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		for {
			select {
			case <-w.stop:
				return
			default:
			}
			w.mu.Lock()
			shown := w.s.shown
			w.s.update(time.Now())
			if w.s.shown != shown {
				w.frames.Add(1)
			}
			w.mu.Unlock()
			time.Sleep(50 * time.Microsecond)
		}
	}()
	return w
}

func (w *watched) close() {
	close(w.stop)
	w.done.Wait()
}

func run(t *testing.T, tr *agent.Trainer) agent.Result {
	t.Helper()
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestWatchingChangesNothing: a run watched through the window, sampled or
// one episode in K, is the run without it, action for action, as long as G
// is not pressed.
func TestWatchingChangesNothing(t *testing.T) {
	cfg := smallConfig(t, "cartpole", 3000)
	base := &runLog{}
	tr, err := agent.NewTrainer(cfg, base)
	if err != nil {
		t.Fatal(err)
	}
	run(t, tr)
	for _, o := range []Options{
		{FPS: 60},             // sampling
		{Every: 3, Speed: 0},  // watching, unthrottled
		{Every: 1, FPS: 1e-9}, // watching every episode (FPS unused)
	} {
		// Training pauses at three steps until the window has shown them,
		// so that the window surely gets frames however fast training is;
		// in between, it takes what it can.
		got := &runLog{}
		var w *watched
		p := &pauser{at: -1, ats: []int64{500, 1500, 2500}, ctl: func() *Controls { return w.v.Controls() }}
		w = newWatched(t, cfg, o, []agent.Observer{got, p}, nil)
		done := make(chan struct{})
		go func() {
			defer close(done)
			run(t, w.tr)
		}()
		for _, at := range p.ats {
			eventually(t, fmt.Sprintf("step %d on screen", at), func() bool {
				w.mu.Lock()
				defer w.mu.Unlock()
				return w.s.shown == at
			})
			w.v.Controls().SetPaused(false)
		}
		<-done
		w.close()
		w.v.Finish()
		if !got.equal(base) {
			t.Fatalf("options %+v: the watched run differs from the run without a window", o)
		}
		if w.frames.Load() < 3 {
			t.Fatalf("options %+v: the window got %d frames", o, w.frames.Load())
		}
	}
}

// pauser pauses training at a given step (or steps), before the viewer
// sees it.
type pauser struct {
	agent.NopObserver
	at  int64
	ats []int64
	ctl func() *Controls
}

func (p *pauser) OnStep(e *agent.StepEvent) {
	if e.Step == p.at || slices.Contains(p.ats, e.Step) {
		p.ctl().SetPaused(true)
	}
}

// TestFrameIsTheEnv: paused at a step, the window's frame region holds
// exactly the env's own rendering of that step, and the HUD is drawn.
func TestFrameIsTheEnv(t *testing.T) {
	for _, name := range []string{"cartpole", "gridworld:map=four-rooms"} {
		t.Run(name, func(t *testing.T) {
			cfg := smallConfig(t, name, 1500)
			var w *watched
			p := &pauser{at: 700, ctl: func() *Controls { return w.v.Controls() }}
			w = newWatched(t, cfg, DefaultOptions(), []agent.Observer{p}, nil)
			defer w.close()
			done := make(chan agent.Result)
			go func() { done <- run(t, w.tr) }()
			eventually(t, "the paused step on screen", func() bool {
				w.mu.Lock()
				defer w.mu.Unlock()
				return w.s.shown == 700
			})
			eventually(t, "training blocked", w.v.ctl.blocked)
			// Training is blocked in the viewer: its env holds step 700.
			want := image.NewRGBA(w.v.FrameBounds())
			r, _ := env.Find[env.Renderer](w.tr.Env)
			r.Render(want)
			w.mu.Lock()
			got := w.s.img.SubImage(w.s.frame).(*image.RGBA)
			if d := maxDiff(got, want); d != 0 {
				t.Errorf("frame region differs from the env's render by up to %d", d)
			}
			if n := countNot(w.s.img.SubImage(w.s.panel).(*image.RGBA), bgColor); n < 2000 {
				t.Errorf("HUD has %d drawn pixels, want text and bars", n)
			}
			w.mu.Unlock()
			w.v.Controls().SetPaused(false)
			res := <-done
			if res.Steps != cfg.TotalSteps {
				t.Fatalf("%d steps after resuming, want %d", res.Steps, cfg.TotalSteps)
			}
		})
	}
}

// maxDiff is the largest difference of a colour channel between a and b,
// compared from their minimum points over b's size.
func maxDiff(a, b *image.RGBA) int {
	d := 0
	for y := range b.Rect.Dy() {
		for x := range b.Rect.Dx() {
			pa := a.Pix[a.PixOffset(a.Rect.Min.X+x, a.Rect.Min.Y+y):]
			pb := b.Pix[b.PixOffset(b.Rect.Min.X+x, b.Rect.Min.Y+y):]
			for c := range 3 {
				d = max(d, abs(int(pa[c])-int(pb[c])))
			}
		}
	}
	return d
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// countNot counts the pixels of img that are not c.
func countNot(img *image.RGBA, c color.RGBA) int {
	n := 0
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			p := img.Pix[img.PixOffset(x, y):]
			if p[0] != c.R || p[1] != c.G || p[2] != c.B {
				n++
			}
		}
	}
	return n
}

// stepCheck records which episodes had frames and greedy steps.
type stepCheck struct {
	agent.NopObserver
	episode       int
	greedy, total map[int]int // per episode
}

func (c *stepCheck) OnStep(e *agent.StepEvent) {
	c.total[e.Episode]++
	if e.Q != nil {
		c.greedy[e.Episode]++
	}
}

// taker takes frames on the training goroutine right after the viewer
// published them, and asks for one at every step: a window that never
// misses a frame.
type taker struct {
	agent.NopObserver
	v     *Viewer
	shown map[int]int // image frames per episode
}

func (k *taker) OnStep(*agent.StepEvent) {
	if f, ok := k.v.slot.take(); ok && f.hasImage {
		k.shown[f.view.Episode]++
	}
	k.v.slot.request()
}

// TestEveryKWithGreedy: with G on, watched episodes (0, K, 2K, …) are all
// greedy and shown step by step; the others keep exploring and are not
// shown.
func TestEveryKWithGreedy(t *testing.T) {
	cfg := smallConfig(t, "cartpole", 3000)
	cfg.ExplorationEnd = 0.5 // plenty of random actions in unwatched episodes
	c := &stepCheck{greedy: map[int]int{}, total: map[int]int{}}
	k := &taker{shown: map[int]int{}}
	w := newWatched(t, cfg, Options{Every: 4, Speed: 0}, nil, []agent.Observer{c, k})
	w.close() // no fake window: the taker takes every frame
	k.v = w.v
	w.v.Controls().ToggleGreedy()
	res := run(t, w.tr)
	if res.Episodes < 12 {
		t.Fatalf("only %d episodes", res.Episodes)
	}
	random := 0
	for ep := range res.Episodes {
		g, n := c.greedy[ep], c.total[ep]
		switch {
		case ep%4 == 0 && g != n:
			t.Errorf("watched episode %d: %d of %d steps greedy, want all", ep, g, n)
		case ep%4 == 0 && ep > 0 && k.shown[ep] != n: // episode 0's first step came before any request
			t.Errorf("watched episode %d: %d of %d steps shown", ep, k.shown[ep], n)
		case ep%4 != 0 && k.shown[ep] > 0:
			t.Errorf("episode %d was shown; only one in 4 should be", ep)
		case ep%4 != 0:
			random += n - g
		}
	}
	if random == 0 {
		t.Error("no random action in unwatched episodes")
	}
}

// TestPacing: a watched episode plays no faster than Speed × FPS steps a
// second (GridWorld: 8 fps; at 16× that is 128 steps a second).
func TestPacing(t *testing.T) {
	cfg := smallConfig(t, "gridworld:map=open-5x5", 96)
	w := newWatched(t, cfg, Options{Every: 1, Speed: 16}, nil, nil)
	defer w.close()
	start := time.Now()
	run(t, w.tr)
	// The first step of each episode starts its clock, so 96 steps in e
	// episodes take at least (96 − e) periods.
	if min, got := time.Duration(96-w.v.nRet-1)*time.Second/128, time.Since(start); got < min {
		t.Fatalf("96 paced steps took %v, want at least %v", got, min)
	}
}

// TestRecording: R records the watched episode, every step, into a GIF in
// RecordDir, then turns itself off.
func TestRecording(t *testing.T) {
	dir := t.TempDir()
	cfg := smallConfig(t, "cartpole", 400)
	c := &stepCheck{greedy: map[int]int{}, total: map[int]int{}}
	w := newWatched(t, cfg, Options{FPS: 30, RecordDir: dir}, nil, []agent.Observer{c})
	defer w.close()
	w.v.Controls().ToggleRecord()
	run(t, w.tr)
	paths := w.v.Finish()
	if len(paths) != 1 || w.v.Controls().Recording() {
		t.Fatalf("recorded %v, recording still asked: %v; want one file, off", paths, w.v.Controls().Recording())
	}
	f, err := os.Open(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := gif.DecodeAll(f)
	if err != nil {
		t.Fatal(err)
	}
	fb := w.v.FrameBounds()
	if g.Config.Width != fb.Dx() || g.Config.Height != fb.Dy() {
		t.Fatalf("GIF %dx%d, frame %v", g.Config.Width, g.Config.Height, fb)
	}
	// CartPole's state changes every step: one GIF frame a step.
	if len(g.Image) != c.total[0] {
		t.Fatalf("GIF of %d frames; episode 0 had %d steps", len(g.Image), c.total[0])
	}
}

// TestCloseGoesHeadless: after Esc the trainer runs to the end without the
// window, its Greedy hook off; a paused trainer is released.
func TestCloseGoesHeadless(t *testing.T) {
	cfg := smallConfig(t, "cartpole", 2000)
	var w *watched
	p := &pauser{at: 300, ctl: func() *Controls { return w.v.Controls() }}
	w = newWatched(t, cfg, DefaultOptions(), []agent.Observer{p}, nil)
	defer w.close()
	w.v.Controls().ToggleGreedy()
	done := make(chan agent.Result)
	go func() { done <- run(t, w.tr) }()
	eventually(t, "training paused", w.v.ctl.blocked)
	w.v.Controls().Close()
	res := <-done
	if res.Steps != cfg.TotalSteps {
		t.Fatalf("%d steps, want %d", res.Steps, cfg.TotalSteps)
	}
	if w.v.Greedy() {
		t.Fatal("Greedy still on after close")
	}
	if w.v.live.Step != 300 {
		t.Fatalf("the viewer saw step %d, want 300: nothing after closing", w.v.live.Step)
	}
}

func TestScreenKeys(t *testing.T) {
	e, _ := env.Make("cartpole")
	v, err := NewViewer(e, Options{Every: 2, Speed: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := newScreen(v)
	c := v.Controls()
	for _, k := range []Key{KeyPause, KeyGreedy, KeyFaster, KeyRecord} {
		s.key(k)
	}
	if !c.Paused() || !c.Greedy() || c.Speed() != 2 || !c.Recording() {
		t.Fatalf("paused %v greedy %v speed %g recording %v", c.Paused(), c.Greedy(), c.Speed(), c.Recording())
	}
	s.key(KeySlower)
	s.key(KeySlower)
	if c.Speed() != 0.5 {
		t.Fatalf("speed %g, want 0.5", c.Speed())
	}
	s.key(KeyClose)
	if !c.Closed() || c.Paused() {
		t.Fatal("Esc did not close and unpause")
	}
}

func TestNewViewerErrors(t *testing.T) {
	e, _ := env.Make("cartpole")
	for _, o := range []Options{
		{FPS: 0},
		{FPS: 30, Width: 10},
		{Every: -1},
		{Every: 1, Speed: 1000},
	} {
		if _, err := NewViewer(e, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}

func TestFrameSize(t *testing.T) {
	for _, c := range []struct{ w, h, ww, wh int }{
		{600, 400, 600, 400},
		{160, 160, 320, 320},
		{384, 128, 384, 128},
		{100, 30, 400, 120},
		{1200, 600, 960, 480},
	} {
		if w, h := FrameSize(c.w, c.h); w != c.ww || h != c.wh {
			t.Errorf("FrameSize(%d, %d) = %d, %d; want %d, %d", c.w, c.h, w, h, c.ww, c.wh)
		}
	}
}
