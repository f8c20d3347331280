package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/internal/gifrec"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/policy"
	"github.com/deepq/deepq/viz"
)

func runPlay(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deepq play", flag.ContinueOnError)
	out := fs.String("gif", "", "write the episodes as an animated GIF to `FILE` (required without --render)")
	envName := fs.String("env", "", "environment `name` with options (default: the checkpoint's, else cartpole)")
	ckptPath := fs.String("checkpoint", "", "play the greedy policy of this checkpoint `FILE` (default: random actions)")
	episodes := fs.Int("episodes", 1, "number of episodes `N` (with --render and without --episodes: until the window closes)")
	seed := fs.Uint64("seed", 0, "seed `S`: episode i is seeded with S+i; random actions are drawn from S")
	size := fs.String("size", "", "frame size `WxH` in pixels (default: the env's, e.g. 600x400 for CartPole)")
	render := fs.Bool("render", false, "show the episodes in a live window in real time (needs a build with -tags pixel)")
	speed := fs.Float64("speed", 1, "with --render: playback speed `S` as a multiple of the env's frame rate (0: as fast as it goes)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: deepq play (--gif FILE | --render) [--env NAME] [--checkpoint FILE] [--episodes N] [--seed S] [--size WxH] [--speed S]\n\n"+
			"Plays episodes with random actions or a checkpoint's greedy policy and writes\nthem as an animated GIF, or shows them in a live window (--render).\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *out == "" && !*render {
		return usageError{fmt.Errorf("--gif is required (or --render to watch)")}
	}
	if *episodes < 1 {
		return usageError{fmt.Errorf("--episodes must be at least 1, got %d", *episodes)}
	}
	if set["speed"] && !*render {
		return usageError{fmt.Errorf("--speed needs --render")}
	}
	if *render && *speed != 0 && (*speed < 1.0/16 || *speed > 64) {
		return usageError{fmt.Errorf("--speed must be 0 (as fast as it goes) or from 1/16 to 64, got %g", *speed)}
	}
	if *out != "" {
		// Before playing: a GIF that cannot be written is an error now,
		// naming the file as given.
		dir := filepath.Dir(*out)
		if st, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			return usageError{fmt.Errorf("--gif %s: directory %s does not exist", *out, dir)}
		} else if err != nil {
			return fmt.Errorf("--gif %s: %w", *out, err)
		} else if !st.IsDir() {
			return usageError{fmt.Errorf("--gif %s: %s is not a directory", *out, dir)}
		}
	}
	if *render && !set["episodes"] {
		*episodes = 0 // until the window closes
	}
	if *render {
		// Before any work: no display, no OpenGL or no pixel tag is a clear error.
		if err := viz.Check(); err != nil {
			return err
		}
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
	who := "random actions"
	if q != nil {
		who = "greedy policy of " + *ckptPath
	}

	p := &player{env: e, r: r, q: q, episodes: *episodes, seed: *seed}
	if *out != "" {
		p.rec = gifrec.New(w, h, sp.FPS)
		p.frame = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	if *render {
		o := viz.DefaultOptions()
		o.Title, o.Caption = "deepq play", who
		o.Every, o.Speed, o.CloseStops, o.Playing = 1, *speed, true, true
		if *size != "" {
			o.Width, o.Height = w, h
		}
		o.RecordDir, o.Log = ".", stderr
		v, err := viz.NewViewer(e, o)
		if err != nil {
			return err
		}
		p.view = v
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		err = viz.Run(ctx, v, p.play)
		if err != nil {
			return err
		}
	} else if err := p.play(context.Background()); err != nil {
		return err
	}

	rs := make([]string, len(p.returns))
	for i, v := range p.returns {
		rs[i] = formatReturn(v)
	}
	if p.rec != nil {
		if err := p.rec.Write(*out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s: %d episode(s) of %s with %s, returns %s; %d frames of %dx%d, %d colours\n",
			*out, len(p.returns), name, who, strings.Join(rs, ", "), p.rec.Frames(), w, h, p.rec.Colors())
	} else {
		fmt.Fprintf(stdout, "played %d episode(s) of %s with %s, returns %s\n", len(p.returns), name, who, strings.Join(rs, ", "))
	}
	return nil
}

// player plays episodes into a GIF, a window or both.
type player struct {
	env      env.Env
	r        env.Renderer
	q        *net.Sequential[float32] // nil: random actions
	episodes int                      // 0: until ctx is done
	seed     uint64
	rec      *gifrec.Recorder // nil: no GIF
	frame    *image.RGBA      // the GIF's frame
	view     *viz.Viewer      // nil: no window
	returns  []float64
}

// play plays the episodes, stopping early (without error) when ctx is done.
func (p *player) play(ctx context.Context) error {
	sp := p.env.Spec()
	rng := rand.New(rand.NewPCG(p.seed, 0x706c6179)) // "play"
	x := &net.Tensor[float32]{Shape: append([]int{1}, sp.Observation.Shape...)}
	obs := make([]float32, sp.Observation.Size())
	var step int64
	addFrame := func() error {
		if p.rec == nil {
			return nil
		}
		p.r.Render(p.frame)
		if err := p.rec.Add(p.frame); err != nil {
			return fmt.Errorf("%w (play fewer episodes or use a smaller --size)", err)
		}
		return nil
	}
	for ep := 0; p.episodes == 0 || ep < p.episodes; ep++ {
		p.env.Seed(p.seed + uint64(ep))
		copy(obs, p.env.Reset())
		if err := addFrame(); err != nil {
			return err
		}
		ret, length, ended := 0.0, 0, false
		for {
			if ctx.Err() != nil {
				return nil
			}
			var a int
			var qv []float32
			if p.q != nil {
				x.Data = obs
				qv = p.q.Forward(x).Data
				a = policy.Greedy(qv)
			} else {
				a = rng.IntN(sp.Actions.N)
			}
			next, rew, term, trunc := p.env.Step(a)
			ret += rew
			length++
			step++
			if err := addFrame(); err != nil {
				return err
			}
			if p.view != nil {
				p.view.OnStep(&agent.StepEvent{Step: step, Episode: ep, Obs: obs, Action: a, Q: qv, Reward: rew,
					Return: ret, Terminated: term, Truncated: trunc})
			}
			if term || trunc {
				ended = term
				break
			}
			copy(obs, next)
		}
		if p.rec != nil {
			p.rec.Hold(50) // half a second on the last frame of each episode
		}
		p.returns = append(p.returns, ret)
		if p.view != nil {
			p.view.OnEpisode(&agent.EpisodeEvent{Step: step, Episode: ep + 1, Return: ret, Length: length, Terminated: ended})
		}
	}
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
