package viz_test

import (
	"fmt"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/viz"
)

// A viewer of GridWorld: the 5×5 map renders at 32 pixels a cell, which the
// window doubles.
func ExampleNewViewer() {
	e, err := env.Make("gridworld:map=open-5x5")
	if err != nil {
		panic(err)
	}
	v, err := viz.NewViewer(e, viz.DefaultOptions())
	if err != nil {
		panic(err)
	}
	fmt.Println("frame", v.FrameBounds().Size())
	fmt.Println("sampling", v.Controls().FPS(), "frames a second")
	// Output:
	// frame (320,320)
	// sampling 30 frames a second
}

func ExampleFrameSize() {
	fmt.Println(viz.FrameSize(600, 400)) // CartPole: as it is
	fmt.Println(viz.FrameSize(100, 100)) // small: scaled up by a whole factor
	// Output:
	// 600 400
	// 400 400
}
