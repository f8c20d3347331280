package net

// MLPTrunk returns a dense layer and a ReLU for each hidden width: the body of
// a multilayer perceptron, to put a head on (Dense or Dueling).
func MLPTrunk(hidden []int) []LayerSpec {
	var s []LayerSpec
	for _, h := range hidden {
		s = append(s, Dense(h), ReLU())
	}
	return s
}

// MLP returns the specs of a multilayer perceptron: a dense layer and a ReLU
// for each hidden width, then a dense output layer of out units.
func MLP(hidden []int, out int) []LayerSpec {
	return append(MLPTrunk(hidden), Dense(out))
}

// NatureTrunk returns the convolutional body of the Nature DQN (Mnih et al.
// 2015) for 4×84×84 inputs: Conv 32 8×8 s4 → ReLU → Conv 64 4×4 s2 → ReLU →
// Conv 64 3×3 s1 → ReLU → Flatten, giving 3136 features. The paper's head is
// Dense(512), ReLU, Dense(actions); the dueling paper's is Dueling(actions, 512).
func NatureTrunk() []LayerSpec {
	return []LayerSpec{
		Conv2D(32, 8, 4, 0), ReLU(),
		Conv2D(64, 4, 2, 0), ReLU(),
		Conv2D(64, 3, 1, 0), ReLU(),
		Flatten(),
	}
}

// MinAtarTrunk returns the body of MinAtar's DQN (Young & Tian 2019) for
// C×10×10 inputs: Conv 16 3×3 s1 → ReLU → Flatten, giving 1024 features. Its
// head is Dense(128), ReLU, Dense(actions).
func MinAtarTrunk() []LayerSpec {
	return []LayerSpec{Conv2D(16, 3, 1, 0), ReLU(), Flatten()}
}

// NatureDQN returns the full Nature DQN: NatureTrunk, Dense(512), ReLU,
// Dense(actions).
func NatureDQN(actions int) []LayerSpec {
	return append(NatureTrunk(), Dense(512), ReLU(), Dense(actions))
}

// MinAtarDQN returns MinAtar's full DQN: MinAtarTrunk, Dense(128), ReLU,
// Dense(actions).
func MinAtarDQN(actions int) []LayerSpec {
	return append(MinAtarTrunk(), Dense(128), ReLU(), Dense(actions))
}
