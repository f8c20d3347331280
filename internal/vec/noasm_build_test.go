//go:build !amd64 || noasm

package vec

// asmBuild: this build has no assembly (not amd64, or the noasm tag).
const asmBuild = false
