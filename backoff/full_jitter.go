package backoff

import (
	"math"
	"math/rand/v2"
)

// FullJitter is AWS's "Full Jitter" (AWS Architecture Blog, "Exponential
// Backoff And Jitter", 2015): a uniform draw below the capped exponential,
//
//	d_k = u_k · min(Max, Base · 2^k),   u_k uniform in [0, 1)
//
// With Base 1 s and Max 8 s the delays lie in [0,1), [0,2), [0,4), [0,8),
// [0,8), ... It does the least work of AWS's variants under contention, at
// the price of waits that vary from nothing to the whole interval. Fill uses
// u_k = stream.At(k).
type FullJitter struct {
	Base float64 // seconds, the interval of the first retry
	Max  float64 // seconds, cap on the interval
}

// Delay returns d_k for the draw u in [0, 1).
func (f FullJitter) Delay(k int, u float64) float64 { return u * interval(f.Base, f.Max, k) }

// Fill implements Strategy.
func (f FullJitter) Fill(dst []float64, r *rand.Rand) {
	u := newStream(r)
	for k := range dst {
		dst[k] = f.Delay(k, u.At(k))
	}
}

// interval returns AWS's capped exponential min(max, base·2^k), which stays
// finite when 2^k overflows.
func interval(base, max float64, k int) float64 { return math.Min(max, math.Ldexp(base, k)) }

// Step implements Stepper.
func (f FullJitter) Step(k int, key uint64, _, _ float64) float64 {
	return f.Delay(k, stream(key).At(k))
}
