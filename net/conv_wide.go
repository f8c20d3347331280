package net

import (
	"sync"

	kernels "github.com/deepq/deepq/internal/gemm"
	"github.com/deepq/deepq/internal/vec"
)

// This file is the fast path of ConvLayer for float32 2-D convolutions
// without padding whose kernel is a multiple of the stride (k = q·s), the
// convolutions of the DQN nets. It needs no im2col: every multiply reads the
// input in place.
//
// Space to depth. With k = q·s, the stride-s convolution of x (C, H, W) is a
// stride-1 convolution with a q_H×q_W kernel of xs (C′, Hs, Ws), C′ = C·s_H·s_W:
//
//	xs[(c,a,b), U, V] = x[c, U·s_H+a, V·s_W+b]      a < s_H, b < s_W
//	Wt[(i′,j′), o, (c,a,b)] = W[o, c, i′·s_H+a, j′·s_W+b]    i′ < q_H, j′ < q_W
//
// with Hs = H′+q_H−1 and Ws = W′+q_W−1 (input rows and columns past Hs·s_H
// and Ws·s_W meet no kernel tap). For s = 1, xs is x itself.
//
// Wide rows, one multiply per tap. Output positions are numbered on the width
// of xs, n = u·Ws + v for u < H′ and v < Ws: Pw = H′·Ws per sample, of which
// the columns v ≥ W′ are padding that no result reads. The input a tap
// t = (i′, j′) meets at n is then xs[c′, n + off_t] with off_t = i′·Ws + j′,
// so for each sample
//
//	Y (Out, Pw) = Σ_t Wt[t] (Out, C′) · Xt (C′, Pw)      Xt[c′, n] = xs[c′·Hs·Ws + off_t + n]
//
// where Xt is xs itself read from off_t with leading dimension Hs·Ws: q_H·q_W
// ordinary multiplies, no copies. Backward, with δ (Out, Pw) zero in the
// padding columns:
//
//	∂Wt[t]ᵀ (C′, Out) += Xt · δᵀ      ∂b += Σ_n δ[:, n]
//	∂xs[c′·Hs·Ws + off_t + n] += (Wt[t]ᵀ · δ)[c′, n]     (a multiply with β = 1 into ∂xs)
//
// and depth to space gives ∂L/∂x. The padding columns make Ws/W′ more
// multiply work (5% for the Nature DQN's first layer, 29% for its third),
// far less than im2col's copies cost.
//
// Samples are the unit of work: Forward splits them between threads; Backward
// cuts them into wideGroups groups (independent of the thread count) whose
// gradients are summed in separate buffers and then added in group order, so
// the result is the same for any number of threads. Forward keeps x and Wt
// for Backward, which redoes the space to depth one sample at a time into a
// workspace that stays in cache: cheaper than writing the whole batch's xs
// to memory in Forward and reading it back.

// wideGroups is the number of partial gradient sums of a wide Backward: the
// most threads that can share it.
const wideGroups = 4

// wideConv is the geometry and the state of the fast path of one ConvLayer.
type wideConv struct {
	s, q   [2]int // stride and kernel/stride along (H, W)
	cs     int    // C′: channels of xs, InC·s_H·s_W
	taps   int    // q_H·q_W
	hs, ws int    // rows and columns of xs
	plane  int    // hs·ws
	per    int    // elements of one sample of xs: C′·plane
	slack  int    // elements past a sample that a tap's multiply reads
	stride int    // per + slack: the elements of a workspace's xs
	pw     int    // wide output positions per sample: H′·Ws
	offs   []int  // off_t per tap
	// kidx maps (t, c′) (index t·C′+c′) to the column of W's rows (c, i, j).
	kidx []int

	// Wt holds the weights per tap, (taps, Out, C′), made by Forward.
	wt []float32
	// x is the input of the last Forward (B, InC, H, W), kept for Backward.
	x    []float32
	ones []float32 // Pw ones, for ∂b
	dy   []float32 // δ (B, Out, H′, W′) during Backward
	dx   []float32 // ∂L/∂x (B, InC, H, W) during Backward, nil for parameters only
	// part holds the groups' partial sums of [∂Wt[t]ᵀ for each t; ∂bᵀ]:
	// taps·C′·Out + Out elements each.
	part []float32
	sumT []float32 // the sum of part's ∂Wtᵀ, transposed: (Out, taps·C′)

	mu   sync.Mutex
	free []*wideWork // workspaces not in use
}

