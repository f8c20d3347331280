package vec

//go:generate go run ./asmgen -out vec_amd64.s -stubs stubs_amd64.go -pkg vec
