//go:build pixel

package viz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"log"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-gl/gl/v3.3-core/gl"
	"github.com/go-gl/glfw/v3.3/glfw"
	"github.com/gopxl/mainthread/v2"
	"github.com/gopxl/pixel/v2"
	"github.com/gopxl/pixel/v2/backends/opengl"
)

// inMain is set inside Main, where window calls can reach the main thread.
var inMain atomic.Bool

// Main runs run so that the window can open from it: OpenGL and the window
// system must be called from the program's main thread, so call Main from
// main and do the program's work in run. Nothing touches the window system
// until Check or Run.
func Main(run func()) {
	inMain.Store(true)
	defer inMain.Store(false)
	mainthread.Run(run)
}

// Available reports whether a display can be reached, without any window
// call: DISPLAY names an X server that answers.
func Available() error { return checkDisplay(os.Getenv("DISPLAY")) }

var gl33 struct {
	sync.Mutex
	ok       bool
	renderer string // GL_RENDERER and GL_VERSION
}

// Check reports whether the window can open: a display answers and it gives
// an OpenGL 3.3 core context (pixel's need). It opens an invisible probe
// window once; GLFW's failures, which would otherwise panic inside pixel,
// come back as errors. Call it inside Main.
func Check() error {
	if err := Available(); err != nil {
		return err
	}
	if !inMain.Load() {
		panic("viz: Check and Run must be called inside viz.Main")
	}
	gl33.Lock()
	defer gl33.Unlock()
	if gl33.ok {
		return nil
	}
	// A display that refuses us may be an X server still starting: try a
	// few times before giving up.
	var err error
	for try := 0; try < 5; try++ {
		if try > 0 {
			time.Sleep(200 * time.Millisecond)
		}
		if err = probeGL(); err == nil || !errors.Is(err, errOpenDisplay) {
			break
		}
	}
	gl33.ok = err == nil
	return err
}

// errOpenDisplay marks a display that GLFW could not open.
var errOpenDisplay = errors.New("cannot open the X display")

// probeGL initialises GLFW and opens an invisible OpenGL 3.3 core window
// on the main thread, turning GLFW's logged errors and panics into an error.
func probeGL() error {
	return mainthread.CallErr(func() (err error) {
		var logged bytes.Buffer // GLFW's platform errors go to the log
		prev, flags := log.Writer(), log.Flags()
		log.SetOutput(&logged)
		log.SetFlags(0)
		defer func() { log.SetOutput(prev); log.SetFlags(flags) }()
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%v", r)
			}
			if err == nil {
				return
			}
			display := os.Getenv("DISPLAY")
			m := strings.TrimSpace(logged.String())
			if strings.Contains(m, "Failed to open display") {
				err = fmt.Errorf("viz: %w DISPLAY=%s: %s; is XAUTHORITY right for this server?", errOpenDisplay, display, m)
				return
			}
			if m != "" {
				err = fmt.Errorf("%s (%v)", m, err)
			}
			err = fmt.Errorf("viz: no OpenGL 3.3 window on DISPLAY=%s: %v; the window needs OpenGL 3.3 "+
				"(a GPU driver, or Mesa's llvmpipe: apt-get install libgl1-mesa-dri) and an X server with GLX", display, err)
		}()
		if err := glfw.Init(); err != nil {
			return err
		}
		glfw.DefaultWindowHints() // panics if Init failed with a platform error
		glfw.WindowHint(glfw.Visible, glfw.False)
		glfw.WindowHint(glfw.ContextVersionMajor, 3)
		glfw.WindowHint(glfw.ContextVersionMinor, 3)
		glfw.WindowHint(glfw.OpenGLProfile, glfw.OpenGLCoreProfile)
		glfw.WindowHint(glfw.OpenGLForwardCompatible, glfw.True)
		w, err := glfw.CreateWindow(16, 16, "deepq probe", nil, nil)
		if err != nil {
			return err
		}
		defer w.Destroy()
		w.MakeContextCurrent()
		defer glfw.DetachCurrentContext()
		if err := gl.Init(); err != nil {
			return err
		}
		gl33.renderer = gl.GoStr(gl.GetString(gl.RENDERER)) + ", OpenGL " + gl.GoStr(gl.GetString(gl.VERSION))
		glfw.DefaultWindowHints()
		return nil
	})
}

