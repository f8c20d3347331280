//go:build !amd64 || noasm

package vec

const hasAsm = false

var useAsm = false

func reluAVX512(y, x *float32, n int)          { panic("vec: no assembly") }
func reluGradAVX512(dx, dy, y *float32, n int) { panic("vec: no assembly") }
func adamAVX512(w, g, m, v *float32, n int, b1, c1, b2, c2, step, bc2, eps float32) {
	panic("vec: no assembly")
}
func rmspropAVX512(w, g, s *float32, n int, a, c, lr, eps float32) { panic("vec: no assembly") }
func rmspropCenteredAVX512(w, g, s, gavg *float32, n int, a, c, lr, eps float32) {
	panic("vec: no assembly")
}
func deepmindRMSPropAVX512(w, g, gavg, s *float32, n int, a, c, lr, eps float32) {
	panic("vec: no assembly")
}

func segmentsAVX512(dst, src *float32, nseg, w, sstride, step, avail int, idx *int32) {
	panic("vec: no assembly")
}

func addScalarAVX512(dst, src *float32, n int, s float32) { panic("vec: no assembly") }
func addToAVX512(dst, src *float32, n int)                { panic("vec: no assembly") }

func sumSquaresAVX512(x *float32, n int) float64 { panic("vec: no assembly") }

func sigmoidAVX512(dst, src *float32, n int) { panic("vec: no assembly") }
func tanhAVX512(dst, src *float32, n int)    { panic("vec: no assembly") }
