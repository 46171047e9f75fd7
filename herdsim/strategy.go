package herdsim

import (
	"math/rand/v2"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/backoff/catalog"
)

// A Strategy fills the delays, in seconds, of one job's retries, drawing
// what randomness it needs from r: how the lab runs a backoff.Strategy
// (see Of) or a schedule of its own (a StrategyFunc).
type Strategy interface {
	Fill(dst []float64, r *rand.Rand)
}

// StrategyFunc adapts a function to Strategy.
type StrategyFunc func(dst []float64, r *rand.Rand)

// Fill calls f(dst, r).
func (f StrategyFunc) Fill(dst []float64, r *rand.Rand) { f(dst, r) }

// A KeyedStrategy can also fill the delays of a job from its id alone:
// simulations that number their jobs use FillKey, so that jobs with
// consecutive ids get the evenly spread phases the strategy is built for.
type KeyedStrategy interface {
	Strategy
	FillKey(dst []float64, key uint64)
}

// Of returns s as the lab runs it: keyed by the job's id if it is built for
// ids (catalog.Keyed), else with a random key drawn from the source per
// job; a strategy that draws nothing (Constant, ExponentialMin) takes no
// key, so that it leaves the source's other draws where they were.
func Of(s backoff.Strategy) Strategy {
	if catalog.Keyed(s) {
		return keyed{random{s}}
	}
	switch s.(type) {
	case backoff.Constant, catalog.ExponentialMin:
		return keyless{s}
	}
	return random{s}
}

// RandomIDs returns s with a random key per job even if it is built for
// ids: the same strategy without the ids' even spread.
func RandomIDs(s backoff.Strategy) Strategy { return random{s} }

type random struct{ s backoff.Strategy }

func (x random) Fill(dst []float64, r *rand.Rand) { fill(x.s, dst, r.Uint64()) }

type keyed struct{ random }

func (x keyed) FillKey(dst []float64, key uint64) { fill(x.s, dst, key) }

type keyless struct{ s backoff.Strategy }

func (x keyless) Fill(dst []float64, _ *rand.Rand) { fill(x.s, dst, 0) }

// fill writes the first len(dst) delays of the schedule key names.
func fill(s backoff.Strategy, dst []float64, key uint64) {
	c := backoff.Cursor{Strategy: s, Key: key}
	c.Fill(dst)
}

// scaled returns s with its time stretched by unit (catalog.Scaled), run
// as s is: keyed, random or keyless. A strategy of the lab's own (a
// StrategyFunc) has its delays multiplied.
func scaled(s Strategy, unit float64) Strategy {
	switch x := s.(type) {
	case random:
		return random{catalog.Scaled{S: x.s, Unit: unit}}
	case keyed:
		return keyed{random{catalog.Scaled{S: x.s, Unit: unit}}}
	case keyless:
		return keyless{catalog.Scaled{S: x.s, Unit: unit}}
	}
	return StrategyFunc(func(dst []float64, r *rand.Rand) {
		s.Fill(dst, r)
		for i := range dst {
			dst[i] *= unit
		}
	})
}
