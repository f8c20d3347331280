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
	"github.com/deepq/deepq/policy"
	"github.com/deepq/deepq/run"
	"github.com/deepq/deepq/viz"
)

// playFlags are the flags of deepq play.
type playFlags struct {
	fs           *flag.FlagSet
	set          map[string]bool
	out, envName *string
	ckptPaths    checkpointList
	size         *string
	episodes     *int
	seed         *uint64
	render       *bool
	speed        *float64
}

func newPlayFlags() *playFlags {
	fs := flag.NewFlagSet("deepq play", flag.ContinueOnError)
	f := &playFlags{fs: fs}
	f.out = fs.String("gif", "", "write the episodes as an animated GIF to `FILE` (required without --render)")
	f.envName = fs.String("env", "", "environment `name` with options (default: the checkpoint's, else cartpole)")
	fs.Var(&f.ckptPaths, "checkpoint", "play the greedy policy of this checkpoint `FILE` (default: random actions); several (repeated or comma-separated) act on the mean of their Q-values")
	f.episodes = fs.Int("episodes", 1, "number of episodes `N` (with --render and without --episodes: until the window closes)")
	f.seed = fs.Uint64("seed", 0, "seed `S`: episode i is seeded with S+i; random actions are drawn from S")
	f.size = fs.String("size", "", "frame size `WxH` in pixels (default: the env's, e.g. 600x400 for CartPole)")
	f.render = fs.Bool("render", false, "show the episodes in a live window in real time (needs a build with -tags pixel)")
	f.speed = fs.Float64("speed", 1, "with --render: playback speed `S` as a multiple of the env's frame rate (0: as fast as it goes)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: deepq play (--gif FILE | --render) [--env NAME] [--checkpoint FILE[,FILE...]] [--episodes N] [--seed S] [--size WxH] [--speed S]\n\n"+
			"Plays episodes with random actions or a checkpoint's greedy policy and writes\nthem as an animated GIF, or shows them in a live window (--render).\n\nFlags:")
		fs.PrintDefaults()
	}
	return f
}

// check refuses flag combinations that cannot work, before any work.
func (f *playFlags) check() error {
	switch {
	case *f.out == "" && !*f.render:
		return usageError{fmt.Errorf("--gif is required (or --render to watch)")}
	case *f.episodes < 1:
		return usageError{fmt.Errorf("--episodes must be at least 1, got %d", *f.episodes)}
	case f.set["speed"] && !*f.render:
		return usageError{fmt.Errorf("--speed needs --render")}
	case *f.render && *f.speed != 0 && (*f.speed < 1.0/16 || *f.speed > 64):
		return usageError{fmt.Errorf("--speed must be 0 (as fast as it goes) or from 1/16 to 64, got %g", *f.speed)}
	}
	if *f.out != "" {
		// A GIF that cannot be written is an error now, naming the file as given.
		dir := filepath.Dir(*f.out)
		if st, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			return usageError{fmt.Errorf("--gif %s: directory %s does not exist", *f.out, dir)}
		} else if err != nil {
			return fmt.Errorf("--gif %s: %w", *f.out, err)
		} else if !st.IsDir() {
			return usageError{fmt.Errorf("--gif %s: %s is not a directory", *f.out, dir)}
		}
	}
	if *f.render && !f.set["episodes"] {
		*f.episodes = 0 // until the window closes
	}
	if *f.render {
		// No display, no OpenGL or no pixel tag is a clear error.
		return viz.Check()
	}
	return nil
}

func runPlay(args []string, stdout, stderr io.Writer) error {
	f := newPlayFlags()
	if err := parseFlags(f.fs, args, stderr); err != nil {
		return err
	}
	f.set = map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	if err := f.check(); err != nil {
		return err
	}
	p, err := newPlayer(f)
	if err != nil {
		return err
	}
	if *f.render {
		o := viz.DefaultOptions()
		o.Title, o.Caption = "deepq play", p.who
		o.Every, o.Speed, o.CloseStops, o.Playing = 1, *f.speed, true, true
		if *f.size != "" {
			o.Width, o.Height = p.w, p.h
		}
		o.RecordDir, o.Log = ".", stderr
		if p.view, err = viz.NewViewer(p.env, o); err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := viz.Run(ctx, p.view, p.play); err != nil {
			return err
		}
	} else if err := p.play(context.Background()); err != nil {
		return err
	}
	rs := make([]string, len(p.returns))
	for i, v := range p.returns {
		rs[i] = formatReturn(v)
	}
	if p.rec == nil {
		fmt.Fprintf(stdout, "played %d episode(s) of %s with %s, returns %s\n", len(p.returns), p.name, p.who, strings.Join(rs, ", "))
		return nil
	}
	if err := p.rec.Write(*f.out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d episode(s) of %s with %s, returns %s; %d frames of %dx%d, %d colours\n",
		*f.out, len(p.returns), p.name, p.who, strings.Join(rs, ", "), p.rec.Frames(), p.w, p.h, p.rec.Colors())
	return nil
}

