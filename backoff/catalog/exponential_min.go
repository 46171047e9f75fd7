package catalog

import "math"

// Parameters of ExponentialMin in units of a base delay b:
// d_k = 3·b + b·2^k, the blog's "3 min + 2^k·1 min" with b = 1 min.
const (
	// ExponentialMinOffset is Min in units of the base delay.
	ExponentialMinOffset = 3
	// ExponentialMinFactor is the growth factor per retry.
	ExponentialMinFactor = 2
)

// ExponentialMin is a minimum wait plus a power of the retry number:
//
//	d_k = Min + Unit · Factor^k
//
// It is the blog "Visualization of backoff functions"' exponential
// (Min 3 min, Unit 1 min, Factor 2):
//
//	k      0     1     2     3     4      5
//	d_k    4m    5m    7m    11m   19m    35m
//
// There is no jitter and no cap: d_k is +Inf once Factor^k overflows, so
// cap it (backoff.Capped; Retry caps at its max delay). It draws nothing.
type ExponentialMin struct {
	Min    float64 // seconds added to every delay
	Unit   float64 // seconds multiplied by Factor^k
	Factor float64 // growth per retry, >= 1
}

// Delay implements backoff.Strategy.
func (e ExponentialMin) Delay(k int, _ uint64, _, _ float64) float64 {
	return e.Min + e.Unit*math.Pow(e.Factor, float64(k))
}

// BlogConstantInterval is the constant strategy's wait in the blog
// "Visualization of backoff functions": 5 minutes, in seconds, for
// backoff.Constant.
const BlogConstantInterval = 300
