package net

import (
	"fmt"
	"math/rand/v2"
	"slices"

	kernels "github.com/deepq/deepq/internal/gemm"
	"github.com/deepq/deepq/internal/vec"
)

// ConvLayer is a 2-D or 3-D convolution (cross-correlation, as PyTorch's
// Conv2d and Conv3d) with zero padding, on NCHW / NCDHW batches:
//
//	y[b,o,z,u,v] = bias[o] + Σ_{c,i,j,l} W[o,c,i,j,l] · x[b, c, z·s_D−p_D+i, u·s_H−p_H+j, v·s_W−p_W+l]
//
// with x taken as 0 outside the input. Each output size is ⌊(n + 2p − k)/s⌋ + 1.
// A 2-D convolution is the case D = k_D = s_D = 1, p_D = 0 and drops the D
// dimension from its shapes.
//
// The sums run as one matrix multiply per pass through gemm (im2col): with
// P = D′·H′·W′ output positions, N = B·P columns and K = C·k_D·k_H·k_W,
//
//	col (K, N)                   col[(c,i,j,l), (b,z,u,v)] = x[b, c, z·s_D−p_D+i, …]
//	Y   (Out, N) = W (Out, K) · col
//	∂L/∂W += δ (Out, N) · colᵀ   ∂L/∂b += Σ_{b,z,u,v} δ
//	∂col   = Wᵀ (K, Out) · δ     then col2im adds each entry back to ∂L/∂x.
//
// float32 2-D convolutions without padding whose kernel is a multiple of the
// stride (the DQN nets' layers) take a faster route to the same sums, with no
// im2col: space to depth, then one multiply per kernel tap that reads the
// input in place (conv_wide.go). The others run as above: Forward fills col
// and Y in chunks of samples small enough that a chunk's columns of col are
// still in L2 when the multiply reads them, and the threads of SetThreads
// take whole chunks (convolution over the batch); Backward's multiplies span
// the batch and split by blocks of their output, and col2im splits by input
// channel. No split changes a result. Forward keeps col (the unfolded input;
// on the fast path the space-to-depth input) for Backward; workspaces are
// reused, so a steady batch size allocates nothing.
type ConvLayer[T Float] struct {
	// InC and OutC are the input and output channels.
	InC, OutC int
	// W holds the kernels, shape (OutC, InC, kH, kW) or (OutC, InC, kD, kH,
	// kW), row-major as PyTorch's Conv weight: W[((o·InC+c)·kD+i)·kH+j)·kW+l].
	W *Param[T]
	// B holds the biases, shape (OutC).
	B *Param[T]

	spec         LayerSpec
	in, out      [3]int // input and output (D, H, W); D = 1 in 2-D
	k, s, p      [3]int // kernel, stride, padding per (D, H, W)
	bs           int    // batch size of the last Forward
	xshape       []int  // shape of the last input
	col, yt, dyt []T    // im2col (K, N), Y (Out, N), δ (Out, N)
	dcol         []T    // ∂col (K, N)
	y, dx        *Tensor[T]

	// Passes over the batch that gemm.For splits between threads: each
	// handles a range of sample chunks, input channels or output channels,
	// so the results do not depend on the split.
	fwdPass    convPass[T] // im2col, Y = W·col and y for chunks of samples
	chunk      int         // samples per chunk of fwdPass
	col2imPass convPass[T]
	dyPass     convPass[T] // δ (B, Out, P) -> dyt (Out, N), ∂L/∂b
	bwdPass    convPass[T] // groups of sample chunks (fast path)

	// wide is the fast path (conv_wide.go), nil where it does not apply.
	wide *wideConv

	// prec is the precision of the multiplies (not of ∂L/∂b's sums).
	prec Precision
}

// convPass is one of the loops of a ConvLayer as a gemm.Body.
type convPass[T Float] struct {
	c   *ConvLayer[T]
	run func(c *ConvLayer[T], lo, hi int)
	x   []T // the input (im2col) or δ (dy pass)
}

