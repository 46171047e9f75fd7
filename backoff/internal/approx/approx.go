// Package approx compares the delays of the package's tests: computed in
// floating point, they are checked against formulas to a relative 1e-12.
package approx

import "math"

// Equal reports whether got equals want to 1e-12, relative for large
// values; +Inf equals only +Inf.
func Equal(got, want float64) bool {
	if math.IsInf(want, 1) {
		return math.IsInf(got, 1)
	}
	return math.Abs(got-want) <= 1e-12*math.Max(1, math.Abs(want))
}
