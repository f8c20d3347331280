// Package onnxpb holds the Go types of the ONNX messages deepq writes,
// generated from onnx.proto (a subset of ONNX's onnx.proto with the same
// field numbers). Regenerating needs protoc (Debian's protobuf-compiler) and
// protoc-gen-go v1.36.12 on PATH:
//
//	go build -o "$(go env GOPATH)/bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
//	go generate ./net/onnx/internal/onnxpb
//
// CI regenerates it and fails if the committed file differs.
package onnxpb

//go:generate protoc --proto_path=../../../.. --go_out=../../../.. --go_opt=paths=source_relative net/onnx/internal/onnxpb/onnx.proto