// The window is made once and reused (hidden between runs): pixel shares
// each new window's context with the last one it made current, so a
// destroyed window must never be followed by a new one.
var theWindow *opengl.Window

// afterDraw, if set (by tests), is called after each frame reaches the
// screen, with the window's position on it.
var afterDraw func(s *screen, pos image.Point)

// Run opens the window for v and calls work in a new goroutine; it returns
// work's error once work returns. Closing the window (Esc) lets work go on
// without it, or cancels work's context if Options.CloseStops. When ctx is
// done the window closes too, unpausing a paused trainer. Call Run inside
// Main; it fails, before any window appears, if Check does.
func Run(ctx context.Context, v *Viewer, work func(context.Context) error) error {
	if err := Check(); err != nil {
		return err
	}
	s := newScreen(v)
	size := s.img.Bounds().Size()
	bounds := pixel.R(0, 0, float64(size.X), float64(size.Y))
	title := v.hud.title
	if theWindow == nil {
		w, err := opengl.NewWindow(opengl.WindowConfig{Title: title, Bounds: bounds, VSync: true})
		if err != nil {
			return fmt.Errorf("viz: opening the window: %w", err)
		}
		theWindow = w
	} else {
		theWindow.SetBounds(bounds)
		theWindow.SetTitle(title)
		theWindow.SetClosed(false)
		theWindow.Show()
	}
	win := theWindow

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- work(wctx) }()

	up := make([]byte, len(s.img.Pix))
	pending := false // img changed but is not on screen yet
	open := true
	next := time.Now()
	for open {
		select {
		case err := <-done:
			win.Hide()
			v.ctl.Close()
			v.Finish()
			return err
		default:
		}
		if wait := time.Until(next); wait > 0 {
			win.UpdateInputWait(wait)
		} else {
			win.UpdateInput()
		}
		typed := win.Typed()
		for _, k := range []struct {
			b pixel.Button
			k Key
		}{{pixel.KeySpace, KeyPause}, {pixel.KeyN, KeyStep}, {pixel.KeyG, KeyGreedy}, {pixel.KeyR, KeyRecord}, {pixel.KeyEscape, KeyClose}} {
			if win.JustPressed(k.b) {
				s.key(k.k)
			}
		}
		// + and − by the character typed, whatever the keyboard layout.
		for _, r := range typed {
			switch r {
			case '+', '=':
				s.key(KeyFaster)
			case '-':
				s.key(KeySlower)
			}
		}
		if win.Closed() || ctx.Err() != nil {
			s.key(KeyClose)
		}
		if v.ctl.Closed() {
			break
		}
		now := time.Now()
		if now.Before(next) {
			continue
		}
		next = next.Add(s.interval())
		if next.Before(now) {
			next = now.Add(s.interval())
		}
		if s.update(now) {
			pending = true
		}
		if !pending {
			continue
		}
		if win.Canvas().Bounds().Size() != bounds.Size() {
			// The window was resized (by SetBounds when reused, or by a
			// window manager): SwapBuffers brings the canvas to the
			// window's size once the window system has applied it.
			if win.Bounds().Size() != bounds.Size() {
				win.SetBounds(bounds)
			}
			win.SwapBuffers()
			continue
		}
		stride, h := s.img.Stride, size.Y
		for y := range h { // GL textures start at the bottom row
			copy(up[(h-1-y)*stride:(h-y)*stride], s.img.Pix[y*stride:(y+1)*stride])
		}
		win.Canvas().SetPixels(up)
		win.SwapBuffers()
		pending = false
		if afterDraw != nil {
			p := win.GetPos()
			afterDraw(s, image.Pt(int(p.X), int(p.Y)))
		}
	}
	// Closed: hide the window and let work finish headless, or stop it.
	win.Hide()
	win.UpdateInput()
	v.ctl.Close()
	if v.opts.CloseStops {
		cancel()
	}
	err := <-done
	v.Finish()
	return err
}
