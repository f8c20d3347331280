package net

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// wideGeoms are float32 convolutions that take the fast path (no padding,
// kernel a multiple of the stride, C′ ≥ wideMinDepth): the Nature DQN's three
// layers, rectangular kernels and strides, inputs with rows and columns that
// no tap meets, 1×1 kernels, and batches of one sample to more than
// wideGroups.
var wideGeoms = []struct {
	B, C, O int
	in, k   [2]int // (H, W)
	s       [2]int
}{
	{3, 4, 5, [2]int{84, 84}, [2]int{8, 8}, [2]int{4, 4}},
	{2, 32, 4, [2]int{20, 20}, [2]int{4, 4}, [2]int{2, 2}},
	{5, 64, 7, [2]int{9, 9}, [2]int{3, 3}, [2]int{1, 1}},
	{2, 3, 3, [2]int{11, 13}, [2]int{4, 6}, [2]int{2, 3}},
	{3, 4, 2, [2]int{7, 7}, [2]int{2, 2}, [2]int{2, 2}},
	{2, 16, 5, [2]int{6, 5}, [2]int{1, 1}, [2]int{1, 1}},
	{1, 1, 1, [2]int{8, 8}, [2]int{8, 8}, [2]int{8, 8}},
	{9, 16, 9, [2]int{12, 12}, [2]int{3, 3}, [2]int{1, 1}},
}