func (p *convPass[T]) Run(lo, hi int) { p.run(p.c, lo, hi) }

func (c *ConvLayer[T]) setPrecision(p Precision) { c.prec = p }

// passes sets up the layer's parallel passes once (again if the layer was
// copied).
func (c *ConvLayer[T]) passes() {
	if c.fwdPass.c == c {
		return
	}
	c.fwdPass = convPass[T]{c: c, run: (*ConvLayer[T]).forwardRange}
	if c.wide != nil {
		c.fwdPass.run = (*ConvLayer[T]).forwardWideRange
		c.bwdPass = convPass[T]{c: c, run: (*ConvLayer[T]).backwardWideRange}
	}
	c.col2imPass = convPass[T]{c: c, run: func(c *ConvLayer[T], lo, hi int) {
		// Zero this range's channels of ∂L/∂x, then add col back into them.
		plane := c.in[0] * c.in[1] * c.in[2]
		for b := range c.bs {
			clear(c.dx.Data[(b*c.InC+lo)*plane : (b*c.InC+hi)*plane])
		}
		col2im(c.dcol, c.dx.Data, c.bs, c.InC, c.in, c.k, c.s, c.p, c.out, lo, hi)
	}}
	c.dyPass = convPass[T]{c: c, run: (*ConvLayer[T]).deltaRange}
}

// grain is the least work (elements touched) worth a second thread.
const grain = 1 << 15

// convGeometry returns the kernel, stride and padding of a conv spec per
// (D, H, W), with the neutral 1, 1, 0 for D in 2-D.
func (s LayerSpec) convGeometry() (k, st, p [3]int) {
	if s.Kind == "conv3d" {
		return [3]int{s.KernelD, s.KernelH, s.KernelW}, [3]int{s.StrideD, s.StrideH, s.StrideW}, [3]int{s.PadD, s.PadH, s.PadW}
	}
	return [3]int{1, s.KernelH, s.KernelW}, [3]int{1, s.StrideH, s.StrideW}, [3]int{0, s.PadH, s.PadW}
}

// inferConv is infer for conv2d and conv3d.
func (s LayerSpec) inferConv(in []int) (layerSize, error) {
	nd := 2
	want := "(C, H, W)"
	if s.Kind == "conv3d" {
		nd, want = 3, "(C, D, H, W)"
	}
	if len(in) != nd+1 {
		return layerSize{}, fmt.Errorf("input must be %s per sample, got %v", want, in)
	}
	if s.Channels < 1 || s.Channels > maxWidth {
		return layerSize{}, fmt.Errorf("channels must be in [1, %d], got %d", maxWidth, s.Channels)
	}
	if _, err := initializer(s.Init); err != nil {
		return layerSize{}, err
	}
	k, st, p := s.convGeometry()
	sp := [3]int{1, 1, 1}
	copy(sp[3-nd:], in[1:])
	out := []int{s.Channels}
	names := [3]string{"d", "h", "w"}
	for a := 3 - nd; a < 3; a++ {
		switch {
		case k[a] < 1 || k[a] > maxWidth:
			return layerSize{}, fmt.Errorf("kernel_%s must be in [1, %d], got %d", names[a], maxWidth, k[a])
		case st[a] < 1 || st[a] > maxWidth:
			return layerSize{}, fmt.Errorf("stride_%s must be in [1, %d], got %d", names[a], maxWidth, st[a])
		case p[a] < 0 || p[a] > k[a]/2:
			return layerSize{}, fmt.Errorf("pad_%s must be in [0, kernel/2 = %d], got %d", names[a], k[a]/2, p[a])
		case sp[a]+2*p[a] < k[a]:
			return layerSize{}, fmt.Errorf("kernel_%s %d is larger than the padded input (%d + 2·%d)", names[a], k[a], sp[a], p[a])
		}
		out = append(out, (sp[a]+2*p[a]-k[a])/st[a]+1)
	}
	kk, ok := mulBounded(in[0], k[0]*k[1])
	if ok {
		kk, ok = mulBounded(kk, k[2])
	}
	n, ok2 := mulBounded(kk+1, s.Channels)
	if !ok || !ok2 {
		return layerSize{}, fmt.Errorf("%d kernels of %d×%v weights are too many", s.Channels, in[0], k)
	}
	return layerSize{out: out, params: n}, nil
}

