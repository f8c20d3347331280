#!/usr/bin/env bash
# Regenerates the dm_env_rpc stubs from proto/ (go generate ./internal/dmenvrpc):
#   internal/dmenvrpc/dm_env_rpc.pb.go, dm_env_rpc_grpc.pb.go   (Go)
#   scripts/dm_env_rpc_pb/{dm_env_rpc/v1,google/rpc}/*_pb2.py    (Python)
# with Debian's protoc (protobuf-compiler, and libprotobuf-dev for any.proto)
# and the plugins at the versions go.mod's tool lines pin
# (google.golang.org/protobuf/cmd/protoc-gen-go, google.golang.org/grpc/cmd/protoc-gen-go-grpc).
# OUT=dir writes into dir instead of the repository, for CI's diff.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${OUT:-$root}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
(cd "$root" && go build -o "$bin/" google.golang.org/protobuf/cmd/protoc-gen-go google.golang.org/grpc/cmd/protoc-gen-go-grpc)

pkg=github.com/deepq/deepq/internal/dmenvrpc
maps="Mdm_env_rpc/v1/dm_env_rpc.proto=$pkg;dmenvrpc,Mgoogle/rpc/status.proto=google.golang.org/genproto/googleapis/rpc/status"
mkdir -p "$out/internal/dmenvrpc" "$out/scripts/dm_env_rpc_pb"
cd "$here/proto"
PATH="$bin:$PATH" protoc -I . \
  --go_out="$out" --go_opt=module=github.com/deepq/deepq,"$maps" \
  --go-grpc_out="$out" --go-grpc_opt=module=github.com/deepq/deepq,"$maps" \
  dm_env_rpc/v1/dm_env_rpc.proto
protoc -I . --python_out="$out/scripts/dm_env_rpc_pb" dm_env_rpc/v1/dm_env_rpc.proto google/rpc/status.proto