// wideWork is the workspace of one thread of the fast path, for one sample.
type wideWork struct {
	xs   []float32 // xs (C′, Hs, Ws) and slack zeros
	yt   []float32 // Y (Out, Pw)
	dyt  []float32 // δ (Out, Pw), zero in the padding columns
	dytT []float32 // δᵀ (Pw, Out)
	dxs  []float32 // ∂L/∂xs of one sample, plus slack
}

// wideFits reports whether c takes the fast path: float32, 2-D, no padding,
// kernel a multiple of the stride, strides of at most 8 (vec.Segments), and
// at least wideMinDepth channels after space to depth.
func wideFits[T Float](c *ConvLayer[T]) bool {
	if _, ok := any(c.W.Value.Data).([]float32); !ok || !wideEnabled {
		return false
	}
	return c.spec.Kind == "conv2d" && c.p == [3]int{} &&
		c.k[1]%c.s[1] == 0 && c.k[2]%c.s[2] == 0 && c.s[1] <= 8 && c.s[2] <= 8 &&
		c.InC*c.s[1]*c.s[2] >= wideMinDepth
}

// wideMinDepth is the least C′ for the fast path. Each tap's multiply sums
// over C′ only, and below 16 the many thin multiplies cost more than one
// im2col multiply: MinAtar's first layer (C′ = 4) trains faster on the
// general path (measured here: forward 29 against 44 µs, parameter gradients
// 23 against 54 µs at batch 32), the Nature DQN's (C′ = 64, 128, 64) 1.5×
// faster on this one.
const wideMinDepth = 16

// wideEnabled switches the fast path for layers built afterwards (tests
// compare it with the general one).
var wideEnabled = true

// newWide sets up the fast path of c (which wideFits).
func newWide[T Float](c *ConvLayer[T]) *wideConv {
	w := &wideConv{s: [2]int{c.s[1], c.s[2]}, q: [2]int{c.k[1] / c.s[1], c.k[2] / c.s[2]}}
	w.cs = c.InC * w.s[0] * w.s[1]
	w.taps = w.q[0] * w.q[1]
	w.hs, w.ws = c.out[1]+w.q[0]-1, c.out[2]+w.q[1]-1
	w.plane = w.hs * w.ws
	w.per = w.cs * w.plane
	w.slack = w.q[1] - 1
	w.stride = w.per + w.slack
	w.pw = c.out[1] * w.ws
	for i := range w.q[0] {
		for j := range w.q[1] {
			w.offs = append(w.offs, i*w.ws+j)
			for ch := range c.InC {
				for a := range w.s[0] {
					for b := range w.s[1] {
						w.kidx = append(w.kidx, (ch*c.k[1]+i*w.s[0]+a)*c.k[2]+j*w.s[1]+b)
					}
				}
			}
		}
	}
	return w
}

// reserve makes sure that n workspaces are free, each sized for every pass
// of a layer with out output channels, so that the ranges of a For never
// allocate (however their calls overlap in time).
func (w *wideConv) reserve(n, out int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.free) < n {
		w.free = append(w.free, &wideWork{
			xs:   make([]float32, w.stride),
			yt:   make([]float32, out*w.pw),
			dyt:  make([]float32, out*w.pw),
			dytT: make([]float32, w.pw*out),
			dxs:  make([]float32, w.stride),
		})
	}
}

// work takes a free workspace (reserve made enough, unless SetThreads raised
// the thread count since).
func (w *wideConv) work(out int) *wideWork {
	w.reserve(1, out)
	w.mu.Lock()
	defer w.mu.Unlock()
	ws := w.free[len(w.free)-1]
	w.free = w.free[:len(w.free)-1]
	return ws
}

func (w *wideConv) release(ws *wideWork) {
	w.mu.Lock()
	w.free = append(w.free, ws)
	w.mu.Unlock()
}

