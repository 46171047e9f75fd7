package backoff

import "github.com/backoff-node/backoff-node/backoff/internal/draw"

// EqualJitter keeps half of the capped exponential t_k = min(Max, Base·2^k)
// for sure and draws the other half: d_k = t_k/2 + u_k·t_k/2, u_k uniform in
// [0, 1). With Base 1 s and Max 8 s, d_k lies in [0.5,1), [1,2), [2,4),
// [4,8), [4,8), ... Source: AWS Architecture Blog, "Exponential Backoff And
// Jitter" (2015), which finds it the loser of its contention experiment.
// u_k is draw k of the stream the key names. Negative or NaN fields are
// invalid (Retry rejects them).
type EqualJitter struct {
	Base float64 // seconds, the interval of the first retry
	Max  float64 // seconds, cap on the interval
}

// Delay implements Strategy.
func (e EqualJitter) Delay(k int, key uint64, _, _ float64) float64 {
	return e.delay(k, draw.At(key, k))
}

// delay is d_k for the draw u.
func (e EqualJitter) delay(k int, u float64) float64 {
	half := interval(e.Base, e.Max, k) / 2
	return half + float64(u*half) // no fused multiply-add
}

func (e EqualJitter) validate() error { return baseMax("EqualJitter", e.Base, e.Max) }
