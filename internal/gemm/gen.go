package gemm

//go:generate go run ./asmgen -out gemm_amd64.s -stubs stubs_amd64.go -pkg gemm