// newConv makes the convolution of spec s for per-sample input shape in
// (already checked by infer).
func newConv[T Float](prefix string, s LayerSpec, in []int) *ConvLayer[T] {
	c := &ConvLayer[T]{InC: in[0], OutC: s.Channels, spec: s}
	c.k, c.s, c.p = s.convGeometry()
	c.in = [3]int{1, 1, 1}
	copy(c.in[4-len(in):], in[1:])
	for a := range 3 {
		c.out[a] = (c.in[a]+2*c.p[a]-c.k[a])/c.s[a] + 1
	}
	wshape := []int{c.OutC, c.InC, c.k[0], c.k[1], c.k[2]}
	if s.Kind == "conv2d" {
		wshape = slices.Delete(wshape, 2, 3)
	}
	c.W = newParam[T](prefix+"weight", wshape...)
	c.B = newParam[T](prefix+"bias", c.OutC)
	if wideFits(c) {
		c.wide = newWide(c)
	}
	return c
}

// kernelSize returns K = InC·kD·kH·kW, the fan-in of one output.
func (c *ConvLayer[T]) kernelSize() int { return c.InC * c.k[0] * c.k[1] * c.k[2] }

// positions returns P = D′·H′·W′, the output positions per channel.
func (c *ConvLayer[T]) positions() int { return c.out[0] * c.out[1] * c.out[2] }

// initWeights draws W and b from the initialiser (fanIn = InC·k, fanOut =
// OutC·k with k the kernel volume, as PyTorch computes them); a nil rng
// leaves them at zero.
func (c *ConvLayer[T]) initWeights(rng *rand.Rand) {
	if rng == nil {
		return
	}
	init, _ := initializer(c.spec.Init)
	vol := c.k[0] * c.k[1] * c.k[2]
	init.initDense(c.W.Value.Data, c.B.Value.Data, c.InC*vol, c.OutC*vol, rng)
}

// outShape returns the output shape for batch size bs.
func (c *ConvLayer[T]) outShape(bs int) []int {
	if c.spec.Kind == "conv2d" {
		return []int{bs, c.OutC, c.out[1], c.out[2]}
	}
	return []int{bs, c.OutC, c.out[0], c.out[1], c.out[2]}
}

// fits reports whether shape is (B, InC, [D,] H, W).
func (c *ConvLayer[T]) fits(shape []int) bool {
	sp := shape[min(2, len(shape)):]
	if c.spec.Kind == "conv2d" {
		return len(shape) == 4 && shape[1] == c.InC && sp[0] == c.in[1] && sp[1] == c.in[2]
	}
	return len(shape) == 5 && shape[1] == c.InC && sp[0] == c.in[0] && sp[1] == c.in[1] && sp[2] == c.in[2]
}

func (c *ConvLayer[T]) badInput(shape []int) {
	want := c.outShape(0)[1:]
	want[0] = c.InC
	copy(want[len(want)-2:], c.in[1:])
	if len(want) == 4 {
		want[1] = c.in[0]
	}
	panic(fmt.Sprintf("net: %s layer %s: input %v, want (B, %v)", c.spec.Kind, c.W.Name, shape, want))
}

