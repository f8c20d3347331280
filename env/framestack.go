package env

import "fmt"

// FrameStack stacks the last K observations of the wrapped env along the first
// axis: a C×H×W image env becomes (K·C)×H×W, a vector of n floats K·n. Frames
// are in time order, oldest first, so channels [(K−1)·C, K·C) are the newest
// frame. At Reset the stack is filled with K copies of the first frame.
type FrameStack struct {
	Env
	K     int
	spec  Spec
	frame int       // elements of one frame
	buf   []float32 // K frames, oldest first
}

var _ Wrapper = (*FrameStack)(nil)

// NewFrameStack wraps e to stack k frames. It panics if k < 1.
func NewFrameStack(e Env, k int) *FrameStack {
	if k < 1 {
		panic(fmt.Sprintf("env: FrameStack needs k >= 1, got %d", k))
	}
	inner := e.Spec()
	f := &FrameStack{Env: e, K: k, spec: *inner, frame: inner.Observation.Size()}
	shape := append([]int(nil), inner.Observation.Shape...)
	if len(shape) == 0 {
		shape = []int{1}
	}
	shape[0] *= k
	ob := Box{Shape: shape}
	for range k {
		ob.Low = append(ob.Low, inner.Observation.Low...)
		ob.High = append(ob.High, inner.Observation.High...)
	}
	f.spec.Observation = ob
	f.buf = make([]float32, k*f.frame)
	return f
}

// Spec returns the wrapped env's spec with the stacked observation space.
func (f *FrameStack) Spec() *Spec { return &f.spec }

// Reset fills the stack with the first frame.
func (f *FrameStack) Reset() []float32 {
	obs := f.Env.Reset()
	for i := range f.K {
		copy(f.buf[i*f.frame:(i+1)*f.frame], obs)
	}
	return f.buf
}

// Step drops the oldest frame and appends the new one.
func (f *FrameStack) Step(action int) ([]float32, float64, bool, bool) {
	obs, r, term, trunc := f.Env.Step(action)
	copy(f.buf, f.buf[f.frame:])
	copy(f.buf[(f.K-1)*f.frame:], obs)
	return f.buf, r, term, trunc
}

// Unwrap returns the wrapped env.
func (f *FrameStack) Unwrap() Env { return f.Env }
