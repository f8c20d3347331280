package main

import (
	"bufio"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/policy"
)

// maxGIFPixels bounds the frames a GIF may hold in memory (one byte a pixel):
// 1 GiB, about 4,400 frames of 600×400.
const maxGIFPixels = 1 << 30

func runPlay(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deepq play", flag.ContinueOnError)
	out := fs.String("gif", "", "write the episodes as an animated GIF to `FILE` (required)")
	envName := fs.String("env", "", "environment `name` with options (default: the checkpoint's, else cartpole)")
	ckptPath := fs.String("checkpoint", "", "play the greedy policy of this checkpoint `FILE` (default: random actions)")
	episodes := fs.Int("episodes", 1, "number of episodes `N`")
	seed := fs.Uint64("seed", 0, "seed `S`: episode i is seeded with S+i; random actions are drawn from S")
	size := fs.String("size", "", "frame size `WxH` in pixels (default: the env's, e.g. 600x400 for CartPole)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: deepq play --gif FILE [--env NAME] [--checkpoint FILE] [--episodes N] [--seed S] [--size WxH]\n\n"+
			"Plays episodes with random actions or a checkpoint's greedy policy and writes\nthem as an animated GIF.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *out == "" {
		return usageError{fmt.Errorf("--gif is required")}
	}
	if *episodes < 1 {
		return usageError{fmt.Errorf("--episodes must be at least 1, got %d", *episodes)}
	}

	var q *net.Sequential[float32]
	name := *envName
	if *ckptPath != "" {
		c, err := agent.LoadCheckpoint(*ckptPath)
		if err != nil {
			return err
		}
		q = c.Online
		if name == "" {
			name = c.Meta.Config.Env
		}
	}
	if name == "" {
		name = "cartpole"
	}
	e, err := env.Make(name)
	if err != nil {
		return usageError{err}
	}
	sp := e.Spec()
	if q != nil && (!slices.Equal(sp.Observation.Shape, q.InShape) || q.OutShape()[0] != sp.Actions.N) {
		return fmt.Errorf("env %s has %v observations and %d actions; the checkpoint's network expects %v and %d",
			name, sp.Observation.Shape, sp.Actions.N, q.InShape, q.OutShape()[0])
	}
	r, ok := env.Find[env.Renderer](e)
	if !ok {
		return fmt.Errorf("env %s cannot render", name)
	}
	w, h := env.RenderSize(e)
	if *size != "" {
		if w, h, err = parseSize(*size); err != nil {
			return usageError{err}
		}
	}

	rec := newGIFRecorder(w, h, sp.FPS)
	rng := rand.New(rand.NewPCG(*seed, 0x706c6179)) // "play"
	x := &net.Tensor[float32]{Shape: append([]int{1}, sp.Observation.Shape...)}
	var returns []float64
	frame := image.NewRGBA(image.Rect(0, 0, w, h))
	for ep := range *episodes {
		e.Seed(*seed + uint64(ep))
		obs := e.Reset()
		r.Render(frame)
		if err := rec.add(frame); err != nil {
			return err
		}
		ret := 0.0
		for {
			var a int
			if q != nil {
				x.Data = obs
				a = policy.Greedy(q.Forward(x).Data)
			} else {
				a = rng.IntN(sp.Actions.N)
			}
			var rew float64
			var term, trunc bool
			obs, rew, term, trunc = e.Step(a)
			ret += rew
			r.Render(frame)
			if err := rec.add(frame); err != nil {
				return err
			}
			if term || trunc {
				break
			}
		}
		rec.hold(50) // half a second on the last frame of each episode
		returns = append(returns, ret)
	}
	if err := rec.write(*out); err != nil {
		return err
	}
	rs := make([]string, len(returns))
	for i, v := range returns {
		rs[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	who := "random actions"
	if q != nil {
		who = "greedy policy of " + *ckptPath
	}
	fmt.Fprintf(stdout, "wrote %s: %d episode(s) of %s with %s, returns %s; %d frames of %dx%d, %d colours\n",
		*out, len(returns), name, who, strings.Join(rs, ", "), rec.frames, w, h, len(rec.palette))
	return nil
}

// parseSize parses "WxH".
func parseSize(s string) (int, int, error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || w < 1 || h < 1 || w > 4096 || h > 4096 {
		return 0, 0, fmt.Errorf("--size %q: want WxH with both from 1 to 4096, e.g. 600x400", s)
	}
	return w, h, nil
}

// gifRecorder turns RGBA frames into paletted GIF frames sharing one palette
// that grows with the colours the frames use: each new colour gets an entry
// while there are fewer than 256, later ones map to the nearest entry. A frame
// identical to the one before lengthens that one's delay instead.
type gifRecorder struct {
	g       gif.GIF
	w, h    int
	delay   int // per frame, in 1/100 s
	palette color.Palette
	index   map[color.RGBA]uint8
	frames  int
	pixels  int
}

func newGIFRecorder(w, h, fps int) *gifRecorder {
	if fps <= 0 {
		fps = 30
	}
	return &gifRecorder{w: w, h: h, delay: max(2, (100+fps/2)/fps), index: map[color.RGBA]uint8{}}
}

func (g *gifRecorder) lookup(c color.RGBA) uint8 {
	if i, ok := g.index[c]; ok {
		return i
	}
	var i uint8
	if len(g.palette) < 256 {
		i = uint8(len(g.palette))
		g.palette = append(g.palette, c)
	} else {
		i = uint8(g.palette.Index(c))
	}
	g.index[c] = i
	return i
}

func (g *gifRecorder) add(img *image.RGBA) error {
	g.frames++
	p := image.NewPaletted(image.Rect(0, 0, g.w, g.h), nil)
	prev, pi := color.RGBA{}, uint8(0) // alpha 0: never a frame's colour
	for y := range g.h {
		row := img.Pix[y*img.Stride : y*img.Stride+4*g.w]
		for x := range g.w {
			// Runs of one colour are common: look up only where it changes.
			if c := (color.RGBA{row[4*x], row[4*x+1], row[4*x+2], 255}); c != prev {
				prev, pi = c, g.lookup(c)
			}
			p.Pix[y*p.Stride+x] = pi
		}
	}
	if n := len(g.g.Image); n > 0 && slices.Equal(g.g.Image[n-1].Pix, p.Pix) {
		g.g.Delay[n-1] += g.delay
		return nil
	}
	if g.pixels += g.w * g.h; g.pixels > maxGIFPixels {
		return fmt.Errorf("the GIF would exceed %d MiB of frames; play fewer episodes or use a smaller --size", maxGIFPixels>>20)
	}
	g.g.Image = append(g.g.Image, p)
	g.g.Delay = append(g.g.Delay, g.delay)
	return nil
}

// hold lengthens the last frame by cs hundredths of a second.
func (g *gifRecorder) hold(cs int) {
	if n := len(g.g.Delay); n > 0 {
		g.g.Delay[n-1] += cs
	}
}

// write encodes the GIF to path through a temporary file, so that a failure
// leaves any existing file untouched.
func (g *gifRecorder) write(path string) (err error) {
	for _, p := range g.g.Image {
		p.Palette = g.palette
	}
	g.g.Config = image.Config{ColorModel: g.palette, Width: g.w, Height: g.h}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	if err = gif.EncodeAll(bw, &g.g); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
