// Package viz is deepq's live window: it shows the environment as the agent
// acts, with a heads-up display (step, episode, current return, mean return
// of the last 100 episodes, ε, loss, evaluation, and Q(s, ·) as bars with the
// chosen action marked), and keys to pause, step, act greedily, change the
// speed, record a GIF and close.
//
// # Two sides
//
// The producing side is a Viewer, an agent.Observer on the training
// goroutine. When the window wants a frame (one atomic load per step to
// find out), it renders the env with its own env.Renderer into a buffer and
// publishes it through a latest-wins slot of three buffers: the trainer
// never waits for the window, and a frame the window has not taken yet is
// simply replaced. It also pauses the trainer (space), paces watched
// episodes, answers agent.Trainer.Greedy (key G) and records GIFs (key R).
//
// The consuming side runs the window: it takes the newest frame, composes
// the window's image (frame left, HUD right, drawn in Go with the Go Mono
// font) and hands it to OpenGL as one texture, pixel for pixel, so a
// screenshot of the window holds the env's own frame.
//
// Two ways to watch: sampling (Options.Every 0) shows the current state FPS
// times a second and never slows training; watching (Every K) shows one
// episode in K step by step at Speed times the env's frame rate, the others
// running at full speed.
//
// # Build tag
//
// The window uses github.com/gopxl/pixel/v2, which needs cgo, OpenGL 3.3 and
// X11, so it is built only with the pixel tag:
//
//	go run -tags pixel ./cmd/deepq train --render
//
// (Debian packages: DebianPackages). Without the tag, Available, Check and
// Run return ErrNoWindow, which says how to build with it; everything else
// (Viewer, the slot, the HUD) is plain Go and tested in the default build.
//
// # Main thread
//
// OpenGL and the window system must be driven from the program's main
// thread. A program calls Main from main and does its work inside; Check
// (display reachable, OpenGL 3.3 available, as a clear error rather than a
// panic) and Run (open the window, run the training in another goroutine)
// are called from there:
//
//	func main() {
//		viz.Main(func() {
//			tr, _ := agent.NewTrainer(cfg)
//			v, _ := viz.NewViewer(tr.Env, viz.DefaultOptions())
//			tr.Observe(v) // before Run
//			tr.Actor.Greedy = v.Greedy
//			err := viz.Run(ctx, v, func(ctx context.Context) error { _, err := tr.Run(ctx); return err })
//			...
//		})
//	}
package viz
