package viz

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/internal/gifrec"
)

// Viewer is the producing side of the window: an agent.Observer that, on the
// training goroutine, renders the env into a frame when the window wants one
// and hands it over through a latest-wins slot, never a queue: the trainer
// never waits for the window. It also carries out the keys: it blocks the
// training goroutine while paused, paces watched episodes, answers the
// trainer's Greedy hook and records GIFs.
//
// Per step, the cost when no frame is wanted is three atomic loads; a frame
// costs one Render of the env (about 0.1 ms for CartPole at 600×400).
type Viewer struct {
	agent.NopObserver
	opts  Options
	env   env.Env
	r     env.Renderer
	spec  *env.Spec
	w, h  int
	slot  *latest[frame]
	ctl   *Controls
	hud   *hud
	notes atomic.Pointer[note]

	// Training goroutine state.
	live     liveStats
	recent   [100]float64
	nRet     int
	sum100   float64
	epLen    int
	watching bool
	due      time.Time // when the next watched step is due
	timer    *time.Timer
	rec      *gifrec.Recorder
	recEp    int
	writes   sync.WaitGroup
	mu       sync.Mutex // guards written
	written  []string   // recordings written
}

// frame is what the producer hands to the window.
type frame struct {
	img      *image.RGBA // the env's frame, valid if hasImage
	hasImage bool
	live     liveStats
	view     viewStats
	q        []float32
}

// note is a passing message for the display.
type note struct {
	text string
	at   time.Time
}

// NewViewer prepares a view of e, which must render (env.Find[env.Renderer]).
// Its frames are drawn from e's state on the goroutine that calls the
// observer methods, the one stepping e.
func NewViewer(e env.Env, opts Options) (*Viewer, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	r, ok := env.Find[env.Renderer](e)
	if !ok {
		return nil, fmt.Errorf("viz: env %s cannot render", e.Spec().ID)
	}
	w, h := opts.Width, opts.Height
	if w == 0 {
		w, h = FrameSize(env.RenderSize(e))
	}
	spec := e.Spec()
	names := make([]string, spec.Actions.N)
	for i := range names {
		if i < len(spec.Actions.Names) {
			names[i] = spec.Actions.Names[i]
		} else {
			names[i] = fmt.Sprint(i)
		}
	}
	title := opts.Title
	if title == "" {
		title = "deepq"
	}
	v := &Viewer{
		opts: opts, env: e, r: r, spec: spec, w: w, h: h,
		ctl:      newControls(opts.Speed, opts.FPS),
		hud:      newHUD(title+"  ·  "+spec.ID, opts.Caption, names, opts.Every, spec.FPS, opts.TotalSteps, opts.Playing),
		watching: true, // episode 0 is watched in both modes
	}
	v.slot = newLatest(func() *frame {
		return &frame{img: image.NewRGBA(image.Rect(0, 0, w, h)), q: make([]float32, 0, spec.Actions.N)}
	})
	v.live.Watching = true
	return v, nil
}

// FrameSize scales an env's natural frame size for the window: up to at
// least 320 pixels on the longer side by a whole factor, or down to 960.
func FrameSize(w, h int) (int, int) {
	long := max(w, h)
	switch {
	case long < 320:
		k := (320 + long - 1) / long
		return w * k, h * k
	case long > 960:
		return max(1, w*960/long), max(1, h*960/long)
	}
	return w, h
}

// Controls returns the controls the window's keys act on.
func (v *Viewer) Controls() *Controls { return v.ctl }

// FrameBounds returns the size of the env's frame in the window.
func (v *Viewer) FrameBounds() image.Rectangle { return image.Rect(0, 0, v.w, v.h) }

// Greedy is the trainer's Greedy hook: greedy actions in watched episodes
// while key G is on. Set it as agent.Trainer.Greedy.
func (v *Viewer) Greedy() bool {
	return v.watching && v.ctl.greedy.Load() && !v.ctl.closed.Load()
}

// OnStep shows the step if the window wants a frame, records it, and waits
// while paused or paces a watched episode.
func (v *Viewer) OnStep(e *agent.StepEvent) {
	if v.ctl.closed.Load() {
		if v.rec != nil {
			v.stopRecording()
		}
		return
	}
	v.epLen++
	l := &v.live
	l.Step, l.Episode, l.Return, l.Epsilon = e.Step, e.Episode, e.Return, e.Epsilon
	if v.watching {
		v.pollRecording()
	}
	paused := v.ctl.paused.Load()
	switch {
	case paused || v.rec != nil || (v.watching && v.slot.wanted()):
		v.show(e, true)
	case v.slot.wanted():
		v.show(e, false)
	}
	if paused {
		v.ctl.wait()
		if v.watching && v.rec == nil && v.ctl.record.Load() {
			// R pressed while paused: the recording opens with the frame
			// on screen, so that it holds what the user saw when asking,
			// even if the window closes before the next step.
			v.pollRecording()
			v.show(e, true)
		}
	} else if v.watching && v.opts.Every > 0 {
		v.pace()
	}
}

