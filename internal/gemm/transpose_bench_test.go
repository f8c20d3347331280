package gemm

import (
	"fmt"
	"testing"
)

func BenchmarkTranspose(b *testing.B) {
	for _, kn := range kernels {
		for _, d := range [][2]int{{256, 256}, {512, 256}, {84, 120}} {
			b.Run(fmt.Sprintf("%s/%dx%d", kn.name, d[0], d[1]), func(b *testing.B) {
				src := make([]float32, d[0]*d[1])
				dst := make([]float32, d[0]*d[1])
				for b.Loop() {
					kn.transpose(d[0], d[1], ptr(src), d[1], ptr(dst), d[0])
				}
				b.ReportMetric(float64(d[0]*d[1])*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
			})
		}
	}
}
