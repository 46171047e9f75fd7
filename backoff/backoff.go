package backoff

import "math/rand/v2"

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

// NewRand returns a random source seeded with seed alone (the second PCG
// word is fixed). The node derives a request's schedule from it, and the
// lab its runs. The same seed yields the same sequence on every machine and
// Go release: PCG and Rand.Uint64 are specified exactly.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seedStream))
}
