package env_test

import (
	"fmt"

	"github.com/deepq/deepq/env"
)

// Walk the cliff's edge: up, eleven times right, down.
func ExampleMake() {
	e, err := env.Make("gridworld:map=cliff")
	if err != nil {
		panic(err)
	}
	e.Seed(1)
	e.Reset()
	actions := []int{0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2} // up, right ×11, down
	for _, a := range actions {
		e.Step(a)
	}
	st, _ := env.Find[*env.EpisodeStats](e)
	ep, _ := st.Last()
	fmt.Printf("return %v in %d steps, terminated %v\n", ep.Return, ep.Length, ep.Terminated)

	g := env.Unwrapped(e).(*env.GridWorld)
	best, steps, _ := g.OptimalReturn(e.Spec().MaxEpisodeSteps)
	fmt.Printf("optimum %v in %d steps\n", best, steps)
	// Output:
	// return -13 in 13 steps, terminated true
	// optimum -13 in 13 steps
}

func ExampleParseGridMap() {
	_, err := env.ParseGridMap("rooms.txt", "S..#\n.#.\n..G#\n")
	fmt.Println(err)
	m, _ := env.ParseGridMap("rooms.txt", "S..#\n.#..\n.L.G\n")
	fmt.Print(m.Rows, "×", m.Cols, " map, goal ", m.Distances()[2*m.Cols+3], " steps away\n")
	// Output:
	// gridworld map rooms.txt, line 2, column 4: row is 3 characters wide, but the first row is 4 (rows must all have the same width)
	// 3×4 map, goal 5 steps away
}

// A vector of 3 CartPoles with a 2-step limit: after the second step every
// copy is truncated and already reset.
func ExampleVector() {
	v, err := env.MakeVector("cartpole:max-steps=2", 3)
	if err != nil {
		panic(err)
	}
	v.Seed(7)
	v.Reset()
	for range 2 {
		v.Step([]int{0, 1, 0})
	}
	for i := range v.N() {
		ep, ended := v.Episode(i)
		// FinalObs(i) is the observation the truncating step returned (to
		// bootstrap from); ObsOf(i) is the next episode's first.
		fmt.Println(i, ended, v.Truncated[i], ep.Length, ep.Return, v.FinalObs(i)[0] != v.ObsOf(i)[0])
	}
	// Output:
	// 0 true true 2 2 true
	// 1 true true 2 2 true
	// 2 true true 2 2 true
}
