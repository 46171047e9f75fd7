package backoff

import (
	"math"

	"github.com/backoff-node/backoff-node/backoff/internal/draw"
)

// FullJitter is AWS's "Full Jitter" (AWS Architecture Blog, "Exponential
// Backoff And Jitter", 2015): a uniform draw below the capped exponential,
//
//	d_k = u_k · min(Max, Base · 2^k),   u_k uniform in [0, 1)
//
// With Base 1 s and Max 8 s the delays lie in [0,1), [0,2), [0,4), [0,8),
// [0,8), ... It does the least work of AWS's variants under contention, at
// the price of waits that vary from nothing to the whole interval. u_k is
// draw k of the stream the key names. Negative or NaN fields are invalid
// (Retry rejects them); a zero Max caps every delay at 0.
type FullJitter struct {
	Base float64 // seconds, the interval of the first retry
	Max  float64 // seconds, cap on the interval
}

// Delay implements Strategy.
func (f FullJitter) Delay(k int, key uint64, _, _ float64) float64 {
	return f.delay(k, draw.At(key, k))
}

// delay is d_k for the draw u.
func (f FullJitter) delay(k int, u float64) float64 { return u * interval(f.Base, f.Max, k) }

func (f FullJitter) validate() error { return baseMax("FullJitter", f.Base, f.Max) }

// interval returns AWS's capped exponential min(max, base·2^k), which stays
// finite when 2^k overflows.
func interval(base, max float64, k int) float64 { return math.Min(max, math.Ldexp(base, k)) }
