package net_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/deepq/deepq/net"
)

// A DRQN-style Q-network for CartPole with velocities hidden (2 inputs, 2
// actions): Dense 16 → ReLU → LSTM 8 → Dense 2. Acting feeds one step at a
// time with the state carried; learning runs whole sequences from a stored
// state and backpropagates through time, here truncated at windows of 5.
func ExampleRecurrent() {
	rng := rand.New(rand.NewPCG(1, 2))
	m, err := net.BuildRecurrent[float32]([]int{2}, append(net.MLPTrunk([]int{16}), net.LSTM(8), net.Dense(2)), rng)
	if err != nil {
		panic(err)
	}
	fmt.Print(m.Summary())
	for _, p := range m.LSTM.Params() {
		fmt.Println(p.Name, p.Value.Shape)
	}

	// Acting: 3 envs, one step; the state (h, c) (3, 8) is carried.
	m.ResetState()
	q := m.Step(net.New[float32](3, 2))
	h, _ := m.State()
	fmt.Println("step:", q.Shape, "state:", h.Shape)
	m.ResetRows(1) // env 1 starts a new episode

	// Learning: 4 sequences of 10 steps from their stored states.
	h0, c0 := net.New[float32](4, 8), net.New[float32](4, 8)
	m.SetState(h0, c0)
	m.LSTM.Truncate = 5
	q = m.Forward(net.New[float32](4, 10, 2))
	m.ZeroGrad()
	m.BackwardParams(net.New[float32](q.Shape...)) // δ = ∂L/∂q (4, 10, 2)
	fmt.Println("sequences:", q.Shape)
	// Output:
	// #   layer        output               params
	//     input        (2) per step
	// 0   dense        (16)                     48
	// 1   relu         (16)                      0
	// 2   lstm         (8)                     832
	// 3   dense        (2)                      18
	// total: 898 parameters
	// 2.weight_ih_l0 [32 16]
	// 2.weight_hh_l0 [32 8]
	// 2.bias_ih_l0 [32]
	// 2.bias_hh_l0 [32]
	// step: [3 2] state: [3 8]
	// sequences: [4 10 2]
}
