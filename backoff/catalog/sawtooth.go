package catalog

import (
	"math"

	"github.com/backoff-node/backoff-node/backoff/internal/draw"
)

// Sawtooth is sawtooth backoff (Bender, Farach-Colton, He, Kuszmaul and
// Leiserson, "Adversarial contention resolution for simple channels", SPAA
// 2005), as a retry schedule: the windows grow in runs, and each run sweeps
// back down, so that a client that failed in a large window also tries the
// small windows again once the crowd has thinned:
//
//	run 0: 1;  run 1: 2, 1;  run 2: 4, 2, 1;  run 3: 8, 4, 2, 1;  ...
//	d_k = u_k · min(Max, Base · w_k),   u_k uniform in [0, 1)
//
// where w_k is the k-th window of that sequence. With Base 1 s and Max 8 s
// the delays lie in [0,1), [0,2), [0,1), [0,4), [0,2), [0,1), [0,8), ...
// u_k is draw k of the stream the key names.
type Sawtooth struct {
	Base float64 // seconds, the smallest window
	Max  float64 // seconds, cap on a window
}

// sawtoothWindow returns w_k, the k-th window of the sawtooth, in units of
// Base: run r holds the r+1 windows 2^r, 2^(r−1), ..., 1 and starts at
// retry r(r+1)/2.
func sawtoothWindow(k int) float64 {
	r := int((math.Sqrt(8*float64(k)+1) - 1) / 2) // the run of retry k
	for r*(r+1)/2 > k {                           // float rounding at the edges
		r--
	}
	for (r+1)*(r+2)/2 <= k {
		r++
	}
	pos := k - r*(r+1)/2 // 0 at the run's largest window
	return math.Ldexp(1, r-pos)
}

// Delay implements backoff.Strategy.
func (s Sawtooth) Delay(k int, key uint64, _, _ float64) float64 { return s.delay(k, draw.At(key, k)) }

// delay is d_k for the draw u.
func (s Sawtooth) delay(k int, u float64) float64 {
	return u * math.Min(s.Max, s.Base*sawtoothWindow(k))
}
