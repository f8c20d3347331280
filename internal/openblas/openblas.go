//go:build openblas && cgo

// Package openblas links Debian's libopenblas (package libopenblas-dev) into
// builds with the openblas tag, for gonum/netlib's cgo BLAS, and exposes the
// two OpenBLAS controls deepq uses.
//
// OpenBLAS picks its kernels from the CPU it detects when the process starts;
// on AMD Zen 4/5 CPUs with AVX-512 the Debian build may not recognise the CPU
// and fall back to slow generic kernels. Set OPENBLAS_CORETYPE=SkylakeX in
// the environment before starting the process to get its AVX-512 kernels.
package openblas

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int);
char* openblas_get_corename(void);
*/
import "C"

// SetThreads sets the number of threads OpenBLAS uses.
func SetThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

// CoreName returns the kernel family OpenBLAS chose, e.g. "SkylakeX".
func CoreName() string { return C.GoString(C.openblas_get_corename()) }