// spaceToDepth returns sample b of xs followed by at least slack elements
// that may be read: for s = 1 x itself from sample b on (the next sample
// follows), except for the last sample, which is copied into ws with zeros
// after it; otherwise ws, written from sample b of x (B, InC, H, W).
func (w *wideConv) spaceToDepth(ws, x []float32, b, inC int, in [3]int) []float32 {
	H, W := in[1], in[2]
	if w.s == [2]int{1, 1} && (b+2)*w.per <= len(x) {
		return x[b*w.per:]
	}
	xs := ws[:w.stride]
	clear(xs[w.per:])
	if w.s == [2]int{1, 1} {
		copy(xs, x[b*w.per:(b+1)*w.per])
		return xs
	}
	for c := range inC {
		src := x[(b*inC+c)*H*W : (b*inC+c+1)*H*W]
		for a := range w.s[0] {
			for bb := range w.s[1] {
				d := (c*w.s[0]+a)*w.s[1] + bb
				vec.Segments(xs[d*w.plane:(d+1)*w.plane], src[a*W+bb:], w.hs, w.ws, w.s[0]*W, w.s[1])
			}
		}
	}
	return xs
}

// depthToSpace writes sample b of dx (B, InC, H, W) from dxs (one sample):
// the adjoint of spaceToDepth, with zeros where x met no kernel tap.
func (w *wideConv) depthToSpace(dx, dxs []float32, b, inC int, in [3]int) {
	if w.s == [2]int{1, 1} {
		copy(dx[b*w.per:(b+1)*w.per], dxs)
		return
	}
	H, W := in[1], in[2]
	sh, sw := w.s[0], w.s[1]
	for c := range inC {
		dst := dx[(b*inC+c)*H*W : (b*inC+c+1)*H*W]
		for h := range H {
			row := dst[h*W : (h+1)*W]
			U, a := h/sh, h%sh
			if U >= w.hs {
				clear(row)
				continue
			}
			for bb := range sw {
				d := (c*sh+a)*sw + bb
				src := dxs[d*w.plane+U*w.ws : d*w.plane+(U+1)*w.ws]
				for V, g := range src {
					row[V*sw+bb] = g
				}
			}
			clear(row[w.ws*sw:])
		}
	}
}

// forwardWide is Forward on the fast path.
func (c *ConvLayer[T]) forwardWide(x []float32) {
	w := c.wide
	O := c.OutC
	w.wt = grow(w.wt, w.taps*O*w.cs)
	W := any(c.W.Value.Data).([]float32)
	K := c.kernelSize()
	for t := range w.taps {
		for o := range O {
			dst := w.wt[(t*O+o)*w.cs : (t*O+o+1)*w.cs]
			src := W[o*K : (o+1)*K]
			for ci, k := range w.kidx[t*w.cs : (t+1)*w.cs] {
				dst[ci] = src[k]
			}
		}
	}
	w.x = x
	w.reserve(kernels.Threads(), O)
	c.fwdPass.x = any(x).([]T)
	kernels.For(c.bs, 1, &c.fwdPass)
	c.fwdPass.x = nil
}

// forwardWideRange runs the forward pass for the samples [lo, hi).
func (c *ConvLayer[T]) forwardWideRange(lo, hi int) {
	w := c.wide
	P, O := c.positions(), c.OutC
	bias := any(c.B.Value.Data).([]float32)
	x := any(c.fwdPass.x).([]float32)
	mm := c.prec.sgemmSerial()
	y := any(c.y.Data).([]float32)
	ws := w.work(O)
	defer w.release(ws)
	for b := lo; b < hi; b++ {
		xs := w.spaceToDepth(ws.xs, x, b, c.InC, c.in)
		for t, off := range w.offs {
			beta := float32(1)
			if t == 0 {
				beta = 0
			}
			mm(false, false, O, w.pw, w.cs, 1, w.wt[t*O*w.cs:(t+1)*O*w.cs], w.cs,
				xs[off:], w.plane, beta, ws.yt, w.pw)
		}
		for o := range O {
			dst := y[(b*O+o)*P : (b*O+o+1)*P]
			vec.Segments(dst, ws.yt[o*w.pw:], c.out[1], c.out[2], w.ws, 1)
			vec.AddScalar(dst, dst, bias[o])
		}
	}
}

