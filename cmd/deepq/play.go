package main

import (
	"flag"
	"fmt"
	"image"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/internal/gifrec"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/policy"
)

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

	rec := gifrec.New(w, h, sp.FPS)
	rng := rand.New(rand.NewPCG(*seed, 0x706c6179)) // "play"
	x := &net.Tensor[float32]{Shape: append([]int{1}, sp.Observation.Shape...)}
	var returns []float64
	frame := image.NewRGBA(image.Rect(0, 0, w, h))
	for ep := range *episodes {
		e.Seed(*seed + uint64(ep))
		obs := e.Reset()
		r.Render(frame)
		if err := rec.Add(frame); err != nil {
			return fmt.Errorf("%w (play fewer episodes or use a smaller --size)", err)
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
			if err := rec.Add(frame); err != nil {
				return fmt.Errorf("%w (play fewer episodes or use a smaller --size)", err)
			}
			if term || trunc {
				break
			}
		}
		rec.Hold(50) // half a second on the last frame of each episode
		returns = append(returns, ret)
	}
	if err := rec.Write(*out); err != nil {
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
		*out, len(returns), name, who, strings.Join(rs, ", "), rec.Frames(), w, h, rec.Colors())
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