// show publishes the live statistics and, if withImage, the env's frame.
func (v *Viewer) show(e *agent.StepEvent, withImage bool) {
	f := v.slot.buffer()
	f.live = v.live
	switch {
	case v.rec != nil:
		f.live.Recorder = recRecording
	case v.ctl.record.Load():
		f.live.Recorder = recArmed
	default:
		f.live.Recorder = recOff
	}
	f.hasImage = withImage
	if withImage {
		v.r.Render(f.img)
		f.view = viewStats{Episode: e.Episode, Step: v.epLen, Return: e.Return, Action: e.Action,
			Greedy: e.Q != nil, Done: e.Terminated || e.Truncated}
		q := e.Q
		if q == nil && v.opts.QValues != nil {
			q = v.opts.QValues(e.Obs)
		}
		f.q = append(f.q[:0], q...)
		if v.rec != nil {
			if err := v.rec.Add(f.img); err != nil {
				v.say("recording stopped: " + err.Error())
				v.stopRecording()
			}
		}
	}
	v.slot.publish()
}

// pace sleeps until the watched episode's next step is due at Speed × FPS
// steps a second. After a pause or a slow step it starts afresh rather than
// catching up.
func (v *Viewer) pace() {
	s := v.ctl.Speed()
	if s == 0 || v.spec.FPS <= 0 {
		v.due = time.Time{}
		return
	}
	period := time.Duration(float64(time.Second) / (s * float64(v.spec.FPS)))
	now := time.Now()
	if v.due.IsZero() || now.Sub(v.due) > 100*time.Millisecond {
		v.due = now
	}
	v.due = v.due.Add(period)
	d := v.due.Sub(now)
	if d <= 0 {
		return
	}
	if v.timer == nil {
		v.timer = time.NewTimer(d)
	} else {
		v.timer.Reset(d)
	}
	select {
	case <-v.timer.C:
	case <-v.ctl.done:
		v.timer.Stop()
	}
}

// OnEpisode keeps the mean return of the last 100 episodes, ends a
// recording of the finished episode and decides whether to watch the next.
func (v *Viewer) OnEpisode(e *agent.EpisodeEvent) {
	i := v.nRet % len(v.recent)
	if v.nRet >= len(v.recent) {
		v.sum100 -= v.recent[i]
	}
	v.recent[i] = e.Return
	v.sum100 += e.Return
	v.nRet++
	l := &v.live
	l.N100 = min(v.nRet, len(v.recent))
	l.Mean100 = v.sum100 / float64(l.N100)
	l.Episode, l.Return = e.Episode, 0
	v.epLen = 0
	if v.rec != nil {
		v.stopRecording()
		v.ctl.record.Store(false)
	}
	v.watching = v.opts.Every == 0 || e.Episode%v.opts.Every == 0
	l.Watching = v.watching
	v.due = time.Time{}
}

// OnUpdate keeps the loss for display.
func (v *Viewer) OnUpdate(e *agent.UpdateEvent) { v.live.Loss, v.live.Updates = e.Loss, e.Updates }

// OnEval keeps the evaluation's mean for display.
func (v *Viewer) OnEval(e *agent.EvalEvent) { v.live.EvalMean, v.live.EvalStep = e.Mean, e.Step }

// pollRecording starts or stops a recording as key R asks.
func (v *Viewer) pollRecording() {
	want := v.ctl.record.Load()
	switch {
	case want && v.rec == nil:
		v.rec = gifrec.New(v.w, v.h, int(v.recordFPS()))
		v.recEp = v.live.Episode
	case !want && v.rec != nil:
		v.stopRecording()
	}
}

// recordFPS is the GIF's frame rate: the env's, since a recording holds
// every step, in sampling mode too.
func (v *Viewer) recordFPS() int {
	if v.spec.FPS > 0 {
		return v.spec.FPS
	}
	return 30
}

// stopRecording hands the recording to a goroutine that writes it.
func (v *Viewer) stopRecording() {
	rec, ep := v.rec, v.recEp
	v.rec = nil
	path := v.recordPath(ep)
	v.writes.Add(1)
	go func() {
		defer v.writes.Done()
		if err := rec.Write(path); err != nil {
			v.say("recording not saved: " + err.Error())
			v.logf("deepq: recording of episode %d not saved: %v\n", ep, err)
			return
		}
		v.mu.Lock()
		v.written = append(v.written, path)
		v.mu.Unlock()
		v.say("saved " + filepath.Base(path))
		v.logf("deepq: recorded episode %d (%d frames) to %s\n", ep, rec.Frames(), path)
	}()
}

// recordPath names the GIF of episode ep in RecordDir, never an existing
// file.
func (v *Viewer) recordPath(ep int) string {
	base, _, _ := strings.Cut(v.spec.ID, ":")
	base = strings.ToLower(base)
	for i := 1; ; i++ {
		name := fmt.Sprintf("%s-episode%d.gif", base, ep)
		if i > 1 {
			name = fmt.Sprintf("%s-episode%d-%d.gif", base, ep, i)
		}
		p := filepath.Join(v.opts.RecordDir, name)
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			return p
		}
	}
}

// Finish saves a recording in progress and waits for the GIFs being
// written. Call it after the work that drives the viewer has returned.
func (v *Viewer) Finish() []string {
	if v.rec != nil {
		v.stopRecording()
	}
	v.writes.Wait()
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.written...)
}

func (v *Viewer) say(s string) { v.notes.Store(&note{text: s, at: time.Now()}) }

func (v *Viewer) logf(format string, args ...any) {
	if v.opts.Log != nil {
		fmt.Fprintf(v.opts.Log, format, args...)
	}
}

var _ agent.Observer = (*Viewer)(nil)
