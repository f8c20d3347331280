//go:build pixel

package viz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
)

// The window tests need an X server with OpenGL (CI runs them under Xvfb,
// whose Mesa llvmpipe renders in software), ImageMagick's import for
// screenshots and xdotool for keys. Without DISPLAY they skip, unless
// DEEPQ_XVFB is set (as in CI), when they fail.

// TestMain runs the tests inside Main, as a program's main must, so that the
// window's calls reach the main thread. With DEEPQ_VIZ_CHILD=check it is
// instead a child process that reports what Check says.
func TestMain(m *testing.M) {
	code := 0
	if os.Getenv("DEEPQ_VIZ_CHILD") == "check" {
		Main(func() {
			if err := Check(); err != nil {
				fmt.Println("check:", err)
				code = 3
				return
			}
			fmt.Println("check: ok,", gl33.renderer)
		})
		os.Exit(code)
	}
	Main(func() { code = m.Run() })
	os.Exit(code)
}

func needDisplay(t testing.TB, tools ...string) {
	t.Helper()
	required := os.Getenv("DEEPQ_XVFB") != ""
	miss := func(why string) {
		if required {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	if os.Getenv("DISPLAY") == "" {
		miss("no DISPLAY: run under xvfb-run")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			miss(tool + " is not installed")
		}
	}
	if err := Check(); err != nil {
		miss(err.Error())
	}
}

// drawn collects what the window reports after each frame.
type drawn struct {
	mu    sync.Mutex
	pos   image.Point
	shown int64
	img   *image.RGBA // the window's image when it showed step at
	at    int64
	n     int
	frame image.Rectangle
	panel image.Rectangle
}

func (d *drawn) hook(s *screen, pos image.Point) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pos, d.shown, d.n, d.frame, d.panel = pos, s.shown, d.n+1, s.frame, s.panel
	if s.shown == d.at && d.img == nil {
		d.img = image.NewRGBA(s.img.Bounds())
		copy(d.img.Pix, s.img.Pix)
	}
}

func (d *drawn) get() (drawn, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return drawn{pos: d.pos, shown: d.shown, img: d.img, n: d.n, frame: d.frame, panel: d.panel}, d.img != nil
}

// startRun trains tr with v's window in the background, as deepq train
// --render does; wait returns the training's result once Run has returned.
func startRun(v *Viewer, tr *agent.Trainer) (wait func() (agent.Result, error)) {
	var res agent.Result
	runErr := make(chan error, 1)
	go func() {
		runErr <- Run(context.Background(), v, func(ctx context.Context) (err error) {
			res, err = tr.Run(ctx)
			return err
		})
	}()
	return func() (agent.Result, error) { err := <-runErr; return res, err }
}

// screenshot takes the X screen with ImageMagick's import.
func screenshot(t *testing.T) *image.RGBA {
	t.Helper()
	out, err := exec.Command("import", "-window", "root", "png:-").Output()
	if err != nil {
		t.Fatalf("import -window root: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewRGBA(img.Bounds())
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			rgba.Set(x, y, img.At(x, y))
		}
	}
	return rgba
}

// compare counts the pixels of got (over want's size, from got's minimum
// point) whose colour differs from want's by more than tol in a channel.
func compare(got, want *image.RGBA, tol int) (bad int) {
	for y := range want.Rect.Dy() {
		for x := range want.Rect.Dx() {
			pg := got.Pix[got.PixOffset(got.Rect.Min.X+x, got.Rect.Min.Y+y):]
			pw := want.Pix[want.PixOffset(want.Rect.Min.X+x, want.Rect.Min.Y+y):]
			for c := range 3 {
				if abs(int(pg[c])-int(pw[c])) > tol {
					bad++
					break
				}
			}
		}
	}
	return bad
}

