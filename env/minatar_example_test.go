package env_test

import (
	"fmt"
	"image"

	"github.com/deepq/deepq/env"
)

// Breakout without sticky actions, seeded as MinAtar's
// Environment("breakout", sticky_action_prob=0) after seed(100); the registry
// builds the same game as env.Make("minatar-breakout:sticky=0").
func ExampleNewMinAtar() {
	cfg := env.DefaultMinAtarConfig()
	cfg.StickyActionProb = 0
	m, err := env.NewMinAtar("breakout", cfg)
	if err != nil {
		panic(err)
	}
	s := m.Spec()
	fmt.Println(s.ID, s.Observation, s.Actions, s.Actions.Names)
	e := env.Env(m)

	e.Seed(100)
	obs := e.Reset()
	// obs[c*100 + y*10 + x]: the paddle (channel 0) is at row 9, column 4.
	fmt.Println("paddle at column 4:", obs[0*100+9*10+4])

	// Follow the ball with the paddle until the episode ends.
	ret, steps := 0.0, 0
	for {
		ball := 0
		for i, v := range obs[100:200] {
			if v != 0 {
				ball = i % 10
			}
		}
		paddle := 0
		for x, v := range obs[90:100] {
			if v != 0 {
				paddle = x
			}
		}
		a := 0 // no-op
		if ball < paddle {
			a = 1 // left
		} else if ball > paddle {
			a = 3 // right
		}
		var r float64
		var terminated bool
		obs, r, terminated, _ = e.Step(a)
		ret += r
		steps++
		if terminated || steps == 200 {
			break
		}
	}
	fmt.Printf("return %v after %d steps (last action %s)\n", ret, steps, s.Actions.Names[m.ExecutedAction()])

	img := image.NewRGBA(image.Rect(0, 0, 100, 100))
	m.Render(img) // 10×10-pixel cells in MinAtar's colours
	fmt.Println("brick colour:", img.RGBAAt(5, 15))
	// Output:
	// MinAtar/Breakout-v0 Box(4,10,10) Discrete(6) [noop left up right down fire]
	// paddle at column 4: 1
	// return 18 after 200 steps (last action left)
	// brick colour: {193 202 243 255}
}
