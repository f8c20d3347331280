package viz

import (
	"errors"
	"fmt"
	"io"
)

// Options configure what the window shows and how.
type Options struct {
	// Title is the window's title.
	Title string
	// Caption is a line under the title in the heads-up display, e.g. the
	// preset and seed, or the checkpoint being played.
	Caption string
	// Width and Height are the size in pixels of the env's frame in the
	// window; both 0 selects the env's natural size (env.RenderSize), scaled
	// up to at least 320 pixels or down to at most 960 on its longer side.
	Width, Height int
	// Every, if positive, selects watching: one episode in Every (episodes
	// 0, Every, 2·Every, …) is shown step by step at Speed, and the others
	// run at full speed while the display shows their statistics. Zero
	// selects sampling: the window shows the current state FPS times a
	// second and never slows training.
	Every int
	// FPS is the sampling frame rate, from 1 to 60 (keys + and −).
	FPS float64
	// Speed is the playback speed of watched episodes as a multiple of the
	// env's own frame rate (Spec.FPS): 1 is real time, 0 is as fast as
	// training goes (keys + and −).
	Speed float64
	// CloseStops makes closing the window (Esc) stop the work, as Ctrl-C
	// does; otherwise training goes on without the window.
	CloseStops bool
	// Playing marks work that plays episodes rather than training (deepq
	// play): the display leaves out ε, the loss and evaluations.
	Playing bool
	// TotalSteps, if positive, is shown as the run's length.
	TotalSteps int64
	// RecordDir is where key R writes its GIFs ("" for the current
	// directory), named after the env and episode.
	RecordDir string
	// QValues, if set, computes Q(s, ·) for display when the action was
	// random, so that the bars show on every frame. It is called on the
	// producing (training) goroutine, only for frames that are shown, and
	// must not change the agent: DQN.QValues qualifies.
	QValues func(obs []float32) []float32
	// Log receives a line for each event worth telling (a recording
	// written); nil discards them.
	Log io.Writer
}

// DefaultOptions samples the training run 30 times a second; watched
// episodes, when selected, play in real time.
func DefaultOptions() Options {
	return Options{Title: "deepq", FPS: 30, Speed: 1}
}

// Validate reports the first field out of range.
func (o *Options) Validate() error {
	switch {
	case o.Width < 0 || o.Height < 0 || o.Width > 4096 || o.Height > 4096 || (o.Width == 0) != (o.Height == 0):
		return fmt.Errorf("viz: frame size %dx%d: want both 0 (the env's size) or both from 1 to 4096", o.Width, o.Height)
	case o.Every < 0:
		return fmt.Errorf("viz: Every is %d: want 0 (sampling) or one episode in Every ≥ 1", o.Every)
	case o.Every == 0 && !(o.FPS >= minFPS && o.FPS <= maxFPS):
		return fmt.Errorf("viz: FPS is %g: want %g to %g frames a second", o.FPS, minFPS, maxFPS)
	case o.Speed != 0 && !(o.Speed >= minSpeed && o.Speed <= maxSpeed):
		return fmt.Errorf("viz: Speed is %g: want 0 (unthrottled) or %g to %g times real time", o.Speed, minSpeed, maxSpeed)
	case o.TotalSteps < 0:
		return errors.New("viz: TotalSteps is negative")
	}
	return nil
}
