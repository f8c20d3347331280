package bf16

// SetParallelMin sets the number of multiply-adds from which Gemm splits
// its work between threads and returns the previous value, so that tests
// can force the split on small shapes.
func SetParallelMin(n float64) float64 {
	prev := parallelMin
	parallelMin = n
	return prev
}

// HasAsm reports whether this build has the bf16 assembly (amd64 without
// the noasm tag).
const HasAsm = hasAsm
