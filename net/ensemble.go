package net

import (
	"errors"
	"fmt"
	"slices"
)

// Ensemble combines K Q-networks by averaging their action values:
//
//	Q̄(s, a) = (1/K) Σₖ Qₖ(s, a)
//
// never their parameters. Separately trained networks are not aligned (hidden
// units can be permuted and rescaled without changing a network's function),
// so the network with the mean weights computes something else, usually bad;
// AverageParameters exists to show that, not to be used.
//
// Members must take the same input shape and give Q-values of the same
// shape; they may differ in architecture. Value turns a member's output into
// its Q-values (B, A): nil means the output is Q (a dense or dueling head);
// for a C51 head use
//
//	func(out *Tensor[T], q []T) { CategoricalQ(support, out.Data, nil, q) }
type Ensemble[T Float] struct {
	Members []*Sequential[T]
	// Value maps a member's output for a batch of B samples to its Q-values
	// q (B, A); nil: q is the output itself.
	Value func(out *Tensor[T], q []T)
	// Actions is A, the number of Q-values per sample.
	Actions int

	q   *Tensor[T] // the mean, (B, A)
	one []T        // one member's Q-values
}

// NewEnsemble returns the ensemble of members, whose Q-values are actions per
// sample (found from value, or from the output shape if value is nil). It
// returns an error if there are no members or their shapes differ.
func NewEnsemble[T Float](value func(out *Tensor[T], q []T), actions int, members ...*Sequential[T]) (*Ensemble[T], error) {
	if len(members) == 0 {
		return nil, errors.New("net: an ensemble needs at least one network")
	}
	if actions < 1 {
		return nil, fmt.Errorf("net: ensemble: %d actions", actions)
	}
	for i, m := range members {
		if !slices.Equal(m.InShape, members[0].InShape) {
			return nil, fmt.Errorf("net: ensemble: network %d takes inputs %v, network 0 takes %v", i, m.InShape, members[0].InShape)
		}
		if value == nil && numel(m.OutShape()) != actions {
			return nil, fmt.Errorf("net: ensemble: network %d outputs %v, not %d Q-values", i, m.OutShape(), actions)
		}
	}
	return &Ensemble[T]{Members: members, Value: value, Actions: actions}, nil
}

// QValues runs every member on x (B, …) and returns the mean of their
// Q-values, (B, A), valid until the next call.
func (e *Ensemble[T]) QValues(x *Tensor[T]) *Tensor[T] {
	bs := x.Shape[0]
	e.q = reuse(e.q, bs, e.Actions)
	clear(e.q.Data)
	if cap(e.one) < bs*e.Actions {
		e.one = make([]T, bs*e.Actions)
	}
	one := e.one[:bs*e.Actions]
	inv := 1 / T(len(e.Members))
	for _, m := range e.Members {
		out := m.Forward(x)
		if e.Value != nil {
			e.Value(out, one)
		} else {
			copy(one, out.Data)
		}
		for i, v := range one {
			e.q.Data[i] += v * inv
		}
	}
	return e.q
}

// AverageParameters returns a network of the members' common architecture
// whose parameters and buffers are the members' means. It is the wrong way to
// combine separately trained networks (see Ensemble) and serves to show it.
func AverageParameters[T Float](members ...*Sequential[T]) (*Sequential[T], error) {
	if len(members) == 0 {
		return nil, errors.New("net: AverageParameters: no networks")
	}
	for i, m := range members {
		if !slices.Equal(m.Specs(), members[0].Specs()) || !slices.Equal(m.InShape, members[0].InShape) {
			return nil, fmt.Errorf("net: AverageParameters: network %d has another architecture than network 0", i)
		}
	}
	avg := members[0].Clone()
	inv := 1 / float64(len(members))
	for i, p := range avg.Params() {
		for j := range p.Value.Data {
			s := 0.0
			for _, m := range members {
				s += float64(m.Params()[i].Value.Data[j])
			}
			p.Value.Data[j] = T(s * inv)
		}
	}
	for i, b := range avg.Buffers() {
		for j := range b.Value.Data {
			s := 0.0
			for _, m := range members {
				s += float64(m.Buffers()[i].Value.Data[j])
			}
			b.Value.Data[j] = T(s * inv)
		}
	}
	return avg, nil
}
