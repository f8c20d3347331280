package bf16

//go:generate go run ./asmgen -out bf16_amd64.s -stubs stubs_amd64.go -pkg bf16
