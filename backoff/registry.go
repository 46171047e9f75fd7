package backoff

import (
	"fmt"
	"slices"
	"strings"
)

// Params are the knobs a request can set. Each strategy documents which of
// them it uses; the rest it ignores.
type Params struct {
	Base   float64 // seconds, > 0
	Max    float64 // seconds, >= Base
	Jitter float64 // fraction, 0..1
}

// DefaultParams returns the wire contract's defaults.
func DefaultParams() Params {
	return Params{Base: DefaultBase, Max: DefaultMax, Jitter: DefaultJitter}
}

// strategies maps a strategy name to its constructor.
var strategies = map[string]func(Params) Strategy{
	"exponential": func(p Params) Strategy { return Exponential{Base: p.Base, Max: p.Max, Jitter: p.Jitter} },

	// The strategies of the backoff lab. Each uses the parameters its doc
	// comment names and ignores the rest; the node caps every delay at Max.
	"constant": func(p Params) Strategy { return Constant{Interval: p.Base} },
	"exponential_min": func(p Params) Strategy {
		return ExponentialMin{Min: ExponentialMinOffset * p.Base, Unit: p.Base, Factor: ExponentialMinFactor}
	},
	"sidekiq":                func(Params) Strategy { return Sidekiq{Spread: SidekiqSpread} },
	"buckets":                func(Params) Strategy { return Buckets{} },
	"full_jitter":            func(p Params) Strategy { return FullJitter{Base: p.Base, Max: p.Max} },
	"equal_jitter":           func(p Params) Strategy { return EqualJitter{Base: p.Base, Max: p.Max} },
	"decorrelated_jitter":    func(p Params) Strategy { return DecorrelatedJitter{Base: p.Base, Max: p.Max} },
	"decorrelated_jitter_v2": func(p Params) Strategy { return DecorrelatedJitterV2{Median: p.Base} },
	"staggered":              func(p Params) Strategy { return Staggered{Base: p.Base, Max: p.Max, Low: StaggeredLow} },
	"anchored":               func(p Params) Strategy { return Anchored{Base: p.Base, Max: p.Max} },
}

// Names returns the names Lookup accepts, sorted.
func Names() []string {
	names := make([]string, 0, len(strategies))
	for name := range strategies {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Lookup returns the strategy called name, configured with p. The error for
// an unknown name lists the valid ones.
func Lookup(name string, p Params) (Strategy, error) {
	newStrategy, ok := strategies[name]
	if !ok {
		return nil, fmt.Errorf("unknown strategy %q; valid: %s", name, strings.Join(Names(), ", "))
	}
	return newStrategy(p), nil
}