// backwardWide accumulates ∂L/∂W and ∂L/∂b and, if dx is not nil, writes
// ∂L/∂x into it, on the fast path.
func (c *ConvLayer[T]) backwardWide(dy, dx []float32) {
	w := c.wide
	K, O := c.kernelSize(), c.OutC
	w.dy, w.dx = dy, dx
	if len(w.ones) != w.pw {
		w.ones = make([]float32, w.pw)
		for i := range w.ones {
			w.ones[i] = 1
		}
	}
	groups := min(wideGroups, c.bs)
	if groups == 0 {
		return
	}
	size := (K + 1) * O
	w.part = grow(w.part, groups*size)
	w.reserve(kernels.Threads(), O)
	kernels.For(groups, 1, &c.bwdPass)
	w.dy, w.dx = nil, nil
	// Sum the groups in order, then add the sum into the gradients.
	sum := w.part[:size]
	for g := 1; g < groups; g++ {
		vec.AddTo(sum, w.part[g*size:(g+1)*size])
	}
	// ∂W[o, kidx[tc]] += sum[tc, o], through sumᵀ so that both sides are
	// read and written along rows.
	w.sumT = grow(w.sumT, K*O)
	kernels.Transpose(K, O, sum, O, w.sumT, K)
	gw := any(c.W.Grad.Data).([]float32)
	for o := range O {
		g, row := gw[o*K:(o+1)*K], w.sumT[o*K:(o+1)*K]
		for tc, k := range w.kidx {
			g[k] += row[tc]
		}
	}
	vec.AddTo(any(c.B.Grad.Data).([]float32), sum[K*O:])
}

// backwardWideRange runs the backward pass for the sample groups [lo, hi).
func (c *ConvLayer[T]) backwardWideRange(lo, hi int) {
	w := c.wide
	K, P, O := c.kernelSize(), c.positions(), c.OutC
	ws := w.work(O)
	defer w.release(ws)
	groups := min(wideGroups, c.bs)
	tw := w.cs * O // elements of one tap's ∂Wtᵀ
	mm := c.prec.sgemmSerial()
	for g := lo; g < hi; g++ {
		part := w.part[g*(K+1)*O : (g+1)*(K+1)*O]
		first := g * c.bs / groups
		for b := first; b < (g+1)*c.bs/groups; b++ {
			// δ (Out, Pw) on the wide positions, zero in the padding, and δᵀ.
			for o := range O {
				src := w.dy[(b*O+o)*P : (b*O+o+1)*P]
				dst := ws.dyt[o*w.pw : (o+1)*w.pw]
				for u := range c.out[1] {
					r := dst[u*w.ws : (u+1)*w.ws]
					copy(r, src[u*c.out[2]:(u+1)*c.out[2]])
					clear(r[c.out[2]:])
				}
			}
			kernels.Transpose(O, w.pw, ws.dyt, w.pw, ws.dytT, O)
			beta := float32(1)
			if b == first {
				beta = 0
			}
			xs := w.spaceToDepth(ws.xs, w.x, b, c.InC, c.in)
			for t, off := range w.offs {
				mm(false, false, w.cs, O, w.pw, 1, xs[off:], w.plane, ws.dytT, O, beta, part[t*tw:(t+1)*tw], O)
			}
			kernels.SgemmSerial(false, false, 1, O, w.pw, 1, w.ones, w.pw, ws.dytT, O, beta, part[K*O:], O)
			if w.dx == nil {
				continue
			}
			clear(ws.dxs)
			for t, off := range w.offs {
				mm(true, false, w.cs, w.pw, O, 1, w.wt[t*tw:(t+1)*tw], w.cs, ws.dyt, w.pw, 1, ws.dxs[off:], w.plane)
			}
			w.depthToSpace(w.dx, ws.dxs[:w.per], b, c.InC, c.in)
		}
	}
}
