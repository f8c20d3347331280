package net

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Initializer draws the initial weights and biases of a layer from its fans:
// fanIn = inputs per output unit (In for dense, C·kH·kW for a convolution) and
// fanOut = outputs per input unit.
type Initializer struct {
	Name string
	// Doc gives the distribution.
	Doc string
	// Weight draws one weight.
	Weight func(rng *rand.Rand, fanIn, fanOut int) float64
	// Bias draws one bias; nil means biases start at zero.
	Bias func(rng *rand.Rand, fanIn, fanOut int) float64
}

func uniform(rng *rand.Rand, bound float64) float64 { return bound * (2*rng.Float64() - 1) }

// Initializers lists the available initialisers by name.
var Initializers = map[string]Initializer{
	"torch": {
		Name: "torch",
		Doc:  "PyTorch's default for Linear and Conv: W, b ~ U(±1/√fanIn) (kaiming_uniform with a=√5)",
		Weight: func(rng *rand.Rand, fanIn, _ int) float64 {
			return uniform(rng, 1/math.Sqrt(float64(fanIn)))
		},
		Bias: func(rng *rand.Rand, fanIn, _ int) float64 {
			return uniform(rng, 1/math.Sqrt(float64(fanIn)))
		},
	},
	"xavier_uniform": {
		Name: "xavier_uniform",
		Doc:  "Glorot & Bengio 2010: W ~ U(±√(6/(fanIn+fanOut))), b = 0",
		Weight: func(rng *rand.Rand, fanIn, fanOut int) float64 {
			return uniform(rng, math.Sqrt(6/float64(fanIn+fanOut)))
		},
	},
	"xavier_normal": {
		Name: "xavier_normal",
		Doc:  "Glorot & Bengio 2010: W ~ N(0, 2/(fanIn+fanOut)), b = 0",
		Weight: func(rng *rand.Rand, fanIn, fanOut int) float64 {
			return rng.NormFloat64() * math.Sqrt(2/float64(fanIn+fanOut))
		},
	},
	"he_uniform": {
		Name: "he_uniform",
		Doc:  "He et al. 2015 for ReLU: W ~ U(±√(6/fanIn)), b = 0",
		Weight: func(rng *rand.Rand, fanIn, _ int) float64 {
			return uniform(rng, math.Sqrt(6/float64(fanIn)))
		},
	},
	"he_normal": {
		Name: "he_normal",
		Doc:  "He et al. 2015 for ReLU: W ~ N(0, 2/fanIn), b = 0",
		Weight: func(rng *rand.Rand, fanIn, _ int) float64 {
			return rng.NormFloat64() * math.Sqrt(2/float64(fanIn))
		},
	},
}

// initializer looks up name ("" means "torch").
func initializer(name string) (Initializer, error) {
	if name == "" {
		name = "torch"
	}
	in, ok := Initializers[name]
	if !ok {
		names := make([]string, 0, len(Initializers))
		for n := range Initializers {
			names = append(names, n)
		}
		slices.Sort(names)
		return Initializer{}, fmt.Errorf("unknown initializer %q (available: %s)", name, strings.Join(names, ", "))
	}
	return in, nil
}

// initDense fills w (out×in) and b (out) for a layer with the given fans.
func (in Initializer) initDense(w, b any, fanIn, fanOut int, rng *rand.Rand) {
	fill(w, func() float64 { return in.Weight(rng, fanIn, fanOut) })
	if in.Bias != nil {
		fill(b, func() float64 { return in.Bias(rng, fanIn, fanOut) })
	} else {
		fill(b, func() float64 { return 0 })
	}
}

func fill(s any, draw func() float64) {
	switch s := s.(type) {
	case []float32:
		for i := range s {
			s[i] = float32(draw())
		}
	case []float64:
		for i := range s {
			s[i] = draw()
		}
	}
}
