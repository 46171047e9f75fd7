package backoff

import "math/rand/v2"

// EqualJitter keeps half of the capped exponential t_k = min(Max, Base·2^k)
// for sure and draws the other half: d_k = t_k/2 + u_k·t_k/2, u_k uniform in
// [0, 1). With Base 1 s and Max 8 s, d_k lies in [0.5,1), [1,2), [2,4),
// [4,8), [4,8), ... Source: AWS Architecture Blog, "Exponential Backoff And
// Jitter" (2015), which finds it the loser of its contention experiment.
// Fill uses u_k = stream.At(k).
type EqualJitter struct {
	Base float64 // seconds, the interval of the first retry
	Max  float64 // seconds, cap on the interval
}

// Delay returns d_k for the draw u in [0, 1).
func (e EqualJitter) Delay(k int, u float64) float64 {
	half := interval(e.Base, e.Max, k) / 2
	return half + float64(u*half) // no fused multiply-add
}

// Fill implements Strategy.
func (e EqualJitter) Fill(dst []float64, r *rand.Rand) {
	u := newStream(r)
	for k := range dst {
		dst[k] = e.Delay(k, u.At(k))
	}
}

// Step implements Stepper.
func (e EqualJitter) Step(k int, key uint64, _, _ float64) float64 {
	return e.Delay(k, stream(key).At(k))
}
