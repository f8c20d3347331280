//go:build !pixel

package viz

import (
	"context"
	"errors"
)

// ErrNoWindow is the error of a build without the window.
var ErrNoWindow = errors.New("this deepq was built without the live window: build it with the pixel tag, " +
	"e.g. go run -tags pixel ./cmd/deepq train --render, which needs cgo, a C compiler and, on Debian or Ubuntu, " +
	"apt-get install " + DebianPackages)

// Available reports whether the window can open: never in this build.
func Available() error { return ErrNoWindow }

// Main calls run: this build has no window, so nothing must run on the main
// thread.
func Main(run func()) { run() }

// Check reports whether the window can open: never in this build.
func Check() error { return ErrNoWindow }

// Run returns ErrNoWindow without calling work.
func Run(ctx context.Context, v *Viewer, work func(context.Context) error) error { return ErrNoWindow }
