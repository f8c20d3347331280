package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Go's assembler (and avo) has neither the AVX512-BF16 nor the AMX
// instructions, so this file encodes them (Intel SDM vol. 2, the EVEX and
// VEX prefixes of §2.3 and §2.7) and the generator emits the bytes, each
// sequence after a comment with the instruction in Intel operand order.
// encode_test.go checks every form against LLVM's assembler (llvm-mc).
//
// Only register forms are encoded for the EVEX instructions (memory operands
// are loaded by ordinary instructions first), and only [base+index·1]
// addressing for the tile loads and stores, so no displacement or disp8·N
// compression is involved.

// num is the hardware number of a physical register (0–31 for zmm, 0–15
// for general-purpose registers).
func num(r reg.Register) int {
	p, ok := r.(reg.Physical)
	if !ok {
		panic(fmt.Sprintf("asmgen: %v is not a physical register", r))
	}
	return int(p.PhysicalIndex())
}

// evex512 encodes a 512-bit EVEX instruction of map 0F38, W0, no masking,
// with register operands: dst in ModRM.reg, src1 in EVEX.vvvv, src2 in
// ModRM.rm (Intel order: op dst, src1, src2).
func evex512(pp, opcode byte, dst, src1, src2 int) []byte {
	p0 := byte(0x02) // mm = 0F38
	if dst&8 == 0 {
		p0 |= 0x80 // R̄
	}
	if src2&16 == 0 {
		p0 |= 0x40 // X̄: bit 4 of a register rm
	}
	if src2&8 == 0 {
		p0 |= 0x20 // B̄
	}
	if dst&16 == 0 {
		p0 |= 0x10 // R̄′
	}
	p1 := (^byte(src1)&15)<<3 | 0x04 | pp // W0, v̄vvv, 1, pp
	p2 := byte(0x40)                      // z0, L′L = 10 (512 bits), b0, aaa = 0
	if src1&16 == 0 {
		p2 |= 0x08 // V̄′
	}
	modrm := 0xC0 | byte(dst&7)<<3 | byte(src2&7)
	return []byte{0x62, p0, p1, p2, opcode, modrm}
}

// encVDPBF16PS: VDPBF16PS dst, src1, src2 (EVEX.512.F3.0F38.W0 52 /r):
// dst.fp32[i] += src1.bf16[2i+1]·src2.bf16[2i+1] + src1.bf16[2i]·src2.bf16[2i].
func encVDPBF16PS(dst, src1, src2 int) []byte { return evex512(0x2, 0x52, dst, src1, src2) }

// encVCVTNE2PS2BF16: VCVTNE2PS2BF16 dst, src1, src2 (EVEX.512.F2.0F38.W0
// 72 /r): the 16 float32 of src2 rounded to bf16 in the low half of dst,
// those of src1 in the high half.
func encVCVTNE2PS2BF16(dst, src1, src2 int) []byte { return evex512(0x3, 0x72, dst, src1, src2) }

// vex3 encodes a three-byte VEX prefix of map 0F38, W0, L0.
func vex3(rExt, xExt, bExt bool, vvvv int, pp byte) []byte {
	b1 := byte(0x02)
	if !rExt {
		b1 |= 0x80
	}
	if !xExt {
		b1 |= 0x40
	}
	if !bExt {
		b1 |= 0x20
	}
	return []byte{0xC4, b1, (^byte(vvvv)&15)<<3 | pp}
}

// encLDTILECFG: LDTILECFG [base] (VEX.128.NP.0F38.W0 49 !(11):000:bbb).
func encLDTILECFG(base int) []byte { return tilecfg(0x0, base) }

// encSTTILECFG: STTILECFG [base] (VEX.128.66.0F38.W0 49 !(11):000:bbb).
func encSTTILECFG(base int) []byte { return tilecfg(0x1, base) }

func tilecfg(pp byte, base int) []byte {
	if base&7 == 4 || base&7 == 5 {
		panic("asmgen: tile config base must not need a SIB byte or displacement (SP, BP, R12, R13)")
	}
	return append(vex3(false, false, base&8 != 0, 0, pp), 0x49, byte(base&7))
}