// player plays episodes into a GIF, a window or both.
type player struct {
	env      env.Env
	name     string // the env's name with options
	r        env.Renderer
	policy   policy.Policy // greedy on q, or uniformly random
	q        qFunc         // nil: random actions
	who      string        // whose actions, for messages
	w, h     int           // the frame size
	episodes int           // 0: until ctx is done
	seed     uint64
	rec      *gifrec.Recorder // nil: no GIF
	frame    *image.RGBA      // the GIF's frame
	view     *viz.Viewer      // nil: no window
	returns  []float64
}

// newPlayer loads the checkpoint (once), makes the env and checks that they
// fit together and that the env renders.
func newPlayer(f *playFlags) (*player, error) {
	p := &player{name: *f.envName, episodes: *f.episodes, seed: *f.seed, who: "random actions"}
	var ckptIn []int
	ckptActions := 0
	if len(f.ckptPaths) > 0 {
		q, c, err := loadQ(f.ckptPaths, *f.seed)
		if err != nil {
			return nil, err
		}
		p.q, p.who = q, "greedy policy of "+f.ckptPaths.String()
		if len(f.ckptPaths) > 1 {
			p.who = "mean-Q greedy policy of " + f.ckptPaths.String()
		}
		ckptIn, ckptActions = c.InShape, c.NumActions
		if p.name == "" {
			p.name = c.Env
		}
	}
	if p.name == "" {
		p.name = run.DefaultEnv
	}
	var err error
	if p.env, err = env.Make(p.name); err != nil {
		return nil, usageError{err}
	}
	sp := p.env.Spec()
	p.policy = policy.Uniform{NumActions: sp.Actions.N}
	if p.q != nil {
		if !slices.Equal(sp.Observation.Shape, ckptIn) || ckptActions != sp.Actions.N {
			return nil, fmt.Errorf("env %s has %v observations and %d actions; the checkpoint's network expects %v and %d",
				p.name, sp.Observation.Shape, sp.Actions.N, ckptIn, ckptActions)
		}
		p.policy = policy.Exploit{}
	}
	var ok bool
	if p.r, ok = env.Find[env.Renderer](p.env); !ok {
		return nil, fmt.Errorf("env %s cannot render", p.name)
	}
	p.w, p.h = env.RenderSize(p.env)
	if *f.size != "" {
		if p.w, p.h, err = parseSize(*f.size); err != nil {
			return nil, usageError{err}
		}
	}
	if *f.out != "" {
		p.rec = gifrec.New(p.w, p.h, sp.FPS)
		p.frame = image.NewRGBA(image.Rect(0, 0, p.w, p.h))
	}
	return p, nil
}

// addFrame renders the env into the GIF, if there is one.
func (p *player) addFrame() error {
	if p.rec == nil {
		return nil
	}
	p.r.Render(p.frame)
	if err := p.rec.Add(p.frame); err != nil {
		return fmt.Errorf("%w (play fewer episodes or use a smaller --size)", err)
	}
	return nil
}

// play plays the episodes, stopping early (without error) when ctx is done.
func (p *player) play(ctx context.Context) error {
	rng := rand.New(rand.NewPCG(p.seed, 0x706c6179)) // "play"
	obs := make([]float32, p.env.Spec().Observation.Size())
	q := policy.Recorder{Q: p.q}
	var step int64
	for ep := 0; p.episodes == 0 || ep < p.episodes; ep++ {
		p.env.Seed(p.seed + uint64(ep))
		copy(obs, p.env.Reset())
		if m, ok := p.q.(agent.Memory); ok {
			m.ResetMemory() // a recurrent policy starts each episode from a zero state
		}
		if err := p.addFrame(); err != nil {
			return err
		}
		ret, length := 0.0, 0
		for {
			if ctx.Err() != nil {
				return nil
			}
			q.Last = nil
			a := p.policy.Act(step, obs, &q, rng)
			next, rew, term, trunc := p.env.Step(a)
			ret += rew
			length++
			step++
			if err := p.addFrame(); err != nil {
				return err
			}
			if p.view != nil {
				p.view.OnStep(&agent.StepEvent{Step: step, Episode: ep, Obs: obs, Action: a, Q: q.Last, Reward: rew,
					Return: ret, Terminated: term, Truncated: trunc})
			}
			if term || trunc {
				p.endEpisode(step, ep, ret, length, term)
				break
			}
			copy(obs, next)
		}
	}
	return nil
}

// endEpisode records an episode's return and shows its end.
func (p *player) endEpisode(step int64, ep int, ret float64, length int, terminated bool) {
	if p.rec != nil {
		p.rec.Hold(50) // half a second on the last frame of each episode
	}
	p.returns = append(p.returns, ret)
	if p.view != nil {
		p.view.OnEpisode(&agent.EpisodeEvent{Step: step, Episode: ep + 1, Return: ret, Length: length, Terminated: terminated})
	}
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
