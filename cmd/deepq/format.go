package main

import (
	"math"
	"strconv"
)

// formatReturn formats an episode's return, or the min or max of returns, for
// the text summaries of train, eval and play. A return is a sum of float64
// rewards and carries their rounding noise (GridWorld's -0.01 a step sums to
// -4.999999999999938 over 500 steps): it is rounded to 9 significant digits,
// more than any env's rewards have, and written in the shortest form without
// an exponent, so -4.999999999999938 prints as -5 and 0.81 as 0.81.
func formatReturn(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return strconv.FormatFloat(r, 'g', -1, 64)
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(r, 'g', 9, 64), 64)
	if v == 0 {
		return "0" // and not -0
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
