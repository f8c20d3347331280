package viz

import (
	"image"
	"image/draw"
	"time"
)

// Key is a window key's command.
type Key int

// The window's keys.
const (
	KeyPause  Key = iota // space: pause or resume training
	KeyStep              // N: one step while paused
	KeyGreedy            // G: greedy actions in watched episodes, on or off
	KeyFaster            // +: double the speed (or the sampling rate)
	KeySlower            // −: halve it
	KeyRecord            // R: record the watched episode as a GIF, or stop
	KeyClose             // Esc: close the window
)

// hudEvery is the shortest time between two redraws for statistics alone.
const hudEvery = 100 * time.Millisecond

// noteFor is how long a passing message shows.
const noteFor = 4 * time.Second

// screen is the consuming side of the window, on the window's goroutine: it
// takes frames from the viewer, keeps the last image and statistics, and
// composes the window's image, the env's frame left and the heads-up display
// right. Only the drawing of img on screen is left to the window system.
type screen struct {
	v       *Viewer
	hud     *hud
	frame   image.Rectangle // the env's frame in img
	panel   image.Rectangle // the HUD in img
	img     *image.RGBA     // the window, top row first
	st      hudState
	dirty   bool // the HUD needs a redraw
	hudAt   time.Time
	noteAt  time.Time
	spsStep int64
	spsAt   time.Time
	shown   int64 // training step of the frame on screen, -1 before the first
}

func newScreen(v *Viewer) *screen {
	h := v.hud
	height := max(v.h, h.height())
	s := &screen{
		v:     v,
		hud:   h,
		frame: image.Rect(0, 0, v.w, v.h).Add(image.Pt(0, (height-v.h)/2)),
		panel: image.Rect(v.w, 0, v.w+hudWidth, height),
		img:   image.NewRGBA(image.Rect(0, 0, v.w+hudWidth, height)),
		dirty: true,
		shown: -1,
	}
	fill(s.img, s.img.Bounds(), bgColor)
	s.st.q = make([]float32, 0, len(h.names))
	return s
}

// interval is how often the window asks for a frame: FPS times a second
// when sampling, 60 when watching.
func (s *screen) interval() time.Duration {
	if s.v.opts.Every == 0 {
		return time.Duration(float64(time.Second) / s.v.ctl.FPS())
	}
	return time.Second / 60
}

// update takes the newest frame if there is one, asks for the next, and
// reports whether img changed.
func (s *screen) update(now time.Time) bool {
	f, ok := s.v.slot.take()
	s.v.slot.request()
	changed := false
	if ok {
		s.st.live = f.live
		if f.hasImage {
			draw.Draw(s.img, s.frame, f.img, image.Point{}, draw.Src)
			s.st.view, s.st.hasView = f.view, true
			s.st.q = append(s.st.q[:0], f.q...)
			s.shown = f.live.Step
			s.dirty, changed = true, true
		} else {
			s.dirty = true
		}
		s.measure(now)
	}
	if n := s.v.notes.Load(); n != nil && n.at != s.noteAt {
		s.noteAt, s.st.note, s.dirty = n.at, n.text, true
	}
	if s.st.note != "" && now.Sub(s.noteAt) > noteFor {
		s.st.note, s.dirty = "", true
	}
	if s.dirty && (changed || now.Sub(s.hudAt) >= hudEvery) {
		s.drawHUD(now)
		changed = true
	}
	return changed
}

// measure keeps the training speed, averaged over half a second or more.
func (s *screen) measure(now time.Time) {
	step := s.st.live.Step
	if s.spsAt.IsZero() || step < s.spsStep {
		s.spsAt, s.spsStep = now, step
		return
	}
	if dt := now.Sub(s.spsAt).Seconds(); dt >= 0.5 {
		s.st.sps = float64(step-s.spsStep) / dt
		s.spsAt, s.spsStep = now, step
	}
}

func (s *screen) drawHUD(now time.Time) {
	c := s.v.ctl
	s.st.paused, s.st.greedy, s.st.speed, s.st.fps = c.Paused(), c.Greedy(), c.Speed(), c.FPS()
	s.st.record = c.Recording()
	s.hud.draw(s.img, s.panel, &s.st)
	s.hudAt, s.dirty = now, false
}

// key carries out k and marks the HUD for a redraw.
func (s *screen) key(k Key) {
	c := s.v.ctl
	switch k {
	case KeyPause:
		c.TogglePause()
	case KeyStep:
		c.Step()
	case KeyGreedy:
		c.ToggleGreedy()
	case KeyFaster:
		c.Faster()
	case KeySlower:
		c.Slower()
	case KeyRecord:
		c.ToggleRecord()
	case KeyClose:
		c.Close()
	}
	s.dirty = true
	s.hudAt = time.Time{}
}
