package catalog

import (
	"math"

	"github.com/backoff-node/backoff-node/backoff/internal/draw"
)

// Constants of Polly's DecorrelatedJitterBackoffV2 (Polly.Contrib.WaitAndRetry).
const (
	// PollyPFactor is the p in f(t) = 2^t · tanh(√(p·t)).
	PollyPFactor = 4
	// PollyScale divides f so that the median first delay is Median.
	PollyScale = 1.4
)

// DecorrelatedJitterV2 is Polly's smooth decorrelated jitter
// (DecorrelatedJitterBackoffV2 in Polly.Contrib.WaitAndRetry; Polly issue
// 530). The time of retry n, counted from the first failure, is
//
//	T_n = f(n + u_n) · Median / 1.4,   f(t) = 2^t · tanh(√(4t))
//
// a stateless function of n and one draw, and the delay before retry k is
// the gap d_k = T_k − T_{k−1}, with T_{−1} = 0. Since n + u_n lies in
// [n, n+1), retries keep their order, and the retry times of many clients
// cover the time line without the spikes of a fixed schedule. The delays
// themselves vary much: d_k can be nearly 0 or nearly T_{k+1} − T_{k−1}.
// u_n is draw n of the stream the key names. Past n ≈ 1023, f overflows and
// d_k is +Inf.
type DecorrelatedJitterV2 struct {
	Median float64 // seconds, the median delay before the first retry
}

// Time returns T_n for the draw u in [0, 1).
func (p DecorrelatedJitterV2) Time(n int, u float64) float64 {
	t := float64(n) + u
	return math.Exp2(t) * math.Tanh(math.Sqrt(PollyPFactor*t)) * p.Median / PollyScale
}

// Delay implements backoff.Strategy: T_{k−1} is recomputed from its draw,
// so no state is kept.
func (p DecorrelatedJitterV2) Delay(k int, key uint64, _, _ float64) float64 {
	prev := 0.0
	if k > 0 {
		prev = draw.At(key, k-1)
	}
	return p.delay(k, draw.At(key, k), prev)
}

// delay is d_k = T_k − T_{k−1} for the draws u (of retry k) and prev (of
// retry k−1, ignored when k = 0).
func (p DecorrelatedJitterV2) delay(k int, u, prev float64) float64 {
	t := p.Time(k, u)
	if k > 0 {
		t -= p.Time(k-1, prev)
	}
	if math.IsNaN(t) { // Inf − Inf
		return math.Inf(1)
	}
	return t
}
