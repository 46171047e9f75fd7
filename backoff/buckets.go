package backoff

import "math/rand/v2"

// Buckets waits a uniform time between two cubes, in seconds:
//
//	d_k = k^3 + u_k · ((k+2)^3 − k^3),   u_k uniform in [0, 1)
//
// so d_k is uniform in [k^3, (k+2)^3): [0,8), [1,27), [8,64), [27,125), ...
// It is the "buckets" strategy of the blog "Visualization of backoff
// functions". The scale is fixed: Lookup ignores the request's parameters
// (the node still caps at max_delay). Fill uses u_k = stream.At(k).
type Buckets struct{}

// Delay returns d_k for the draw u in [0, 1).
func (Buckets) Delay(k int, u float64) float64 {
	lo, hi := float64(k), float64(k+2)
	lo, hi = lo*lo*lo, hi*hi*hi
	return lo + float64(u*(hi-lo)) // no fused multiply-add
}

// Fill implements Strategy.
func (b Buckets) Fill(dst []float64, r *rand.Rand) {
	u := newStream(r)
	for k := range dst {
		dst[k] = b.Delay(k, u.At(k))
	}
}

// Step implements Stepper.
func (b Buckets) Step(k int, key uint64, _, _ float64) float64 {
	return b.Delay(k, stream(key).At(k))
}