// Forward computes the convolution of x (B, InC, [D,] H, W).
func (c *ConvLayer[T]) Forward(x *Tensor[T]) *Tensor[T] {
	if !c.fits(x.Shape) {
		c.badInput(slices.Clone(x.Shape))
	}
	bs, K, P := x.Shape[0], c.kernelSize(), c.positions()
	N := bs * P
	c.bs = bs
	c.xshape = append(c.xshape[:0], x.Shape...)
	c.passes()
	if c.spec.Kind == "conv2d" {
		c.y = reuse(c.y, bs, c.OutC, c.out[1], c.out[2])
	} else {
		c.y = reuse(c.y, bs, c.OutC, c.out[0], c.out[1], c.out[2])
	}
	if c.wide != nil {
		c.forwardWide(any(x.Data).([]float32))
		return c.y
	}
	c.col = grow(c.col, K*N)
	c.yt = grow(c.yt, c.OutC*N)
	// The batch goes in chunks whose columns of col (K × chunk·P) stay in
	// L2 between im2col and the multiply that reads them; threads take whole
	// chunks (convolution over the batch).
	c.chunk = max(1, min(bs, chunkElems/(K*P)))
	c.fwdPass.x = x.Data
	kernels.For((bs+c.chunk-1)/c.chunk, 1, &c.fwdPass)
	c.fwdPass.x = nil
	return c.y
}

// chunkElems bounds the elements of col one forward chunk writes (384 KiB
// of float32, half of the L2 of the CPUs this was tuned on).
const chunkElems = 96 << 10

// forwardRange runs the forward pass for the sample chunks [lo, hi):
// im2col of their columns, Y[:, cols] = W·col[:, cols], then y and the bias.
// Every element is computed as by one whole-batch multiply, so the split
// does not change the result.
func (c *ConvLayer[T]) forwardRange(lo, hi int) {
	K, P := c.kernelSize(), c.positions()
	N := c.bs * P
	for ch := lo; ch < hi; ch++ {
		b0 := ch * c.chunk
		b1 := min(c.bs, b0+c.chunk)
		if x32, ok := any(c.fwdPass.x).([]float32); ok && c.p == [3]int{} {
			im2colNoPad32(x32, any(c.col).([]float32), c.bs, c.InC, c.in, c.k, c.s, c.out, 0, K, b0, b1)
		} else {
			im2col(c.fwdPass.x, c.col, c.bs, c.InC, c.in, c.k, c.s, c.p, c.out, 0, K, b0, b1)
		}
		gemmSerialIn(c.prec, false, false, c.OutC, (b1-b0)*P, K, 1, c.W.Value.Data, K, c.col[b0*P:], N, 0, c.yt[b0*P:], N)
		c.outputRange(b0, b1)
	}
}

// outputRange writes samples [lo, hi) of y (B, Out, P) from Y (Out, N) and
// the bias.
func (c *ConvLayer[T]) outputRange(lo, hi int) {
	P := c.positions()
	N := c.bs * P
	y, bias := c.y.Data, c.B.Value.Data
	y32, _ := any(y).([]float32)
	for b := lo; b < hi; b++ {
		for o := range c.OutC {
			dst := y[(b*c.OutC+o)*P : (b*c.OutC+o+1)*P]
			src := c.yt[o*N+b*P : o*N+(b+1)*P]
			bo := bias[o]
			if y32 != nil {
				vec.AddScalar(any(dst).([]float32), any(src).([]float32), float32(bo))
				continue
			}
			for q, v := range src {
				dst[q] = v + bo
			}
		}
	}
}

