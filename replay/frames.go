package replay

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/deepq/deepq/internal/half"
)

// frames is a fixed array of observation frames in one Storage. Frame i
// occupies f32[i*size:(i+1)*size] (Float32 in memory) or the stride bytes of
// u8[i*stride:(i+1)*stride] (Uint8: one byte per element; Bits: element j of a
// frame is bit j%8 of byte j/8, least significant bit first, the last byte's
// unused bits zero; Float16 and BF16: element j is the little-endian 16-bit
// encoding at bytes 2j, 2j+1, of IEEE binary16 or of bfloat16). With disk storage both are nil and frame i is the stride
// bytes disk.frame(i) returns, Float32 elements as little-endian IEEE 754.
type frames struct {
	kind   Storage
	size   int // elements per frame
	stride int // bytes per frame in u8 or on disk
	f32    []float32
	u8     []byte
	disk   *diskStore
}

func newFrames(kind Storage, size, n int) *frames {
	f := &frames{kind: kind, size: size, stride: int(kind.frameBytes(size))}
	switch kind {
	case Float32:
		f.f32 = make([]float32, n*size)
	default:
		f.u8 = make([]byte, n*f.stride)
	}
	return f
}

// bitsTable[b] holds the 8 elements that byte b of a Bits frame unpacks to.
var bitsTable = func() (t [256][8]float32) {
	for b := range 256 {
		for j := range 8 {
			t[b][j] = float32(b >> j & 1)
		}
	}
	return t
}()

// bytes returns the stored bytes of frame i (not for Float32 in memory);
// write says they are about to change.
func (f *frames) bytes(i int, write bool) []byte {
	if f.disk != nil {
		return f.disk.frame(i, write)
	}
	return f.u8[i*f.stride : (i+1)*f.stride]
}

// put stores src (size elements) as frame i. It panics, naming the element,
// if the storage cannot hold a value exactly.
func (f *frames) put(i int, src []float32) {
	if f.kind == Float32 && f.disk == nil {
		copy(f.f32[i*f.size:(i+1)*f.size], src)
		return
	}
	dst := f.bytes(i, true)
	switch f.kind {
	case Float32:
		for j, v := range src {
			binary.LittleEndian.PutUint32(dst[4*j:], math.Float32bits(v))
		}
	case Uint8:
		for j, v := range src {
			// Through int32, any value but an integer in 0…255 comes back
			// different (NaN and out-of-range ones included).
			u := uint8(int32(v))
			if float32(u) != v {
				panic(fmt.Sprintf("replay: observation element %d is %v, which uint8 storage cannot hold (integers 0…255 only)", j, v))
			}
			dst[j] = u
		}
	case Bits:
		for k := range dst {
			var b byte
			chunk := src[k*8 : min(k*8+8, len(src))]
			for j, v := range chunk {
				u := uint8(int32(v))
				if u > 1 || float32(u) != v {
					panic(fmt.Sprintf("replay: observation element %d is %v, which bits storage cannot hold (0 or 1 only)", k*8+j, v))
				}
				b |= u << j
			}
			dst[k] = b
		}
	case Float16, BF16:
		enc, fits := f.kind.encoder()
		for j, v := range src {
			if !fits(v) {
				panic(fmt.Sprintf("replay: observation element %d is %v, which %v storage cannot hold (it would round to infinity)", j, v, f.kind))
			}
			binary.LittleEndian.PutUint16(dst[2*j:], enc(v))
		}
	}
}

// encoder returns the encoding of a 16-bit float storage and the test of
// whether a value stays finite in it.
func (s Storage) encoder() (enc func(float32) uint16, fits func(float32) bool) {
	if s == Float16 {
		return half.F16Bits, half.F16Fits
	}
	return half.BF16Bits, half.BF16Fits
}

// decoder returns the decoding of a 16-bit float storage.
func (s Storage) decoder() func(uint16) float32 {
	if s == Float16 {
		return half.F16
	}
	return half.BF16
}

// get writes frame i into dst (size elements) as float32.
func (f *frames) get(i int, dst []float32) {
	if f.kind == Float32 && f.disk == nil {
		copy(dst, f.f32[i*f.size:(i+1)*f.size])
		return
	}
	src := f.bytes(i, false)
	switch f.kind {
	case Float32:
		for j := range dst[:f.size] {
			dst[j] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*j:]))
		}
	case Uint8:
		dst = dst[:len(src)]
		for j, u := range src {
			dst[j] = float32(u)
		}
	case Bits:
		full := f.size / 8
		for k, b := range src[:full] {
			copy(dst[k*8:k*8+8], bitsTable[b][:])
		}
		if r := f.size - full*8; r > 0 {
			copy(dst[full*8:f.size], bitsTable[src[full]][:r])
		}
	case Float16, BF16:
		dec := f.kind.decoder()
		for j := range dst[:f.size] {
			dst[j] = dec(binary.LittleEndian.Uint16(src[2*j:]))
		}
	}
}

// equal reports whether frame i holds exactly src (bit for bit, for Float32),
// or for Float16 and BF16 src's rounding.
func (f *frames) equal(i int, src []float32) bool {
	if f.kind == Float32 && f.disk == nil {
		return sameFrames(f.f32[i*f.size:(i+1)*f.size], src)
	}
	stored := f.bytes(i, false)
	switch f.kind {
	case Float32:
		for j, v := range src {
			if binary.LittleEndian.Uint32(stored[4*j:]) != math.Float32bits(v) {
				return false
			}
		}
	case Uint8:
		for j, u := range stored {
			if float32(u) != src[j] {
				return false
			}
		}
	case Bits:
		for k, b := range stored {
			want := &bitsTable[b]
			for j, v := range src[k*8 : min(k*8+8, len(src))] {
				if want[j] != v {
					return false
				}
			}
		}
	case Float16, BF16:
		enc, _ := f.kind.encoder()
		for j, v := range src {
			if binary.LittleEndian.Uint16(stored[2*j:]) != enc(v) {
				return false
			}
		}
	}
	return true
}

// frameBytes returns the storage of one frame.
func (f *frames) frameBytes() int64 { return f.kind.frameBytes(f.size) }

// sameFrames reports whether the float32 frames a and b are equal bit for bit.
func sameFrames(a, b []float32) bool {
	for i, v := range a {
		if math.Float32bits(v) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
