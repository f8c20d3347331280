package net

import (
	"fmt"

	"github.com/deepq/deepq/internal/bf16"
	kernels "github.com/deepq/deepq/internal/gemm"
)

// Precision is the arithmetic of a model's matrix multiplies: those of its
// dense layers, convolutions and dueling heads (forward, ∂L/∂x and ∂L/∂W).
// Everything else keeps the model's type: weights and their gradients,
// biases and their sums, optimizer state, losses, activations, softmax and
// normalisation statistics.
type Precision uint8

const (
	// Float32 multiplies in the model's own type (float32 or float64): the
	// default.
	Float32 Precision = iota
	// BF16 is mixed precision for float32 models: both operands of every
	// matrix multiply are rounded to bfloat16 (8 significant bits) and the
	// products summed in float32 (internal/bf16: Intel AMX tiles,
	// AVX512-BF16, or float32 arithmetic on the rounded operands where the
	// CPU has neither; BF16Kernel says which). An element of a multiply is
	// within (2⁻⁷ + k·2⁻²⁴)·Σ|a·b| of its exact value (k the length of the
	// sum), where float32 is within k·2⁻²⁴·Σ|a·b|.
	//
	// Multiplies with fewer than 4 rows of output, as a dense layer's
	// forward pass when acting on one observation, stay float32: rounding
	// the layer's weights to bf16 would cost more than such a product.
	BF16
)

var precisionNames = [...]string{Float32: "float32", BF16: "bf16"}

// String returns "float32" or "bf16".
func (p Precision) String() string {
	if int(p) < len(precisionNames) {
		return precisionNames[p]
	}
	return fmt.Sprintf("Precision(%d)", p)
}

// MarshalText returns the name of p.
func (p Precision) MarshalText() ([]byte, error) {
	if int(p) >= len(precisionNames) {
		return nil, fmt.Errorf("net: unknown precision %d", p)
	}
	return []byte(p.String()), nil
}

// UnmarshalText sets p from its name, "float32" or "bf16".
func (p *Precision) UnmarshalText(text []byte) error {
	q, err := ParsePrecision(string(text))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// ParsePrecision returns the precision called name: "float32" or "bf16".
func ParsePrecision(name string) (Precision, error) {
	for i, n := range precisionNames {
		if n == name {
			return Precision(i), nil
		}
	}
	return 0, fmt.Errorf("net: unknown precision %q (want float32 or bf16)", name)
}

// BF16Kernel names the kernel BF16 multiplies run on in this process,
// "amx", "avx512bf16" or "float32", and why it is that one (e.g. why AMX is
// not available).
func BF16Kernel() (name, why string) { return bf16.Kernel() }

// precisioned is a layer whose matrix multiplies follow a Precision.
type precisioned interface{ setPrecision(p Precision) }

// SetPrecision sets the precision of every matrix multiply of the model
// (Float32 by default). BF16 needs a float32 model. The setting is not part
// of the model's specs or checkpoints: it belongs to the run, as the thread
// count; Clone keeps it.
func (m *Sequential[T]) SetPrecision(p Precision) error {
	if int(p) >= len(precisionNames) {
		return fmt.Errorf("net: unknown precision %d", p)
	}
	var zero T
	if _, ok := any(zero).(float32); !ok && p != Float32 {
		return fmt.Errorf("net: %v precision needs a float32 model, this one is %T", p, zero)
	}
	m.prec = p
	for _, l := range m.Layers {
		if pl, ok := l.(precisioned); ok {
			pl.setPrecision(p)
		}
	}
	return nil
}

// Precision returns the model's precision (SetPrecision).
func (m *Sequential[T]) Precision() Precision { return m.prec }

// bf16MinRows is the least number of rows of C for which a BF16 multiply
// runs in bf16: below it (acting) the packing of B costs more than the
// product.
const bf16MinRows = 4

// gemmIn is gemm in precision p: BF16 multiplies float32 operands through
// bf16.Gemm (from bf16MinRows rows of C); anything else goes to gemm.
func gemmIn[T Float](p Precision, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if a32, ok := any(a).([]float32); ok && p == BF16 && m >= bf16MinRows {
		if m == 0 || n == 0 {
			return
		}
		bf16.Gemm(transA, transB, m, n, k, float32(alpha), a32, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
		return
	}
	gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmSerialIn is gemmSerial in precision p.
func gemmSerialIn[T Float](p Precision, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if a32, ok := any(a).([]float32); ok && p == BF16 && m >= bf16MinRows {
		if m == 0 || n == 0 {
			return
		}
		bf16.GemmSerial(transA, transB, m, n, k, float32(alpha), a32, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
		return
	}
	gemmSerial(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmSerial returns the float32 multiply on the calling goroutine of
// precision p: gemm.SgemmSerial, or bf16.GemmSerial for BF16.
func (p Precision) sgemmSerial() func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if p == BF16 {
		return bf16.GemmSerial
	}
	return kernels.SgemmSerial
}
