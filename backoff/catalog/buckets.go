package catalog

import "github.com/backoff-node/backoff-node/backoff/internal/draw"

// Buckets waits a uniform time between two cubes, in seconds:
//
//	d_k = k^3 + u_k · ((k+2)^3 − k^3),   u_k uniform in [0, 1)
//
// so d_k is uniform in [k^3, (k+2)^3): [0,8), [1,27), [8,64), [27,125), ...
// It is the "buckets" strategy of the blog "Visualization of backoff
// functions". The scale is fixed: use Scaled for another. u_k is draw k of
// the stream the key names.
type Buckets struct{}

// Delay implements backoff.Strategy.
func (b Buckets) Delay(k int, key uint64, _, _ float64) float64 { return b.delay(k, draw.At(key, k)) }

// delay is d_k for the draw u.
func (Buckets) delay(k int, u float64) float64 {
	lo, hi := float64(k), float64(k+2)
	lo, hi = lo*lo*lo, hi*hi*hi
	return lo + float64(u*(hi-lo)) // no fused multiply-add
}