// Backward accumulates ∂L/∂W and ∂L/∂b and returns ∂L/∂x.
func (c *ConvLayer[T]) Backward(dy *Tensor[T]) *Tensor[T] {
	if c.wide != nil {
		c.checkBackward(dy)
		c.dx = reuse(c.dx, c.xshape...)
		c.backwardWide(any(dy.Data).([]float32), any(c.dx.Data).([]float32))
		return c.dx
	}
	c.backwardParams(dy)
	c.dx = reuse(c.dx, c.xshape...)
	if c.bs == 0 {
		return c.dx
	}
	K, N := c.kernelSize(), c.bs*c.positions()
	c.dcol = grow(c.dcol, K*N)
	gemmIn(c.prec, true, false, K, N, c.OutC, 1, c.W.Value.Data, K, c.dyt, N, 0, c.dcol, N)
	kernels.For(c.InC, max(1, grain/(K/c.InC*N)), &c.col2imPass)
	return c.dx
}

// backwardParams accumulates ∂L/∂W and ∂L/∂b, leaving δ as (Out, N) in dyt.
func (c *ConvLayer[T]) backwardParams(dy *Tensor[T]) {
	c.checkBackward(dy)
	if c.wide != nil {
		c.backwardWide(any(dy.Data).([]float32), nil)
		return
	}
	if c.bs == 0 {
		return
	}
	K, P := c.kernelSize(), c.positions()
	N := c.bs * P
	c.dyt = grow(c.dyt, c.OutC*N)
	c.passes()
	c.dyPass.x = dy.Data
	kernels.For(c.OutC, max(1, grain/N), &c.dyPass)
	c.dyPass.x = nil
	gemmIn(c.prec, false, true, c.OutC, K, N, 1, c.dyt, N, c.col, N, 1, c.W.Grad.Data, K)
}

// checkBackward panics if Backward comes before Forward or dy does not
// match the output of the last Forward.
func (c *ConvLayer[T]) checkBackward(dy *Tensor[T]) {
	if c.xshape == nil {
		panic("net: conv layer " + c.W.Name + ": Backward before Forward")
	}
	mustLen(c.spec.Kind, dy, c.bs*c.OutC*c.positions())
}

// deltaRange copies output channels [lo, hi) of δ (B, Out, P) into dyt
// (Out, N) and adds their sums into ∂L/∂b (over the batch in order).
func (c *ConvLayer[T]) deltaRange(lo, hi int) {
	P := c.positions()
	N := c.bs * P
	dy, gb := c.dyPass.x, c.B.Grad.Data
	for o := lo; o < hi; o++ {
		for b := range c.bs {
			src := dy[(b*c.OutC+o)*P : (b*c.OutC+o+1)*P]
			copy(c.dyt[o*N+b*P:], src)
			var s T
			for _, v := range src {
				s += v
			}
			gb[o] += s
		}
	}
}

// Params returns W and b.
func (c *ConvLayer[T]) Params() []*Param[T] { return []*Param[T]{c.W, c.B} }

// Spec describes the layer.
func (c *ConvLayer[T]) Spec() LayerSpec { return c.spec }

