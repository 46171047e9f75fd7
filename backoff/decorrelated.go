package backoff

import (
	"math"
	"math/rand/v2"
)

// DecorrelatedFactor is how far past the previous delay decorrelated jitter
// may reach: the draw is uniform between Base and 3 times the previous delay.
const DecorrelatedFactor = 3

// DecorrelatedJitter is AWS's "Decorrelated Jitter" (AWS Architecture Blog,
// "Exponential Backoff And Jitter", 2015). Each delay is drawn between Base
// and three times the previous one:
//
//	d_k = min(Max, Base + u_k · (3·d_{k−1} − Base)),   d_{−1} = Base
//
// So d_0 is uniform in [Base, 3·Base), and the delays grow by 2 on average
// until the cap. It is the only stateful strategy here: d_k depends on every
// earlier draw. The state lives inside one call to Fill, which uses
// u_k = stream.At(k).
type DecorrelatedJitter struct {
	Base float64 // seconds, the smallest delay
	Max  float64 // seconds, cap on any delay
}

// Delay returns d_k given the previous delay prev (Base for k = 0) and the
// draw u in [0, 1).
func (d DecorrelatedJitter) Delay(prev, u float64) float64 {
	return math.Min(d.Max, d.Base+float64(u*(float64(DecorrelatedFactor*prev)-d.Base))) // no fused multiply-adds
}

// Fill implements Strategy.
func (d DecorrelatedJitter) Fill(dst []float64, r *rand.Rand) {
	u := newStream(r)
	prev := d.Base
	for k := range dst {
		prev = d.Delay(prev, u.At(k))
		dst[k] = prev
	}
}

// Step implements Stepper: the state decorrelated jitter keeps is the
// previous delay, which the caller passes in (Base before the first retry).
func (d DecorrelatedJitter) Step(k int, key uint64, prev, _ float64) float64 {
	if k == 0 {
		prev = d.Base
	}
	return d.Delay(prev, stream(key).At(k))
}
