// Package net is deepq's neural-network core: tensors, layers, losses,
// initialisers, optimizers, learning-rate schedules and checkpoints. It computes what PyTorch computes, with PyTorch's layouts,
// parameter names and defaults, so that numbers, hyperparameters and weights
// carry over.
//
// Everything is generic over the element type (Float): networks train in
// float32, and the same code in float64 serves as the reference that tests
// compare with PyTorch (to about 1e-15) and with finite differences.
//
// # Shapes
//
// A Tensor is row-major with the batch first. A dense layer maps x (B, In) to
// y (B, Out) with weights W (Out, In), y = x·Wᵀ + b, as PyTorch's Linear.
// Images are NCHW and volumes NCDHW; convolution kernels are (Out, In, kH, kW)
// or (Out, In, kD, kH, kW), and each output size is ⌊(n + 2p − k)/s⌋ + 1.
// Parameters and buffers are named as in a PyTorch state dict ("0.weight",
// "1.running_mean", "6.advantage.2.bias").
//
// # Layers
//
// A model is a Sequential built from LayerSpecs, flat comparable values that
// are also the architecture a checkpoint stores:
//
//	dense, conv2d, conv3d, flatten          Dense, Conv2D, Conv3D, Flatten
//	relu, leaky_relu, sigmoid, tanh         ReLU, LeakyReLU, Sigmoid, Tanh
//	softmax, log_softmax (along a dim)      Softmax, LogSoftmax
//	dropout, layer_norm, batch_norm         Dropout, LayerNorm, BatchNorm
//	dueling (Q = V + A − mean A)            Dueling
//	noisy_dense (factorised NoisyNet)       NoisyDense
//	categorical, dueling_categorical (C51)  Categorical, DuelingCategorical
//	cosine_embedding (IQN's φ(τ) ⊙ ψ(x))    CosineEmbedding
//	lstm (over sequences, Recurrent only)   LSTM
//
// MLPTrunk, MinAtarTrunk and NatureTrunk give the bodies of the usual DQN
// networks; put Dense(actions) or Dueling(actions, hidden) on top. WithInit
// chooses the initialiser (PyTorch's default, Xavier/Glorot or He/Kaiming,
// uniform or normal).
//
// A model starts in training mode; SetTraining(false) switches dropout off and
// makes batch normalisation use its running statistics, as PyTorch's eval().
//
// # Training step
//
// Forward keeps what Backward needs; Backward takes δ = ∂L/∂y, adds the
// parameter gradients into Param.Grad (accumulating until ZeroGrad) and
// returns ∂L/∂x; BackwardParams does the same without the input gradient. An
// Optimizer's Step then reads the gradients:
//
//	m, _ := net.Build[float32]([]int{4, 10, 10}, append(net.MinAtarTrunk(), net.Dueling(6, 128)), rng)
//	opt := net.NewDeepMindRMSProp(m.Params(), net.DefaultDeepMindRMSProp())
//	y := m.Forward(x)                     // x (B,4,10,10) -> y (B,6)
//	loss := net.EvalLoss(net.Huber{Delta: 1}, net.ReduceMean, pred, target, nil, dpred, nil)
//	opt.ZeroGrad()
//	m.BackwardParams(dy)                  // dy (B,6) from dpred
//	net.ClipGradNorm(m.Params(), 10)
//	opt.Step()
//
// Optimizers: SGD (momentum, Nesterov, weight decay), RMSProp as
// torch.optim.RMSprop (centered, momentum), DeepMindRMSProp of the Nature DQN
// (ε inside the square root), Adam. Schedules (package schedule, chosen by
// ScheduleConfig) set the learning rate from the step count.
//
// Outputs live in buffers owned by each layer and are reused, so a step at a
// steady batch size allocates nothing; copy an output to keep it past the next
// Forward. Every matrix product goes through one function, gemm: for float32
// deepq's AVX-512/AVX2 assembly kernels (portable Go elsewhere, OpenBLAS with
// the openblas build tag), for float64 gonum's Dgemm. The elementwise loops of
// a float32 step (ReLU, Adam, RMSProp, the conv unfolding) have AVX-512
// versions too. Float32 convolutions without padding whose kernel is a
// multiple of the stride (the Nature DQN's) skip im2col: space to depth, then
// one multiply per kernel tap reading the input in place. SetThreads caps the
// goroutines of one multiply or conv pass (default 2); results are the same
// bits for any setting.
//
// # Distributional and noisy Q-learning
//
// C51 (Bellemare et al. 2017): a Categorical or DuelingCategorical head gives
// logits (B, A, N) over a Support's atoms; CategoricalQ turns them into
// Q = Σ z·p for acting; ProjectCategorical projects r + γⁿ·z onto the support
// for the target, and CategoricalCrossEntropy is the loss (with importance
// weights, and per-sample losses as priorities). QR-DQN (Dabney et al. 2018a):
// a Dense(A·N) head read as (B, A, N), QuantileQ to act, QuantileHuberLoss to
// learn. IQN (Dabney et al. 2018b): a CosineEmbedding between torso and head,
// τ from SampleTau given by SetTau, the same QuantileHuberLoss with
// per-sample τ, IQNQValues to act. GatherAction/ScatterAction and
// GatherQuantiles/ScatterQuantiles pick the chosen action's row and put its
// gradient back. NoisyDense layers and noisy heads (Sigma0 > 0) draw new noise
// on ResampleNoise(rng) and act on their mean weights after SetNoise(false) or
// SetTraining(false); their noise is a buffer, saved in checkpoints. An
// Ensemble averages the Q-values of several networks.
//
// # Precision
//
// SetPrecision(BF16) runs a float32 model's matrix multiplies (dense,
// convolution and dueling layers: forward, ∂L/∂x and ∂L/∂W) in mixed
// precision: both operands rounded to bfloat16, products summed in float32
// (internal/bf16: AMX tiles, AVX512-BF16 or float32 arithmetic; BF16Kernel
// says which). Weights, gradients, bias sums, optimizer state, losses,
// activations, softmax and normalisation statistics stay float32. The
// default, Float32, is the float32 path above, unchanged.
//
// MarshalModelAs stores a model's weights in 16 bits, "float16" or
// "bfloat16" (rounded to nearest even, within 2⁻¹¹ or 2⁻⁸ relative), for
// half the bytes; UnmarshalModel reads them back widened to float32.
//
// # Models
//
// Sequential has NumParams, Summary (a table of output shapes and parameter
// counts), Clone (deep copy), CopyFrom (hard target update), SoftUpdate
// (Polyak averaging with τ) and DeadReLUFraction (units that were zero for a
// whole batch).
//
// # Recurrent models
//
// A Recurrent model (BuildRecurrent) is DRQN's and R2D2's Q-network: specs
// with one LSTM(H) split into a torso applied to every time step, the LSTM
// over time, and a head applied to every step:
//
//	m, _ := net.BuildRecurrent[float32]([]int{2}, append(net.MLPTrunk([]int{64}), net.LSTM(64), net.Dense(2)), rng)
//	m.ResetState()                        // episode start (ResetRows(b) for one of a batch of envs)
//	q := m.Step(obs)                      // acting: obs (B,2) -> q (B,2), state carried
//	m.SetState(h, c)                      // learning: the state stored with a sequence
//	q = m.Forward(seq)                    // seq (B,T,2) -> q (B,T,2)
//	m.BackwardParams(dq)                  // dq (B,T,2): BPTT through the LSTM
//
// The LSTMLayer follows PyTorch's nn.LSTM (gates i, f, g, o; parameters
// "k.weight_ih_l0", "k.weight_hh_l0", "k.bias_ih_l0", "k.bias_hh_l0"). Its
// state (h, c) (B,H) is carried from call to call; no gradient crosses a
// call. Backward is full backpropagation through time over the call, or
// truncated BPTT with LSTMLayer.Truncate = τ (the gradient cut where each
// window of τ steps starts); StateGrad gives ∂L/∂h₀ and ∂L/∂c₀. Calling
// Forward and Backward window by window gives the truncated gradients while
// keeping only τ steps of activations (ActivationBytes). MarshalRecurrent and
// UnmarshalRecurrent store a Recurrent model in MarshalModel's format; the
// state is the caller's to save (State, SetState).
//
// # Checkpoints
//
// SaveFile, LoadFile, Load, MarshalModel and MarshalOptimizer store the
// architecture, weights, buffers and optimizer state in a versioned binary
// container with a CRC-32C, written atomically. Loading is bit-exact; a
// truncated, corrupted, foreign or absurdly sized file is an error, found
// before anything large is allocated.
package net
