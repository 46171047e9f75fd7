package catalog

import (
	"math/rand/v2"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/backoff/internal/draw"
)

// NewRand returns a random source seeded with seed alone. Its first Uint64
// is the key that backoff.WithSeed(seed) names, so a simulation seeded with
// seed draws the schedule Retry would sleep. The same seed yields the same
// sequence on every machine and Go release: PCG and Rand.Uint64 are
// specified exactly.
func NewRand(seed uint64) *rand.Rand { return draw.NewRand(seed) }

// Phase returns the phase of the job with the given key: the fractional
// part of key times the golden ratio, in [0, 1). Any N consecutive keys get
// phases that split [0, 1) into gaps of at most three lengths (the
// three-gap theorem), none wider than 2/N.
func Phase(key uint64) float64 { return draw.Phase(key) }

// Keyed reports whether s, under any backoff.Capped or Scaled, is one of
// the strategies built for keys that are job ids (Staggered, Anchored,
// Paced): consecutive keys get evenly spread phases, so a caller that
// numbers its jobs should pass a job's id as its key rather than a random
// one.
func Keyed(s backoff.Strategy) bool {
	switch s := s.(type) {
	case Staggered, Anchored, Paced:
		return true
	case backoff.Capped:
		return Keyed(s.S)
	case Scaled:
		return Keyed(s.S)
	}
	return false
}

// Scaled stretches the time of S by Unit: its delays are Unit times S's,
// for strategies whose formula is in fixed units (Sidekiq's seconds, the
// buckets' cubes of seconds), so that they keep their shape at another
// scale.
type Scaled struct {
	S    backoff.Strategy
	Unit float64 // seconds per unit of S
}

// Delay implements backoff.Strategy: S sees prev and elapsed in its own
// units.
func (s Scaled) Delay(k int, key uint64, prev, elapsed float64) float64 {
	return s.Unit * s.S.Delay(k, key, prev/s.Unit, elapsed/s.Unit)
}