// encTILERELEASE: TILERELEASE (VEX.128.NP.0F38.W0 49 C0).
func encTILERELEASE() []byte { return []byte{0xC4, 0xE2, 0x78, 0x49, 0xC0} }

// encTILEZERO: TILEZERO tmm (VEX.128.F2.0F38.W0 49 11:rrr:000).
func encTILEZERO(t int) []byte {
	return append(vex3(false, false, false, 0, 0x3), 0x49, 0xC0|byte(t&7)<<3)
}

// encTILELOADD: TILELOADD tmm, [base + index·1] (VEX.128.F2.0F38.W0 4B
// !(11):rrr:100), the stride in index.
func encTILELOADD(t, base, index int) []byte { return tileMem(0x3, t, base, index) }

// encTILESTORED: TILESTORED [base + index·1], tmm (VEX.128.F3.0F38.W0 4B
// !(11):rrr:100).
func encTILESTORED(base, index, t int) []byte { return tileMem(0x2, t, base, index) }

func tileMem(pp byte, t, base, index int) []byte {
	if base&7 == 5 {
		panic("asmgen: tile base must not be BP or R13 (they need a displacement)")
	}
	if index == 4 {
		panic("asmgen: SP cannot be an index")
	}
	b := vex3(false, index&8 != 0, base&8 != 0, 0, pp)
	return append(b, 0x4B, byte(t&7)<<3|0x04, byte(index&7)<<3|byte(base&7))
}

// encTDPBF16PS: TDPBF16PS dst, a, b (VEX.128.F3.0F38.W0 5C 11:rrr:bbb, b
// in vvvv): dst (16×16 float32) += a (16 rows × 16 bf16 pairs) · b (16
// pairs of rows × 16 columns, VNNI).
func encTDPBF16PS(dst, a, b int) []byte {
	return append(vex3(false, false, false, b, 0x2), 0x5C, 0xC0|byte(dst&7)<<3|byte(a&7))
}

// emit writes the bytes of one encoded instruction after a comment with
// its Intel-syntax text.
func emit(text string, code []byte) {
	Comment(text)
	for _, c := range code {
		Instruction(&ir.Instruction{Opcode: "BYTE", Operands: []Op{U8(c)}})
	}
}

// Helpers that emit on registers given as avo physical registers.

func VDPBF16PS(dst, src1, src2 reg.Register) {
	emit(intel("VDPBF16PS", dst, src1, src2), encVDPBF16PS(num(dst), num(src1), num(src2)))
}

func VCVTNE2PS2BF16(dst, src1, src2 reg.Register) {
	emit(intel("VCVTNE2PS2BF16", dst, src1, src2), encVCVTNE2PS2BF16(num(dst), num(src1), num(src2)))
}

func LDTILECFG(base reg.Register) {
	emit(fmt.Sprintf("LDTILECFG [%s]", base.Asm()), encLDTILECFG(num(base)))
}

func TILERELEASE() { emit("TILERELEASE", encTILERELEASE()) }

func TILEZERO(t int) { emit(fmt.Sprintf("TILEZERO TMM%d", t), encTILEZERO(t)) }

func TILELOADD(t int, base, index reg.Register) {
	emit(fmt.Sprintf("TILELOADD TMM%d, [%s+%s]", t, base.Asm(), index.Asm()), encTILELOADD(t, num(base), num(index)))
}

func TILESTORED(base, index reg.Register, t int) {
	emit(fmt.Sprintf("TILESTORED [%s+%s], TMM%d", base.Asm(), index.Asm(), t), encTILESTORED(num(base), num(index), t))
}

func TDPBF16PS(dst, a, b int) {
	emit(fmt.Sprintf("TDPBF16PS TMM%d, TMM%d, TMM%d", dst, a, b), encTDPBF16PS(dst, a, b))
}

func intel(op string, rs ...reg.Register) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Asm()
	}
	return op + " " + strings.Join(names, ", ")
}
