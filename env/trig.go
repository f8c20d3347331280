package env

import "github.com/deepq/deepq/internal/fmath"

// The simulators take sin and cos from here so that they all use the same
// implementation: internal/fmath's correctly rounded ones, which equal glibc's
// (with which the reference trajectories were made) wherever glibc rounds
// correctly. Go's math.Sin and math.Cos differ from both in the last bit for a
// few percent of arguments.

func sin(x float64) float64 { return fmath.Sin(x) }

func cos(x float64) float64 { return fmath.Cos(x) }

func sincos(x float64) (s, c float64) { return fmath.Sincos(x) }
