// Package bf16 is deepq's mixed-precision matrix multiply: C = α·op(A)·op(B)
// + β·C on row-major float32 matrices, with A and B rounded to bfloat16 and
// the sums kept in float32 (Gemm). It is what a model in bf16 precision
// (package net) runs its dense and convolution matmuls through; weights,
// gradients and everything else stay float32.
//
// # Kernels
//
// Kernels (Kernels, Kernel, Use) are chosen at run time, fastest first:
//
//   - "amx": Intel AMX tiles. op(A) is packed as bf16 rows and B in VNNI form
//     (pairs of rows interleaved, as TDPBF16PS wants), both padded to whole
//     16×32 tiles; blocks of up to 32×32 of C accumulate in four tiles over
//     k, go to a float32 scratch and from there into C as α·S + β·C. Linux
//     grants the tile state only after arch_prctl(ARCH_REQ_XCOMP_PERM,
//     XFEATURE_XTILEDATA), asked once per process; if the CPU has no AMX or
//     Linux refuses, the kernel is left out and Kernel and AMX say why. Each
//     assembly call loads the tile configuration and ends with TILERELEASE.
//   - "avx512bf16": AVX512-BF16's VDPBF16PS on the same packing (op(A) as
//     bf16 pairs, B as VNNI rows padded to 16 columns), tiles of up to 6×64
//     of C in 24 zmm accumulators, blocked by 256 values of k and 512
//     columns as the float32 driver of package gemm.
//   - "float32": A and B rounded to bf16 in Go (Round) and multiplied by
//     gemm.Sgemm; the same products (a product of two bf16 values is exact in
//     float32), summed by the float32 kernel. It runs everywhere.
//
// The packing (VCVTNE2PS2BF16: round to nearest even, subnormals to zero,
// NaNs kept) matches Round bit for bit. Go's assembler has neither the BF16
// nor the AMX instructions: ./asmgen (avo) emits them as bytes, encoded
// from the Intel SDM and checked against LLVM's assembler; CI checks that
// the committed assembly matches the generator.
//
// # Error
//
// With Ã, B̃ the rounded inputs, every element of C is within float32
// accumulation error of the float64 Σ Ã·B̃, (k+4)·2⁻²⁴·Σ|Ã·B̃|, and within
// (2⁻⁷ + 2⁻¹⁶ + (k+4)·2⁻²⁴·(1+2⁻⁷))·Σ|A·B| of the exact product of the
// unrounded inputs (each input rounds by at most 2⁻⁸ of itself). Relative
// to |C| the error grows with the cancellation in the sum: about √k·2⁻⁸ for
// sums of random signs.
//
// # Threads and determinism
//
// Large multiplies are split between gemm.Threads goroutines (gemm.For) by
// blocks of C, never along k, so the result is bit-for-bit the same for any
// thread count. The operands are packed by the calling goroutine first.
// Gemm allocates nothing in steady state (workspaces are pooled) and is
// safe for concurrent use.
package bf16
