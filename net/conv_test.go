package net

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// convNaive is the reference convolution: the definition's sums written
// out, one output element at a time, on (B, C, D, H, W) with a
// (Out, C, kD, kH, kW) kernel. It returns y and, for δ = ∂L/∂y, ∂L/∂x, ∂L/∂W
// and ∂L/∂b.
func convNaive(x, w, bias, dy []float64, B, C, O int, in, k, s, p [3]int) (y, dx, dw, db []float64) {
	var out [3]int
	for a := range 3 {
		out[a] = (in[a]+2*p[a]-k[a])/s[a] + 1
	}
	P := out[0] * out[1] * out[2]
	y, dx = make([]float64, B*O*P), make([]float64, len(x))
	dw, db = make([]float64, len(w)), make([]float64, O)
	xi := func(b, c, z, u, v int) int { return (((b*C+c)*in[0]+z)*in[1]+u)*in[2] + v }
	wi := func(o, c, i, j, l int) int { return (((o*C+c)*k[0]+i)*k[1]+j)*k[2] + l }
	for b := range B {
		for o := range O {
			for z := range out[0] {
				for u := range out[1] {
					for v := range out[2] {
						yi := (((b*O+o)*out[0]+z)*out[1]+u)*out[2] + v
						sum := bias[o]
						db[o] += dy[yi]
						for c := range C {
							for i := range k[0] {
								for j := range k[1] {
									for l := range k[2] {
										zz, uu, vv := z*s[0]-p[0]+i, u*s[1]-p[1]+j, v*s[2]-p[2]+l
										if zz < 0 || zz >= in[0] || uu < 0 || uu >= in[1] || vv < 0 || vv >= in[2] {
											continue
										}
										sum += w[wi(o, c, i, j, l)] * x[xi(b, c, zz, uu, vv)]
										dw[wi(o, c, i, j, l)] += dy[yi] * x[xi(b, c, zz, uu, vv)]
										dx[xi(b, c, zz, uu, vv)] += dy[yi] * w[wi(o, c, i, j, l)]
									}
								}
							}
						}
						y[yi] = sum
					}
				}
			}
		}
	}
	return y, dx, dw, db
}

