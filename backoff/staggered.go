package backoff

import (
	"math"
	"math/rand/v2"
)

// StaggeredLow is the smallest scale of a Staggered schedule: each job's
// delays are its scale a in [1/2, 1) times the capped exponential. A half
// makes the retry times of neighbouring retries meet end to end when the
// exponential doubles (retry k+1 of the fastest job comes when retry k of
// the slowest does), so the retries of a herd leave no gap, and it keeps the
// wait before a retry within ±1/3 of its mean.
const StaggeredLow = 0.5

// Staggered is this project's answer to the herd question: exponential
// backoff in which every job keeps one phase for all its retries, so that
// jobs that failed together fan out once and then stay apart, and the phases
// of jobs with consecutive ids are spread evenly instead of at random.
//
//	φ      = frac(key · 0.6180339887...)      the job's phase, in [0, 1)
//	a      = Low + (1 − Low) · φ               the job's scale, in [Low, 1)
//	d_k    = a · min(Max, Base · 2^k)
//
// The time of retry n is a·Base·(2^(n+1) − 1) before the cap: every job
// follows the same doubling curve, scaled by its own a. It is a stateless
// function of the retry number and the job's key, like Polly's smooth
// decorrelated jitter, but the wait before a given retry varies only with a
// (coefficient of variation (1−Low)/(√3·(1+Low)) = 0.19 at Low = 1/2), where
// equal jitter draws anew each retry and Polly's V2 varies from 0 to twice
// the interval. The cap applies before the scale, so capped jobs still keep
// their phases apart, and no delay exceeds Max.
//
// The phase is the Weyl sequence of the golden ratio (Knuth's
// multiplicative hashing): any N consecutive keys get phases that split
// [0, 1) into gaps of at most three lengths (the three-gap theorem), none
// wider than 2/N, which is why a herd of jobs with consecutive ids leaves
// no idle window. [Staggered.FillKey] takes the
// key; [Staggered.Fill], the plain Strategy, takes the key from the first
// draw of its *rand.Rand, so through the node (key from the request's seed)
// phases are uniform at random rather than staggered.
//
// With Base 1 s, Max 8 s and Low 1/2, job key 0 (a = 1/2) and key 1
// (a = 0.809) wait:
//
//	k          0       1       2       3       4
//	key 0      0.5     1       2       4       4
//	key 1      0.809   1.618   3.236   6.472   6.472
type Staggered struct {
	Base float64 // seconds, the first interval
	Max  float64 // seconds, cap on the interval and so on any delay
	Low  float64 // smallest scale, 0..1 (the zero value, 0, spreads scales over [0, 1); StaggeredLow is the lab's)
}

// Phase returns the phase of the job with the given key: the fractional
// part of key times the golden ratio, in [0, 1).
func Phase(key uint64) float64 {
	return float64(int64((key*golden)>>11)) * 0x1p-53
}

// Delay returns d_k for a job of the given phase in [0, 1).
func (s Staggered) Delay(k int, phase float64) float64 {
	return (s.Low + float64((1-s.Low)*phase)) * interval(s.Base, s.Max, k) // no fused multiply-add
}

// FillKey writes the delays of the job with the given key into dst. It is
// Fill for callers that know the job's id; it draws nothing.
func (s Staggered) FillKey(dst []float64, key uint64) {
	a := s.Low + float64((1-s.Low)*Phase(key))
	t := s.Base
	for k := range dst {
		dst[k] = a * math.Min(s.Max, t)
		if t < s.Max {
			t *= 2
		}
	}
}

// Fill implements Strategy, with the key taken from r.
func (s Staggered) Fill(dst []float64, r *rand.Rand) { s.FillKey(dst, r.Uint64()) }

// A KeyedStrategy can also compute the schedule of a job from the job's key
// (its id) alone, without randomness. Simulations and queues that number
// their jobs use FillKey; everyone else uses Fill.
type KeyedStrategy interface {
	Strategy
	FillKey(dst []float64, key uint64)
}

var _ KeyedStrategy = Staggered{}

// Step implements Stepper.
func (s Staggered) Step(k int, key uint64, _, _ float64) float64 {
	return s.Delay(k, Phase(key))
}