// TestConvWideFits: which layers take the fast path.
func TestConvWideFits(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []int
		spec LayerSpec
		want bool
	}{
		{"nature conv1", []int{4, 84, 84}, Conv2D(32, 8, 4, 0), true},
		{"nature conv2", []int{32, 20, 20}, Conv2D(64, 4, 2, 0), true},
		{"nature conv3", []int{64, 9, 9}, Conv2D(64, 3, 1, 0), true},
		{"minatar (C′ = 4)", []int{4, 10, 10}, Conv2D(16, 3, 1, 0), false},
		{"padding", []int{64, 9, 9}, Conv2D(64, 3, 1, 1), false},
		{"kernel not a multiple of the stride", []int{64, 9, 9}, Conv2D(64, 3, 2, 0), false},
		{"conv3d", []int{16, 4, 6, 6}, Conv3D(4, 2, 1, 0), false},
	} {
		m, err := Build[float32](tc.in, []LayerSpec{tc.spec}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Layers[0].(*ConvLayer[float32]).wide != nil; got != tc.want {
			t.Errorf("%s: fast path %v, want %v", tc.name, got, tc.want)
		}
	}
	m, err := Build[float64]([]int{4, 84, 84}, []LayerSpec{Conv2D(32, 8, 4, 0)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Layers[0].(*ConvLayer[float64]).wide != nil {
		t.Error("float64 takes the fast path")
	}
}

func wideSpec(O int, k, s [2]int) LayerSpec {
	return LayerSpec{Kind: "conv2d", Channels: O, KernelH: k[0], KernelW: k[1], StrideH: s[0], StrideW: s[1]}
}

// TestConvWideMatchesNaive checks the fast path's output and gradients
// against the definition (convNaive in float64 on the same float32 values),
// on one thread and on two.
func TestConvWideMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, g := range wideGeoms {
		for _, threads := range []int{1, 2} {
			name := fmt.Sprintf("B%d C%d→%d in%v k%v s%v threads%d", g.B, g.C, g.O, g.in, g.k, g.s, threads)
			t.Run(name, func(t *testing.T) {
				prev := SetThreads(threads)
				defer SetThreads(prev)
				in := []int{g.C, g.in[0], g.in[1]}
				m, err := Build[float32](in, []LayerSpec{wideSpec(g.O, g.k, g.s)}, rng)
				if err != nil {
					t.Fatal(err)
				}
				c := m.Layers[0].(*ConvLayer[float32])
				if c.wide == nil {
					t.Fatal("the layer does not take the fast path")
				}
				x := randT32(rng, append([]int{g.B}, in...)...)
				y := m.Forward(x)
				dy := randT32(rng, y.Shape...)
				// Gradients accumulate: start from nonzero values.
				for _, p := range c.Params() {
					for i := range p.Grad.Data {
						p.Grad.Data[i] = 0.5
					}
				}
				dx := m.Backward(dy)
				wy, wdx, wdw, wdb := convNaive(f64(x.Data), f64(c.W.Value.Data), f64(c.B.Value.Data), f64(dy.Data),
					g.B, g.C, g.O, [3]int{1, g.in[0], g.in[1]}, [3]int{1, g.k[0], g.k[1]}, [3]int{1, g.s[0], g.s[1]}, [3]int{})
				for i := range wdw {
					wdw[i] += 0.5
				}
				for i := range wdb {
					wdb[i] += 0.5
				}
				closeTo(t, "y", y.Data, wy, 1e-5)
				closeTo(t, "dx", dx.Data, wdx, 1e-5)
				closeTo(t, "dW", c.W.Grad.Data, wdw, 1e-4)
				closeTo(t, "db", c.B.Grad.Data, wdb, 1e-4)
			})
		}
	}
}

// TestConvWideThreadsBitwise: the fast path gives the same bits for any
// thread count, also with more threads than groups of chunks, and when
// Backward runs twice (gradients accumulate).
func TestConvWideThreadsBitwise(t *testing.T) {
	for _, g := range wideGeoms {
		run := func(threads int) [][]float32 {
			prev := SetThreads(threads)
			defer SetThreads(prev)
			rng := rand.New(rand.NewPCG(5, 6))
			in := []int{g.C, g.in[0], g.in[1]}
			m, err := Build[float32](in, []LayerSpec{wideSpec(g.O, g.k, g.s)}, rng)
			if err != nil {
				t.Fatal(err)
			}
			var out [][]float32
			for range 2 {
				x := randT32(rng, append([]int{g.B}, in...)...)
				y := m.Forward(x)
				dy := randT32(rng, y.Shape...)
				dx := m.Backward(dy)
				out = append(out, clone32(y.Data), clone32(dx.Data))
			}
			for _, p := range m.Params() {
				out = append(out, clone32(p.Grad.Data))
			}
			return out
		}
		one := run(1)
		for _, threads := range []int{2, 3, 5} {
			other := run(threads)
			for i := range one {
				for j := range one[i] {
					if math.Float32bits(one[i][j]) != math.Float32bits(other[i][j]) {
						t.Fatalf("B%d in%v k%v s%v: result %d element %d: %v with 1 thread, %v with %d",
							g.B, g.in, g.k, g.s, i, j, one[i][j], other[i][j], threads)
					}
				}
			}
		}
	}
}

// TestConvWideMatchesGeneral: the fast path and the general im2col path
// agree to rounding on the Nature DQN, and BackwardParams (no ∂L/∂x) gives
// the same gradients as Backward.
func TestConvWideMatchesGeneral(t *testing.T) {
	build := func(wide bool) *Sequential[float32] {
		prev := wideEnabled
		wideEnabled = wide
		defer func() { wideEnabled = prev }()
		m, err := Build[float32]([]int{4, 84, 84}, NatureTrunk(), rand.New(rand.NewPCG(7, 8)))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	fast, general, params := build(true), build(false), build(true)
	rng := rand.New(rand.NewPCG(9, 10))
	x := randT32(rng, 6, 4, 84, 84)
	yf, yg := fast.Forward(x), general.Forward(x)
	params.Forward(x)
	want := make([]float64, len(yg.Data))
	for i, v := range yg.Data {
		want[i] = float64(v)
	}
	closeTo(t, "y", yf.Data, want, 1e-5)
	dy := randT32(rng, yf.Shape...)
	fast.Backward(dy)
	general.Backward(dy)
	params.BackwardParams(dy)
	for i, p := range general.Params() {
		closeTo(t, p.Name+" grad", fast.Params()[i].Grad.Data, f64(p.Grad.Data), 1e-4)
		for j, v := range params.Params()[i].Grad.Data {
			if math.Float32bits(v) != math.Float32bits(fast.Params()[i].Grad.Data[j]) {
				t.Fatalf("%s grad[%d]: %v from BackwardParams, %v from Backward", p.Name, j, v, fast.Params()[i].Grad.Data[j])
			}
		}
	}
}

func randT32(rng *rand.Rand, shape ...int) *Tensor[float32] {
	t := New[float32](shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64())
	}
	return t
}

func f64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func clone32(x []float32) []float32 { return append([]float32(nil), x...) }

// TestConvEmptyBatch: a batch of no samples goes through both paths (and
// BackwardParams) without touching the gradients.
func TestConvEmptyBatch(t *testing.T) {
	for _, wide := range []bool{false, true} {
		prev := wideEnabled
		wideEnabled = wide
		m, err := Build[float32]([]int{4, 84, 84}, NatureTrunk(), rand.New(rand.NewPCG(1, 2)))
		wideEnabled = prev
		if err != nil {
			t.Fatal(err)
		}
		y := m.Forward(New[float32](0, 4, 84, 84))
		dy := New[float32](y.Shape...)
		dx := m.Backward(dy)
		m.BackwardParams(dy)
		if len(y.Shape) != 2 || y.Shape[0] != 0 || len(dx.Shape) != 4 || dx.Shape[0] != 0 {
			t.Errorf("fast path %v: y %v, ∂L/∂x %v", wide, y.Shape, dx.Shape)
		}
		for _, p := range m.Params() {
			for i, g := range p.Grad.Data {
				if g != 0 {
					t.Fatalf("fast path %v: %s grad[%d] = %v", wide, p.Name, i, g)
				}
			}
		}
	}
}
