package backoff

import (
	"math"
	"math/rand/v2"
)

// Defaults of the wire contract (SPEC.md, compute_backoff). Durations are in
// seconds.
const (
	// DefaultMaxRetries is how many retries follow the first attempt when a
	// request does not say.
	DefaultMaxRetries = 5
	// DefaultBase is the delay before the first retry.
	DefaultBase = 0.1
	// DefaultMax caps any single delay.
	DefaultMax = 2.0
	// DefaultJitter is the jitter fraction: up to 10 % is added to a delay.
	DefaultJitter = 0.1
	// DefaultStrategy is the name of the strategy used when none is asked for.
	DefaultStrategy = "exponential"
)

// A Strategy computes the delays before successive retries.
//
// Fill writes into dst[k] the delay, in seconds, before retry k (k = 0 is the
// first retry, after the first attempt failed), for k < len(dst), drawing any
// randomness it needs from r. Strategies with state (decorrelated jitter
// remembers the previous delay) keep it inside one call to Fill, so a Strategy
// value is immutable and safe for concurrent use with distinct *rand.Rand
// values. Fill does not allocate.
type Strategy interface {
	Fill(dst []float64, r *rand.Rand)
}

// StrategyFunc adapts an ordinary function to the Strategy interface.
type StrategyFunc func(dst []float64, r *rand.Rand)

// Fill calls f(dst, r).
func (f StrategyFunc) Fill(dst []float64, r *rand.Rand) { f(dst, r) }

var _ Strategy = StrategyFunc(nil)

// Schedule returns the first n delays of s, in seconds, drawn from r.
func Schedule(s Strategy, n int, r *rand.Rand) []float64 {
	d := make([]float64, n)
	s.Fill(d, r)
	return d
}

// seedStream is the second PCG word. It is fixed so that a seed alone names a
// schedule; changing it would change every published schedule.
const seedStream = 0x6261636b6f666621 // "backoff!"

// NewRand returns the random source the node derives from a request's seed.
// The same seed yields the same sequence on every machine and Go release,
// because PCG and Rand.Float64 are specified bit for bit.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seedStream))
}

// Millis converts a delay in seconds to whole milliseconds, rounding half
// away from zero, as the wire contract asks.
func Millis(seconds float64) int64 {
	return int64(math.Round(seconds * 1000))
}

// FillSeeded fills dst with the schedule a seed names. A KeyedStrategy takes
// the seed as the job's key, so that jobs numbered 0, 1, 2, ... and sent with
// their numbers as seeds get evenly spread phases; any other strategy draws
// from NewRand(seed). Either way the same seed gives the same schedule.
func FillSeeded(s Strategy, dst []float64, seed uint64) {
	if ks, ok := s.(KeyedStrategy); ok {
		ks.FillKey(dst, seed)
		return
	}
	s.Fill(dst, NewRand(seed))
}
