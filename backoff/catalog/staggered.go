package catalog

import "math"

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
// no idle window. Give it the job's id as the key; with random keys the
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
	Low  float64 // smallest scale, 0..1 (the zero value, 0, spreads scales over [0, 1); StaggeredLow is the usual)
}

// Delay implements backoff.Strategy: the job's phase is Phase(key).
func (s Staggered) Delay(k int, key uint64, _, _ float64) float64 { return s.delay(k, Phase(key)) }

// delay is d_k for a job of the given phase in [0, 1).
func (s Staggered) delay(k int, phase float64) float64 {
	return (s.Low + float64((1-s.Low)*phase)) * interval(s.Base, s.Max, k) // no fused multiply-add
}

// interval returns the capped exponential min(max, base·2^k), which stays
// finite when 2^k overflows.
func interval(base, max float64, k int) float64 { return math.Min(max, math.Ldexp(base, k)) }
