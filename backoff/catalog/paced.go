package catalog

import (
	"math"

	"github.com/backoff-node/backoff-node/backoff/internal/draw"
)

// Constants of a Paced schedule.
const (
	// PacedGrowth is how much wider each window is than the one before,
	// until the cap: √2, so a client tries twice per doubling of the time
	// it has waited (full jitter: once). The extra tries are what brings the
	// last clients of a small crowd back soon.
	PacedGrowth = math.Sqrt2
	// PacedStart is where window k starts, as a fraction of the total width
	// of windows 0..k−1: 0.6, so each window opens before the one before
	// it closes, and once capped the windows move on by 0.6·Max a retry.
	PacedStart = 0.6
)

// Paced is a strategy for contention, a variant of [Anchored] with slower
// windows: every retry is anchored to a window fixed in time since the
// first failure, the windows grow by √2 instead of 3, and the place in the
// window is spread evenly for consecutive keys and drawn afresh each retry
// for random ones.
//
//	I_k = min(Max, Base · √2^k)              the width of window k
//	W_k = I_0 + ... + I_{k−1}                 the earlier windows together
//	u_k = Phase(key XOR h(k))                 h(k) = (k · 2^64/φ) >> 8
//	T_k = 0.6 · W_k + u_k · I_k               when retry k is due
//	d_k = min(Max, max(0, T_k − R_{k−1}))     R_k = d_0 + ... + d_k, R_{−1} = 0
//
// Retry k is due at phase u_k of window k, [0.6·W_k, 0.6·W_k + I_k); if
// that time has passed the retry follows at once, and no delay is longer
// than Max. Since windows never shrink, R_k always lies in window k.
//
// Base is the width of the first window, which should hold a few round
// trips of the contended resource: six times full jitter's first interval
// worked best in AWS's contention experiment (60 ms against 10 ms, where a
// round trip is 20 ms).
//
// The phase: [Anchored] uses Phase(key + k), which spreads consecutive keys
// evenly at every retry, but for random keys keeps the distance between two
// clients' phases the same at every retry, so two clients that collide once
// collide again. XOR with a mask that depends on k alone maps a run of
// consecutive keys to a few runs of consecutive keys (a run splits into
// aligned power-of-two blocks, each of which XOR moves whole), so their
// Weyl phases stay nearly even (a test finds no gap wider than 5/N among N
// consecutive keys, where random phases leave gaps of 12/N to 15/N); and it
// changes the difference between two
// random keys from retry to retry, so their phases are drawn afresh. The
// mask is taken from the high bits of k·2^64/φ, since its low bits follow
// k's.
//
// With Base 1 s and Max 8 s the windows are [0, 1), [0.6, 2.014),
// [1.449, 3.449), [2.649, 5.477), [4.346, 8.346), [6.746, 12.402),
// [10.140, 18.140), ...: from retry 6 on they are capped at 8 s wide and
// move on by 0.6·Max = 4.8 s a retry.
type Paced struct {
	Base float64 // seconds, the width of the first window
	Max  float64 // seconds, cap on a window's width and on any delay
}

// pacedMask is h(k).
func pacedMask(k int) uint64 { return uint64(k) * draw.Golden >> 8 }

// PacedPhase returns u_k for the given key: the place of retry k in its
// window, in [0, 1).
func PacedPhase(key uint64, k int) float64 { return Phase(key ^ pacedMask(k)) }

// Window returns the start 0.6·W_k and the width I_k of window k.
func (p Paced) Window(k int) (start, width float64) { return p.windows().window(k) }

// windows is p's schedule.
func (p Paced) windows() windows { return windows{p.Base, p.Max, PacedGrowth, PacedStart} }

// Delay implements backoff.Strategy: paced's state is the time already
// waited, which the caller passes in as elapsed.
func (p Paced) Delay(k int, key uint64, _, elapsed float64) float64 {
	return p.windows().delayAt(k, PacedPhase(key, k), elapsed)
}