// TestConvMatchesNaive checks the im2col convolution against convNaive on
// many geometries: strides, paddings, rectangular and 3-D kernels, kernels as
// large as the padded input.
func TestConvMatchesNaive(t *testing.T) {
	type geom struct {
		kind        string
		B, C, O     int
		in, k, s, p [3]int
	}
	cases := []geom{
		{"conv2d", 2, 3, 4, [3]int{1, 7, 9}, [3]int{1, 3, 3}, [3]int{1, 2, 2}, [3]int{0, 1, 1}},
		{"conv2d", 1, 1, 2, [3]int{1, 30, 30}, [3]int{1, 3, 3}, [3]int{1, 1, 1}, [3]int{0, 0, 0}},
		{"conv2d", 3, 4, 5, [3]int{1, 10, 10}, [3]int{1, 3, 3}, [3]int{1, 1, 1}, [3]int{0, 0, 0}},
		{"conv2d", 2, 2, 3, [3]int{1, 20, 20}, [3]int{1, 8, 8}, [3]int{1, 4, 4}, [3]int{0, 0, 0}},
		{"conv2d", 2, 3, 2, [3]int{1, 9, 9}, [3]int{1, 4, 4}, [3]int{1, 2, 2}, [3]int{0, 2, 2}},
		{"conv2d", 2, 2, 2, [3]int{1, 5, 6}, [3]int{1, 5, 2}, [3]int{1, 3, 1}, [3]int{0, 2, 1}},
		{"conv2d", 1, 2, 3, [3]int{1, 1, 1}, [3]int{1, 3, 3}, [3]int{1, 1, 1}, [3]int{0, 1, 1}},
		{"conv2d", 2, 1, 1, [3]int{1, 6, 7}, [3]int{1, 6, 7}, [3]int{1, 1, 1}, [3]int{0, 0, 0}},
		{"conv2d", 2, 2, 2, [3]int{1, 7, 7}, [3]int{1, 3, 3}, [3]int{1, 3, 2}, [3]int{0, 1, 0}},
		{"conv3d", 2, 2, 3, [3]int{4, 5, 6}, [3]int{2, 3, 3}, [3]int{1, 2, 1}, [3]int{1, 1, 0}},
		{"conv3d", 1, 4, 2, [3]int{4, 6, 6}, [3]int{4, 3, 3}, [3]int{1, 1, 1}, [3]int{0, 1, 1}},
		{"conv3d", 2, 1, 2, [3]int{5, 5, 5}, [3]int{3, 3, 3}, [3]int{2, 2, 2}, [3]int{1, 1, 1}},
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, g := range cases {
		name := fmt.Sprintf("%s B%d C%d→%d in%v k%v s%v p%v", g.kind, g.B, g.C, g.O, g.in, g.k, g.s, g.p)
		t.Run(name, func(t *testing.T) {
			spec := LayerSpec{Kind: g.kind, Channels: g.O, KernelH: g.k[1], KernelW: g.k[2],
				StrideH: g.s[1], StrideW: g.s[2], PadH: g.p[1], PadW: g.p[2]}
			in := []int{g.C, g.in[1], g.in[2]}
			if g.kind == "conv3d" {
				spec.KernelD, spec.StrideD, spec.PadD = g.k[0], g.s[0], g.p[0]
				in = []int{g.C, g.in[0], g.in[1], g.in[2]}
			}
			m, err := Build[float64](in, []LayerSpec{spec}, rng)
			if err != nil {
				t.Fatal(err)
			}
			c := m.Layers[0].(*ConvLayer[float64])
			x := randTensor(rng, append([]int{g.B}, in...)...)
			y := m.Forward(x)
			dy := randTensor(rng, y.Shape...)
			dx := m.Backward(dy)
			wy, wdx, wdw, wdb := convNaive(x.Data, c.W.Value.Data, c.B.Value.Data, dy.Data, g.B, g.C, g.O, g.in, g.k, g.s, g.p)
			closeTo(t, "y", y.Data, wy, 1e-13)
			closeTo(t, "dx", dx.Data, wdx, 1e-13)
			closeTo(t, "dW", c.W.Grad.Data, wdw, 1e-13)
			closeTo(t, "db", c.B.Grad.Data, wdb, 1e-13)
		})
	}
}

// TestConvShape: 1 input channel, C outputs, 3×3, stride 1, padding 0 on
// 30×30 gives C×28×28, with weights (C, 1, 3, 3) as PyTorch's.
func TestConvShape(t *testing.T) {
	for _, C := range []int{1, 8, 16} {
		m, err := Build[float32]([]int{1, 30, 30}, []LayerSpec{Conv2D(C, 3, 1, 0)}, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if got := m.OutShape(); !slices.Equal(got, []int{C, 28, 28}) {
			t.Fatalf("output shape %v, want [%d 28 28]", got, C)
		}
		y := m.Forward(New[float32](5, 1, 30, 30))
		if !slices.Equal(y.Shape, []int{5, C, 28, 28}) {
			t.Fatalf("batch output %v", y.Shape)
		}
		if w := m.Params()[0].Value.Shape; !slices.Equal(w, []int{C, 1, 3, 3}) {
			t.Fatalf("weight shape %v", w)
		}
	}
	// The Nature and MinAtar trunks.
	for _, c := range []struct {
		in    []int
		specs []LayerSpec
		out   []int
		n     int
	}{
		{[]int{4, 84, 84}, NatureTrunk(), []int{3136}, 8224 + 32832 + 36928},
		{[]int{4, 84, 84}, NatureDQN(6), []int{6}, 8224 + 32832 + 36928 + 3136*512 + 512 + 512*6 + 6},
		{[]int{4, 10, 10}, MinAtarDQN(6), []int{6}, 592 + 1024*128 + 128 + 128*6 + 6},
		{[]int{2, 4, 84, 84}, []LayerSpec{Conv3D(8, 2, 1, 0)}, []int{8, 3, 83, 83}, 8*2*8 + 8},
	} {
		n, err := CountParams(c.in, c.specs)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := Build[float32](c.in, c.specs, nil)
		if !slices.Equal(m.OutShape(), c.out) || n != c.n || m.NumParams() != n {
			t.Fatalf("%v: out %v, %d params (counted %d), want %v, %d", c.specs, m.OutShape(), m.NumParams(), n, c.out, c.n)
		}
	}
}

// TestConvSpecErrors checks that bad geometry is an error naming the field.
func TestConvSpecErrors(t *testing.T) {
	for _, c := range []struct {
		in   []int
		spec LayerSpec
		want string
	}{
		{[]int{3, 8, 8}, Conv2D(0, 3, 1, 0), "channels"},
		{[]int{3, 8, 8}, Conv2D(4, 3, 0, 0), "stride_h"},
		{[]int{3, 8, 8}, Conv2D(4, 3, 1, 2), "pad_h"},
		{[]int{3, 2, 2}, Conv2D(4, 3, 1, 0), "larger than the padded input"},
		{[]int{3, 8}, Conv2D(4, 3, 1, 0), "(C, H, W)"},
		{[]int{3, 8, 8}, Conv3D(4, 3, 1, 0), "(C, D, H, W)"},
		{[]int{3, 8, 8}, LayerSpec{Kind: "conv2d", Channels: 2, KernelH: 3, KernelW: 3, StrideH: 1, StrideW: 1, KernelD: 2}, "takes no kernel_d"},
		{[]int{3, 8, 8}, LayerSpec{Kind: "conv2d", Channels: 1 << 23, KernelH: 1 << 12, KernelW: 1, StrideH: 1, StrideW: 1}, ""},
	} {
		_, err := CountParams(c.in, []LayerSpec{c.spec})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v on %v: error %v, want one mentioning %q", c.spec, c.in, err, c.want)
		}
	}
}

// TestConvBadInputPanics: a batch of the wrong shape is a programmer error,
// reported with the package prefix and both shapes.
func TestConvBadInputPanics(t *testing.T) {
	for _, c := range []struct {
		in, x []int
		spec  LayerSpec
		want  string
	}{
		{[]int{3, 7, 9}, []int{2, 3, 9, 7}, Conv2D(4, 3, 1, 1), "net: conv2d layer 0.weight: input [2 3 9 7], want (B, [3 7 9])"},
		{[]int{2, 4, 5, 6}, []int{1, 2, 4, 5}, Conv3D(4, 3, 1, 1), "net: conv3d layer 0.weight: input [1 2 4 5], want (B, [2 4 5 6])"},
	} {
		m, _ := Build[float32](c.in, []LayerSpec{c.spec}, nil)
		func() {
			defer func() {
				if r := recover(); r != c.want {
					t.Errorf("panic %v, want %q", r, c.want)
				}
			}()
			m.Forward(New[float32](c.x...))
		}()
	}
}