// grow returns s resized to n elements, reallocating only if it is too small.
func grow[T Float](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// validRange returns the output indices [lo, hi) of one axis for which the
// input index o·s − p + k lies in [0, n), for out outputs.
func validRange(n, out, k, s, p int) (lo, hi int) {
	if p > k {
		lo = (p - k + s - 1) / s
	}
	last := n - 1 + p - k // largest o·s allowed
	if last < 0 {
		return 0, 0
	}
	hi = min(out, last/s+1)
	return min(lo, hi), hi
}

// im2col unfolds samples [b0, b1) of x (B, C, D, H, W) into rows [r0, r1) of
// col (K, N): row
// (c, i, j, l) of col holds, for every output position (b, z, u, v), the input
// element the kernel tap (i, j, l) of channel c meets there, or 0 in the
// padding.
func im2col[T Float](x, col []T, bs, C int, in, k, s, p, out [3]int, r0, r1, b0, b1 int) {
	P := out[0] * out[1] * out[2]
	N := bs * P
	row := 0
	for c := range C {
		for i := range k[0] {
			for j := range k[1] {
				for l := range k[2] {
					if row < r0 || row >= r1 {
						row++
						continue
					}
					dst := col[row*N : (row+1)*N]
					row++
					lo, hi := validRange(in[2], out[2], l, s[2], p[2])
					for b := b0; b < b1; b++ {
						for z := range out[0] {
							id := z*s[0] - p[0] + i
							for u := range out[1] {
								ih := u*s[1] - p[1] + j
								seg := dst[((b*out[0]+z)*out[1]+u)*out[2] : ((b*out[0]+z)*out[1]+u+1)*out[2]]
								if id < 0 || id >= in[0] || ih < 0 || ih >= in[1] {
									clear(seg)
									continue
								}
								src := x[(((b*C+c)*in[0]+id)*in[1]+ih)*in[2]:]
								clear(seg[:lo])
								clear(seg[hi:])
								off := l - p[2]
								if s[2] == 1 {
									copy(seg[lo:hi], src[lo+off:hi+off])
								} else {
									for v := lo; v < hi; v++ {
										seg[v] = src[v*s[2]+off]
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

// im2colNoPad32 is im2col for float32 without padding (the DQN nets): rows
// [r0, r1) of col for samples [b0, b1), each output row of a sample copied by
// vec.Segments (AVX-512 moves, lane permutes or gathers).
func im2colNoPad32(x, col []float32, bs, C int, in, k, s, out [3]int, r0, r1, b0, b1 int) {
	P := out[0] * out[1] * out[2]
	N := bs * P
	kvol, khw := k[0]*k[1]*k[2], k[1]*k[2]
	w, s2 := out[2], s[2]
	span := (out[1]-1)*s[1]*in[2] + (w-1)*s2 + 1 // input elements one (z) plane reads
	for row := r0; row < r1; row++ {
		c, r := row/kvol, row%kvol
		i, j, l := r/khw, r/k[2]%k[1], r%k[2]
		d := row*N + b0*P
		for b := b0; b < b1; b++ {
			for z := range out[0] {
				src := x[(((b*C+c)*in[0]+z*s[0]+i)*in[1]+j)*in[2]+l:][:span]
				vec.Segments(col[d:d+out[1]*w], src, out[1], w, s[1]*in[2], s2)
				d += out[1] * w
			}
		}
	}
}

// col2im is the adjoint of im2col: it adds every entry of the rows of col
// (K, N) that belong to input channels [c0, c1) into the element of dx (B, C,
// D, H, W) that im2col read it from. Those channels of dx must be zeroed by
// the caller.
func col2im[T Float](col, dx []T, bs, C int, in, k, s, p, out [3]int, c0, c1 int) {
	P := out[0] * out[1] * out[2]
	N := bs * P
	row := c0 * k[0] * k[1] * k[2]
	for c := c0; c < c1; c++ {
		for i := range k[0] {
			for j := range k[1] {
				for l := range k[2] {
					src := col[row*N : (row+1)*N]
					row++
					lo, hi := validRange(in[2], out[2], l, s[2], p[2])
					off := l - p[2]
					for b := range bs {
						for z := range out[0] {
							id := z*s[0] - p[0] + i
							if id < 0 || id >= in[0] {
								continue
							}
							for u := range out[1] {
								ih := u*s[1] - p[1] + j
								if ih < 0 || ih >= in[1] {
									continue
								}
								seg := src[((b*out[0]+z)*out[1]+u)*out[2]:]
								dst := dx[(((b*C+c)*in[0]+id)*in[1]+ih)*in[2]:]
								if s[2] == 1 {
									d := dst[lo+off : hi+off]
									if d32, ok := any(d).([]float32); ok {
										vec.AddTo(d32, any(seg[lo:hi]).([]float32))
										continue
									}
									for v, g := range seg[lo:hi] {
										d[v] += g
									}
								} else {
									for v := lo; v < hi; v++ {
										dst[v*s[2]+off] += seg[v]
									}
								}
							}
						}
					}
				}
			}
		}
	}
}
