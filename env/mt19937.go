package env

// mt19937 is Matsumoto and Nishimura's Mersenne Twister (MT19937, 1998) together
// with the methods of NumPy's legacy numpy.random.RandomState that MinAtar
// calls, reproduced bit for bit so that a MinAtar game seeded with s draws the
// same numbers as MinAtar's RandomState(s):
//
//   - seed(s): RandomState(s) for 0 ≤ s < 2³², Matsumoto and Nishimura's
//     init_genrand: key[0] = s, key[i] = 1812433253·(key[i-1] ⊕ key[i-1]>>30) + i.
//   - seedArray(k): RandomState(k) for an array k of 32-bit words, init_by_array.
//   - uint32: the next tempered 32-bit output.
//   - float64: random_sample / rand(), 53 bits from two outputs a and b as
//     ((a>>5)·2²⁶ + (b>>6)) / 2⁵³, in [0, 1).
//   - randint(low, high): an integer in [low, high) by masked rejection
//     sampling: with rng = high-1-low and mask the smallest 2ᵏ-1 ≥ rng, draw
//     v = output & mask until v ≤ rng and return low + v. Ranges below 2³² use
//     one 32-bit output per try; a range of one value (rng = 0) draws nothing.
//
// The zero value is not seeded; call seed or seedArray first.
type mt19937 struct {
	mt [mtN]uint32
	i  int // index of the next word of mt to temper; mtN forces a twist
}

const (
	mtN         = 624
	mtM         = 397
	mtMatrixA   = 0x9908b0df
	mtUpperMask = 0x80000000
	mtLowerMask = 0x7fffffff
)

// seed initialises the state from a 32-bit seed (init_genrand).
func (r *mt19937) seed(s uint32) {
	r.mt[0] = s
	for i := 1; i < mtN; i++ {
		prev := r.mt[i-1]
		r.mt[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	r.i = mtN
}

// seedArray initialises the state from an array of 32-bit words
// (init_by_array), as RandomState does for an array seed. It panics on an
// empty key.
func (r *mt19937) seedArray(key []uint32) {
	if len(key) == 0 {
		panic("env: mt19937.seedArray needs at least one word")
	}
	r.seed(19650218)
	i, j := 1, 0
	k := max(mtN, len(key))
	for ; k > 0; k-- {
		prev := r.mt[i-1]
		r.mt[i] = (r.mt[i] ^ ((prev ^ (prev >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= mtN {
			r.mt[0] = r.mt[mtN-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k = mtN - 1; k > 0; k-- {
		prev := r.mt[i-1]
		r.mt[i] = (r.mt[i] ^ ((prev ^ (prev >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= mtN {
			r.mt[0] = r.mt[mtN-1]
			i = 1
		}
	}
	r.mt[0] = 0x80000000 // the most significant bit is 1: a non-zero initial state
	r.i = mtN
}

// twist regenerates all mtN words of the state.
func (r *mt19937) twist() {
	mag := func(y uint32) uint32 { return (y >> 1) ^ (-(y & 1) & mtMatrixA) }
	k := 0
	for ; k < mtN-mtM; k++ {
		y := r.mt[k]&mtUpperMask | r.mt[k+1]&mtLowerMask
		r.mt[k] = r.mt[k+mtM] ^ mag(y)
	}
	for ; k < mtN-1; k++ {
		y := r.mt[k]&mtUpperMask | r.mt[k+1]&mtLowerMask
		r.mt[k] = r.mt[k+mtM-mtN] ^ mag(y)
	}
	y := r.mt[mtN-1]&mtUpperMask | r.mt[0]&mtLowerMask
	r.mt[mtN-1] = r.mt[mtM-1] ^ mag(y)
	r.i = 0
}

// uint32 returns the next 32-bit output (genrand_int32).
func (r *mt19937) uint32() uint32 {
	if r.i >= mtN {
		r.twist()
	}
	y := r.mt[r.i]
	r.i++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// uint64 returns two outputs as one 64-bit number, the first in the high half
// (NumPy's mt19937_next64).
func (r *mt19937) uint64() uint64 {
	hi := uint64(r.uint32())
	return hi<<32 | uint64(r.uint32())
}

// float64 returns a uniform number in [0, 1) with 53 random bits
// (RandomState.random_sample, RandomState.rand; genrand_res53).
func (r *mt19937) float64() float64 {
	a := r.uint32() >> 5
	b := r.uint32() >> 6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}

// randint returns an integer in [low, high) as RandomState.randint(low, high)
// does for NumPy's default int64 dtype. It panics if high ≤ low.
func (r *mt19937) randint(low, high int64) int64 {
	if high <= low {
		panic("env: mt19937.randint needs low < high")
	}
	rng := uint64(high-1) - uint64(low)
	switch {
	case rng == 0:
		return low // NumPy returns low without drawing
	case rng == 0xffffffff:
		return low + int64(r.uint32())
	case rng < 0xffffffff:
		mask := uint32(maskFor(rng))
		for {
			if v := r.uint32() & mask; uint64(v) <= rng {
				return low + int64(v)
			}
		}
	case rng == ^uint64(0):
		return low + int64(r.uint64())
	default:
		mask := maskFor(rng)
		for {
			if v := r.uint64() & mask; v <= rng {
				return low + int64(v)
			}
		}
	}
}

// maskFor returns the smallest 2ᵏ-1 that is ≥ rng (NumPy's gen_mask).
func maskFor(rng uint64) uint64 {
	m := rng
	m |= m >> 1
	m |= m >> 2
	m |= m >> 4
	m |= m >> 8
	m |= m >> 16
	m |= m >> 32
	return m
}
