package backoff

import (
	"math"

	"github.com/backoff-node/backoff-node/backoff/internal/draw"
)

// decorrelatedFactor is how far past the previous delay decorrelated jitter
// may reach: the draw is uniform between Base and 3 times the previous delay.
const decorrelatedFactor = 3

// DecorrelatedJitter is AWS's "Decorrelated Jitter" (AWS Architecture Blog,
// "Exponential Backoff And Jitter", 2015). Each delay is drawn between Base
// and three times the previous one:
//
//	d_k = min(Max, Base + u_k · (3·d_{k−1} − Base)),   d_{−1} = Base
//
// So d_0 is uniform in [Base, 3·Base), and the delays grow by 2 on average
// until the cap. It is the stateful strategy of this package: d_k depends on
// the delay before it, which Delay takes as prev (a Cursor and Retry pass
// it). u_k is draw k of the stream the key names. Negative or NaN fields are
// invalid (Retry rejects them).
type DecorrelatedJitter struct {
	Base float64 // seconds, the smallest delay
	Max  float64 // seconds, cap on any delay
}

// Delay implements Strategy: prev is d_{k−1}, and ignored for k = 0.
func (d DecorrelatedJitter) Delay(k int, key uint64, prev, _ float64) float64 {
	if k == 0 {
		prev = d.Base
	}
	return d.delay(prev, draw.At(key, k))
}

// delay is d_k for the previous delay prev and the draw u.
func (d DecorrelatedJitter) delay(prev, u float64) float64 {
	return math.Min(d.Max, d.Base+float64(u*(float64(decorrelatedFactor*prev)-d.Base))) // no fused multiply-adds
}

func (d DecorrelatedJitter) validate() error { return baseMax("DecorrelatedJitter", d.Base, d.Max) }
