package main

import (
	"bytes"
	"testing"
)

// TestEncodings checks the encoder against LLVM's assembler: each want is
// what `llvm-mc -show-encoding -mattr=+amx-tile,+amx-bf16,+avx512bf16`
// (LLVM 14, Debian 12) prints for the AT&T text in the comment, register
// numbers chosen to set every extension bit (R, X, B, R′, V′) both ways.
func TestEncodings(t *testing.T) {
	const (
		rax, rcx, rdx, rbx, rsi, rdi = 0, 1, 2, 3, 6, 7
		r8, r9, r10, r11, r12, r13   = 8, 9, 10, 11, 12, 13
	)
	for _, tc := range []struct {
		att  string
		got  []byte
		want []byte
	}{
		{"vdpbf16ps %zmm28, %zmm24, %zmm0", encVDPBF16PS(0, 24, 28), []byte{0x62, 0x92, 0x3e, 0x40, 0x52, 0xc4}},
		{"vdpbf16ps %zmm31, %zmm27, %zmm23", encVDPBF16PS(23, 27, 31), []byte{0x62, 0x82, 0x26, 0x40, 0x52, 0xff}},
		{"vdpbf16ps %zmm1, %zmm2, %zmm3", encVDPBF16PS(3, 2, 1), []byte{0x62, 0xf2, 0x6e, 0x48, 0x52, 0xd9}},
		{"vdpbf16ps %zmm9, %zmm17, %zmm13", encVDPBF16PS(13, 17, 9), []byte{0x62, 0x52, 0x76, 0x40, 0x52, 0xe9}},
		{"vdpbf16ps %zmm12, %zmm5, %zmm20", encVDPBF16PS(20, 5, 12), []byte{0x62, 0xc2, 0x56, 0x48, 0x52, 0xe4}},
		{"vcvtne2ps2bf16 %zmm1, %zmm0, %zmm2", encVCVTNE2PS2BF16(2, 0, 1), []byte{0x62, 0xf2, 0x7f, 0x48, 0x72, 0xd1}},
		{"vcvtne2ps2bf16 %zmm17, %zmm9, %zmm30", encVCVTNE2PS2BF16(30, 9, 17), []byte{0x62, 0x22, 0x37, 0x48, 0x72, 0xf1}},
		{"ldtilecfg (%rax)", encLDTILECFG(rax), []byte{0xc4, 0xe2, 0x78, 0x49, 0x00}},
		{"ldtilecfg (%rdi)", encLDTILECFG(rdi), []byte{0xc4, 0xe2, 0x78, 0x49, 0x07}},
		{"ldtilecfg (%r9)", encLDTILECFG(r9), []byte{0xc4, 0xc2, 0x78, 0x49, 0x01}},
		{"sttilecfg (%rax)", encSTTILECFG(rax), []byte{0xc4, 0xe2, 0x79, 0x49, 0x00}},
		{"tilerelease", encTILERELEASE(), []byte{0xc4, 0xe2, 0x78, 0x49, 0xc0}},
		{"tilezero %tmm0", encTILEZERO(0), []byte{0xc4, 0xe2, 0x7b, 0x49, 0xc0}},
		{"tilezero %tmm3", encTILEZERO(3), []byte{0xc4, 0xe2, 0x7b, 0x49, 0xd8}},
		{"tileloadd (%rax,%rbx), %tmm4", encTILELOADD(4, rax, rbx), []byte{0xc4, 0xe2, 0x7b, 0x4b, 0x24, 0x18}},
		{"tileloadd (%rsi,%rdx), %tmm6", encTILELOADD(6, rsi, rdx), []byte{0xc4, 0xe2, 0x7b, 0x4b, 0x34, 0x16}},
		{"tileloadd (%r8,%r9), %tmm5", encTILELOADD(5, r8, r9), []byte{0xc4, 0x82, 0x7b, 0x4b, 0x2c, 0x08}},
		{"tileloadd (%r12,%rcx), %tmm7", encTILELOADD(7, r12, rcx), []byte{0xc4, 0xc2, 0x7b, 0x4b, 0x3c, 0x0c}},
		{"tilestored %tmm0, (%rax,%rbx)", encTILESTORED(rax, rbx, 0), []byte{0xc4, 0xe2, 0x7a, 0x4b, 0x04, 0x18}},
		{"tilestored %tmm3, (%r10,%r11)", encTILESTORED(r10, r11, 3), []byte{0xc4, 0x82, 0x7a, 0x4b, 0x1c, 0x1a}},
		{"tilestored %tmm2, (%rdi,%r13)", encTILESTORED(rdi, r13, 2), []byte{0xc4, 0xa2, 0x7a, 0x4b, 0x14, 0x2f}},
		{"tdpbf16ps %tmm6, %tmm4, %tmm0", encTDPBF16PS(0, 4, 6), []byte{0xc4, 0xe2, 0x4a, 0x5c, 0xc4}},
		{"tdpbf16ps %tmm7, %tmm5, %tmm3", encTDPBF16PS(3, 5, 7), []byte{0xc4, 0xe2, 0x42, 0x5c, 0xdd}},
		{"tdpbf16ps %tmm5, %tmm4, %tmm1", encTDPBF16PS(1, 4, 5), []byte{0xc4, 0xe2, 0x52, 0x5c, 0xcc}},
	} {
		if !bytes.Equal(tc.got, tc.want) {
			t.Errorf("%s: encoded % x, llvm-mc gives % x", tc.att, tc.got, tc.want)
		}
	}
}
