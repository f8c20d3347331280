// Package vec holds the elementwise loops of a training step on float32
// slices: ReLU forward and backward, the optimizer updates (Adam, RMSProp,
// centered RMSProp, DeepMind's RMSProp) and the LSTM's σ and tanh, in AVX-512
// assembly on amd64 CPUs that have it and in Go elsewhere.
//
// Both implementations do the same float32 operations in the same order,
// without fused multiply-adds, so they return the same bits: switching paths
// (UseAsm) never changes a result. Tests check this bitwise.
package vec
