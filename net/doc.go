// Package net is deepq's neural-network core: tensors, layers, losses,
// initialisers, optimizers and checkpoints, on gonum's BLAS.
//
// Everything is generic over the element type (Float): networks train in
// float32, and the same code in float64 serves as the reference that tests
// compare with PyTorch and with finite differences.
//
// Shapes. A Tensor is row-major with the batch first: a dense layer maps
// x (B, In) to y (B, Out) with weights W (Out, In) as PyTorch's Linear, so
// y = x·Wᵀ + b. Parameters are named as in a PyTorch state dict ("0.weight").
//
// Training step. Forward keeps what Backward needs; Backward takes
// δ = ∂L/∂y, adds the parameter gradients into Param.Grad (accumulating until
// ZeroGrad) and returns ∂L/∂x; an Optimizer's Step then reads the gradients:
//
//	m, _ := net.Build[float32]([]int{4}, net.MLP([]int{64, 64}, 2), rng)
//	opt := net.NewAdam(m.Params(), net.DefaultAdam())
//	y := m.Forward(x)                     // x (B,4) -> y (B,2)
//	loss := net.EvalLoss(net.Huber{Delta: 1}, net.ReduceMean, y.Data, target, nil, dy.Data, nil)
//	opt.ZeroGrad()
//	m.Backward(dy)
//	opt.Step()
//
// Outputs live in buffers owned by each layer and are reused, so a step at a
// steady batch size allocates nothing; copy an output to keep it past the next
// Forward.
//
// Checkpoints (SaveFile, LoadFile, MarshalModel, MarshalOptimizer) store the
// architecture, weights and optimizer state in a versioned binary container
// with a CRC-32C, written atomically; damaged files are errors.
package net
