package harness

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// A Latency draws the delay of one message between nodes. Sample must
// depend on r alone, so that a seed reproduces the delays.
type Latency interface {
	Sample(r *rand.Rand) time.Duration
	String() string
}

// Constant delays every message by d.
func Constant(d time.Duration) Latency { return constant(d) }

type constant time.Duration

func (c constant) Sample(*rand.Rand) time.Duration { return time.Duration(c) }
func (c constant) String() string                  { return fmt.Sprintf("constant %v", time.Duration(c)) }

// Uniform delays each message by a duration drawn uniformly from [lo, hi).
func Uniform(lo, hi time.Duration) Latency {
	if hi < lo {
		panic("harness: Uniform with hi < lo")
	}
	return uniform{lo, hi}
}

type uniform struct{ lo, hi time.Duration }

func (u uniform) Sample(r *rand.Rand) time.Duration {
	if u.hi == u.lo {
		return u.lo
	}
	return u.lo + time.Duration(r.Int64N(int64(u.hi-u.lo)))
}
func (u uniform) String() string { return fmt.Sprintf("uniform [%v, %v)", u.lo, u.hi) }

// Exponential delays each message by a duration drawn from the exponential
// distribution with the given mean, as Maelstrom's default latency does.
func Exponential(mean time.Duration) Latency { return exponential(mean) }

type exponential time.Duration

func (e exponential) Sample(r *rand.Rand) time.Duration {
	return time.Duration(r.ExpFloat64() * float64(e))
}
func (e exponential) String() string { return fmt.Sprintf("exponential, mean %v", time.Duration(e)) }

// A Partition cuts the links between the nodes in Isolated and all other
// nodes from Start until Heal, both measured from the moment
// [Network.Start] returns. A message is dropped if its link is cut when it
// is sent or when it would be delivered. Clients are never partitioned.
type Partition struct {
	Start, Heal time.Duration
	Isolated    []string
}

// cuts reports whether p cuts the link a-b at offset d.
func (p Partition) cuts(a, b string, d time.Duration) bool {
	if d < p.Start || d >= p.Heal {
		return false
	}
	return slices.Contains(p.Isolated, a) != slices.Contains(p.Isolated, b)
}
