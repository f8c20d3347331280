package onnx_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/net/onnx"
)

// Export a MinAtar dueling Q-network (observations 4×10×10, 6 actions).
func Example() {
	m, err := net.Build[float32]([]int{4, 10, 10}, append(net.MinAtarTrunk(), net.Dueling(6, 128)), rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "onnx-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "breakout.onnx")
	err = onnx.WriteFile(path, m, onnx.Options{Metadata: []onnx.Property{{Key: "deepq.env", Value: "MinAtar/Breakout"}}})
	if err != nil {
		panic(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		panic(err)
	}
	fmt.Printf("opset %d: %s (%s, %v) -> %s (%s, %v)\n", onnx.Opset, onnx.Input, onnx.BatchDim, m.InShape, onnx.Output, onnx.BatchDim, m.OutShape())
	fmt.Printf("%d parameters, %d bytes\n", m.NumParams(), st.Size())
	// Output:
	// opset 13: obs (batch, [4 10 10]) -> q (batch, [6])
	// 263895 parameters, 1056775 bytes
}
