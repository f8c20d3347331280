//go:build !pixel

package viz

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestNoPixel: without the pixel tag every way in says how to build with
// it and which packages it needs, and Run never calls the work.
func TestNoPixel(t *testing.T) {
	for _, err := range []error{Available(), Check(),
		Run(context.Background(), nil, func(context.Context) error { panic("work called") })} {
		if !errors.Is(err, ErrNoWindow) {
			t.Fatalf("error %v, want ErrNoWindow", err)
		}
	}
	for _, want := range []string{"go run -tags pixel ./cmd/deepq train --render", "libgl1-mesa-dev", "libxxf86vm-dev"} {
		if !strings.Contains(ErrNoWindow.Error(), want) {
			t.Errorf("ErrNoWindow %q does not say %q", ErrNoWindow, want)
		}
	}
	ran := false
	Main(func() { ran = true })
	if !ran {
		t.Fatal("Main did not run its function")
	}
}