func savePNG(t *testing.T, path string, img image.Image) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// TestWindowScreenshot opens the window on CartPole and on GridWorld,
// pauses training at step 700 and takes a screenshot of the X screen: the
// window's frame region must be the env's own rendering of that state (an
// independent Render into an image.RGBA of the frame's size) and its HUD
// must be drawn. Set DEEPQ_SCREENSHOT_DIR to keep the screenshots.
func TestWindowScreenshot(t *testing.T) {
	needDisplay(t, "import")
	for _, name := range []string{"cartpole", "gridworld:map=four-rooms"} {
		t.Run(name, func(t *testing.T) {
			const at = 700
			cfg := smallConfig(t, name, 2000)
			var v *Viewer
			p := &pauser{at: at, ctl: func() *Controls { return v.Controls() }}
			tr, err := agent.NewTrainer(cfg, p)
			if err != nil {
				t.Fatal(err)
			}
			o := DefaultOptions()
			o.Title, o.Caption, o.TotalSteps, o.QValues = "deepq test", name, cfg.TotalSteps, tr.Agent.QValues
			if v, err = NewViewer(tr.Env, o); err != nil {
				t.Fatal(err)
			}
			tr.Observe(v)
			tr.Actor.Greedy = v.Greedy
			d := &drawn{at: at}
			afterDraw = d.hook
			defer func() { afterDraw = nil }()

			wait := startRun(v, tr)
			eventually(t, "the paused step in the window", func() bool { _, ok := d.get(); return ok })
			eventually(t, "training blocked", v.ctl.blocked)
			got, _ := d.get()

			// Training is blocked in the viewer: tr.Env holds step 700.
			want := image.NewRGBA(v.FrameBounds())
			r, _ := env.Find[env.Renderer](tr.Env)
			r.Render(want)
			if n := compare(got.img.SubImage(got.frame).(*image.RGBA), want, 0); n != 0 {
				t.Fatalf("the window's image differs from the env's render in %d pixels", n)
			}

			// The screen, once X has drawn it. Allowed: 0.1% of the frame's
			// pixels off by more than 8 levels (there is no scaling or
			// filtering on the way, so in practice none).
			var shot *image.RGBA
			var bad, hudInk int
			limit := want.Rect.Dx() * want.Rect.Dy() / 1000
			for try := 0; try < 20; try++ {
				shot = screenshot(t)
				frame := shot.SubImage(got.frame.Add(got.pos)).(*image.RGBA)
				if frame.Rect.Size() != want.Rect.Size() {
					t.Fatalf("window at %v with frame %v does not fit the %v screen", got.pos, got.frame, shot.Rect)
				}
				bad = compare(frame, want, 8)
				hudInk = countNot(shot.SubImage(got.panel.Add(got.pos)).(*image.RGBA), bgColor)
				if bad <= limit && hudInk > 2000 {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if dir := os.Getenv("DEEPQ_SCREENSHOT_DIR"); dir != "" {
				base := strings.NewReplacer(":", "-", "=", "-").Replace(name)
				savePNG(t, filepath.Join(dir, base+".png"), shot.SubImage(got.img.Rect.Add(got.pos)))
			}
			if bad > limit {
				t.Fatalf("the window's frame region differs from the env's render in %d of %d pixels (limit %d)",
					bad, want.Rect.Dx()*want.Rect.Dy(), limit)
			}
			if hudInk <= 2000 {
				t.Fatalf("the HUD region has %d drawn pixels: empty", hudInk)
			}
			// The whole window, HUD included, is the image the viewer drew.
			if n := compare(shot.SubImage(got.img.Rect.Add(got.pos)).(*image.RGBA), got.img, 8); n > got.img.Rect.Dx()*got.img.Rect.Dy()/1000 {
				t.Fatalf("the window on screen differs from its image in %d pixels", n)
			}

			// Close (Esc): training goes on headless to the end.
			v.Controls().Close()
			res, err := wait()
			if err != nil {
				t.Fatal(err)
			}
			if res.Steps != cfg.TotalSteps || res.Interrupted {
				t.Fatalf("%d steps (interrupted %v) after closing the window, want %d", res.Steps, res.Interrupted, cfg.TotalSteps)
			}
		})
	}
}

// TestWindowKeys sends keys to the window with xdotool: space pauses, N
// steps once, G, +, −, R switch their controls, Esc closes and (with
// CloseStops) stops training.
func TestWindowKeys(t *testing.T) {
	needDisplay(t, "xdotool")
	cfg := smallConfig(t, "cartpole", 1_000_000)
	tr, err := agent.NewTrainer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions()
	// A title of its own: with -count, windows of earlier runs may linger.
	title := fmt.Sprintf("deepq keys test %d", time.Now().UnixNano())
	o.Title, o.CloseStops, o.RecordDir = title, true, t.TempDir()
	v, err := NewViewer(tr.Env, o)
	if err != nil {
		t.Fatal(err)
	}
	tr.Observe(v)
	tr.Actor.Greedy = v.Greedy
	d := &drawn{at: -2}
	afterDraw = d.hook
	defer func() { afterDraw = nil }()
	wait := startRun(v, tr)
	eventually(t, "the first frame", func() bool { g, _ := d.get(); return g.n > 0 })
	var wid string
	eventually(t, "xdotool finds the window", func() bool {
		out, err := exec.Command("xdotool", "search", "--name", title).Output()
		wid = strings.TrimSpace(strings.Split(string(out), "\n")[0])
		return err == nil && wid != ""
	})
	key := func(k string) {
		t.Helper()
		if out, err := exec.Command("xdotool", "key", "--window", wid, k).CombinedOutput(); err != nil {
			t.Fatalf("xdotool key %s: %v %s", k, err, out)
		}
	}
	c := v.Controls()
	key("space")
	eventually(t, "space pauses", func() bool { return c.Paused() && c.blocked() })
	eventually(t, "the paused step on screen", func() bool {
		g, _ := d.get()
		return g.shown > 0 && g.n > 0
	})
	time.Sleep(200 * time.Millisecond) // let the window show the paused frame
	before, _ := d.get()
	key("n")
	eventually(t, "N shows the next step", func() bool { g, _ := d.get(); return g.shown == before.shown+1 })
	time.Sleep(200 * time.Millisecond)
	if g, _ := d.get(); g.shown != before.shown+1 || !c.blocked() {
		t.Fatalf("after N the window shows step %d, want %d, still paused", g.shown, before.shown+1)
	}
	key("g")
	eventually(t, "G turns greedy on", c.Greedy)
	key("plus")
	eventually(t, "+ doubles the frame rate", func() bool { return c.FPS() == 60 })
	key("minus")
	eventually(t, "− halves it", func() bool { return c.FPS() == 30 })
	key("r")
	eventually(t, "R asks for a recording", c.Recording)
	key("space")
	eventually(t, "space resumes", func() bool { return !c.Paused() })
	key("Escape")
	res, err := wait()
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || res.Steps >= cfg.TotalSteps {
		t.Fatalf("Esc with CloseStops: %d steps, interrupted %v; want stopped early", res.Steps, res.Interrupted)
	}
	if files, _ := filepath.Glob(filepath.Join(o.RecordDir, "*.gif")); len(files) != 1 {
		t.Fatalf("recordings %v, want the one R started", files)
	}
}

// TestNoOpenGL runs Check in child processes: with no DISPLAY, with a
// DISPLAY where no server listens, and on an Xvfb without GLX. Each is a
// clear error, never a panic.
func TestNoOpenGL(t *testing.T) {
	if _, err := exec.LookPath("Xvfb"); err != nil {
		if os.Getenv("DEEPQ_XVFB") != "" {
			t.Fatal("Xvfb is not installed")
		}
		t.Skip("Xvfb is not installed")
	}
	// An Xvfb without the GLX extension, on a display number it picks.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	x := exec.Command("Xvfb", "-displayfd", "3", "-extension", "GLX", "-nolisten", "tcp", "-screen", "0", "640x480x24")
	x.ExtraFiles = []*os.File{w}
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { x.Process.Kill(); x.Wait() }()
	w.Close()
	num := make(chan string, 1)
	go func() {
		b := make([]byte, 16)
		n, _ := r.Read(b)
		num <- strings.TrimSpace(string(b[:n]))
	}()
	var noGLX string
	select {
	case n := <-num:
		if _, err := strconv.Atoi(n); err != nil {
			t.Fatalf("Xvfb reported display %q", n)
		}
		noGLX = ":" + n
	case <-time.After(30 * time.Second):
		t.Fatal("Xvfb did not start")
	}
	for _, c := range []struct{ display, want string }{
		{"", "DISPLAY is not set"},
		{":4711", "no X server answers on DISPLAY=:4711"},
		{noGLX, "no OpenGL 3.3 window on DISPLAY=" + noGLX},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "DEEPQ_VIZ_CHILD=check", "DISPLAY="+c.display)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(string(out), c.want) || strings.Contains(string(out), "panic") {
			t.Errorf("DISPLAY=%q: %v, output:\n%s\nwant exit 3 and %q", c.display, err, out, c.want)
		}
	}
}

// BenchmarkWindowSPS compares training headless with training in the real
// window, sampled 30 times a second (the default of deepq train --render)
// or one episode in 10 at full speed, in pairs of runs back to back (see
// benchPaired), under the same X server:
//
//	xvfb-run -a go test -tags pixel ./viz -run '^$' -bench WindowSPS -benchtime 7x
func BenchmarkWindowSPS(b *testing.B) {
	needDisplay(b)
	cfg := benchConfig(b)
	drive := func(v *Viewer, work func(context.Context) error) error {
		return Run(context.Background(), v, work)
	}
	b.Run("30fps", func(b *testing.B) { benchPaired(b, cfg, DefaultOptions(), drive) })
	b.Run("every10", func(b *testing.B) {
		o := DefaultOptions()
		o.Every, o.Speed = 10, 0
		benchPaired(b, cfg, o, drive)
	})
}

// BenchmarkWindowFrame measures the window's side of one frame: take it
// from the slot, compose the image with the HUD, upload it and swap, in
// this process's CPU time (the X server's share is not counted).
func BenchmarkWindowFrame(b *testing.B) {
	needDisplay(b)
	e, err := env.Make("cartpole")
	if err != nil {
		b.Fatal(err)
	}
	e.Reset()
	v, err := NewViewer(e, Options{FPS: 60})
	if err != nil {
		b.Fatal(err)
	}
	r, _ := env.Find[env.Renderer](e)
	cpu0 := cpuTime()
	err = Run(context.Background(), v, func(ctx context.Context) error {
		n := 0
		for b.Loop() {
			// A new frame at every iteration; the window loop shows what it can.
			f := v.slot.buffer()
			r.Render(f.img)
			f.hasImage = true
			f.live.Step = int64(n)
			n++
			v.slot.publish()
			time.Sleep(time.Second / 60)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/frame")
}
