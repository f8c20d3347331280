// Package onnx exports deepq Q-networks (net.Sequential[float32]) as ONNX
// models, so that a policy trained by deepq runs wherever ONNX runs (ONNX
// Runtime, TensorRT, OpenVINO, browsers).
//
// # The file
//
// Export, Marshal and WriteFile write one ModelProto: IR version 7
// (IRVersion), the default operator set "ai.onnx" at version 13 (Opset),
// producer "deepq", and one graph
//
//	obs (batch, InShape…) float32  ->  q (batch, actions) float32
//
// whose batch dimension is symbolic ("batch"): any batch size runs. The
// weights are the graph's initializers, float32 little-endian, named as in
// deepq's (PyTorch's) state dict: "0.weight", "6.advantage.2.bias". The graph
// computes what Sequential.Forward computes in evaluation mode
// (SetTraining(false)), node by node:
//
//	dense          Gemm(x, W, b, transB=1)           x (B,In) · Wᵀ (In,Out) + b -> (B,Out)
//	               with a Flatten(axis=1) first if x has more than 2 dimensions
//	conv2d/conv3d  Conv(x, W, b) with kernel_shape, strides, pads   W (Out,C,[kD,]kH,kW)
//	flatten        Flatten(axis=1)                   (B, d₁…dₙ) -> (B, d₁⋯dₙ)
//	relu, leaky_relu, sigmoid, tanh    Relu, LeakyRelu(alpha), Sigmoid, Tanh
//	softmax, log_softmax               Softmax(axis), LogSoftmax(axis)
//	dropout        nothing (the identity at inference)
//	batch_norm     BatchNormalization(x, γ, β, running_mean, running_var, epsilon)
//	layer_norm     ReduceMean, Sub, Mul, ReduceMean, Add ε, Sqrt, Div, Mul γ, Add β
//	dueling        each stream Gemm (→ Relu → Gemm); then
//	               Q = Sub(Add(V, A), ReduceMean(A, axes=[1], keepdims=1))
//	               = V + A − mean(A), V (B,1) broadcast over the actions
//
// A layer of any other type is an error that names it. The file is
// deterministic: the same network gives the same bytes.
//
// # Input layout
//
// The graph takes observations exactly as deepq's environments produce them
// and its networks consume them, with nothing rescaled or normalised on
// either side: vectors as (batch, n); images channel-first, NCHW, as
// (batch, C, H, W), the layout of deepq's conv layers (and PyTorch's). A
// MinAtar observation is C×10×10 channel-major, obs[c·100 + y·10 + x]; with
// frame stacking the channels of the K frames follow one another, oldest
// first. MinAtar's own Python environment returns its state as (10, 10, C)
// booleans (HWC): state.transpose(2, 0, 1).astype(np.float32) is deepq's
// observation. An 84×84 Nature-DQN input is (batch, 4, 84, 84), the four
// stacked frames as channels.
//
// # Running it
//
// With ONNX Runtime (pip install onnxruntime numpy):
//
//	import numpy as np, onnxruntime as ort
//	sess = ort.InferenceSession("breakout.onnx")
//	q = sess.run(["q"], {"obs": obs[None].astype(np.float32)})[0]  # obs (C, 10, 10)
//	action = int(q[0].argmax())                                    # the greedy action
//
// The deepq command writes the online network of an agent checkpoint:
//
//	deepq export --checkpoint runs/breakout/final.ckpt --onnx breakout.onnx
//
// # Encoding
//
// The protobuf messages are generated (internal/onnxpb) from a subset of
// ONNX's onnx.proto with its field numbers. The tests check every file with
// Debian's python3-onnx (onnx.checker with full_check, which also infers
// every shape), evaluate every graph with a numpy interpreter of its
// operators, independent of deepq, and run it in ONNX Runtime (npm's
// onnxruntime-node, with DEEPQ_ORT set as CI does); both agree with
// Sequential.Forward to float32 rounding.
package onnx
