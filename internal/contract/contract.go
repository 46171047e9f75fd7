// Package contract holds the node's wire contract (docs/SPEC.md) as far as
// numbers go: the defaults and bounds of request fields, the names by which
// requests choose a strategy and the scales they run at, the rounding of
// delays to whole milliseconds, and how a request's seed names a schedule.
// The backoff package does the arithmetic; this package says which
// arithmetic a request means.
package contract

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/backoff/catalog"
)

// Defaults of compute_backoff and backoff_relay fields. Durations are in
// seconds.
const (
	// DefaultMaxRetries is how many retries follow the first attempt.
	DefaultMaxRetries = 5
	// DefaultBase is the delay before the first retry.
	DefaultBase = 0.1
	// DefaultMax caps any single delay. A base_delay above it raises it to
	// base_delay.
	DefaultMax = 2.0
	// DefaultJitter is the jitter fraction: up to 10 % is added to a delay.
	DefaultJitter = 0.1
	// DefaultStrategy is the strategy used when none is asked for.
	DefaultStrategy = "exponential"
	// DefaultAttemptTimeout is how long a relay waits for a reply to one
	// attempt.
	DefaultAttemptTimeout = 1.0
)

// Bounds of the fields.
const (
	MaxRetriesLimit = 10000   // max_retries: integer 0..10000
	MinBaseDelay    = 0.001   // base_delay: >= 1 ms
	MaxDelayLimit   = 86400.0 // base_delay and max_delay: <= one day
	MaxSeed         = 1 << 53 // seed: integer 0..2^53, exact in any JSON client
	MaxTimeout      = 60.0    // attempt_timeout: > 0, <= 60 s
	MaxElapsedLimit = 86400.0 // max_elapsed: > 0, <= one day
)

// Params are the strategy knobs a request can set. Each strategy uses the
// ones its entry in Lookup names; every delay is capped at Max.
type Params struct {
	Base   float64 // seconds, > 0
	Max    float64 // seconds, >= Base
	Jitter float64 // fraction, 0..1
}

// DefaultParams returns the contract's defaults.
func DefaultParams() Params {
	return Params{Base: DefaultBase, Max: DefaultMax, Jitter: DefaultJitter}
}

// Scales of the strategies whose formulas are in fixed units: through the
// node their time unit is a fraction of base_delay, so that their schedules
// keep their shape under the default cap instead of being capped flat
// (sidekiq's first retry is 15 s and more in its own units; with the
// default max_delay of 2 s every delay would be 2 s).
const (
	// SidekiqUnit: sidekiq's 15 + U·30 first retry becomes base·[1, 3).
	SidekiqUnit = 1.0 / 15
	// BucketsUnit: the first bucket, [0, 8) units, becomes [0, base).
	BucketsUnit = 1.0 / 8
)

// strategies maps a strategy name to its configuration.
var strategies = map[string]func(Params) backoff.Strategy{
	"exponential": func(p Params) backoff.Strategy { return backoff.Exponential(p) },
	"constant":    func(p Params) backoff.Strategy { return backoff.Constant{Interval: p.Base} },
	"exponential_min": func(p Params) backoff.Strategy {
		return catalog.ExponentialMin{Min: catalog.ExponentialMinOffset * p.Base, Unit: p.Base, Factor: catalog.ExponentialMinFactor}
	},
	"sidekiq": func(p Params) backoff.Strategy {
		return catalog.Scaled{S: catalog.Sidekiq{Spread: catalog.SidekiqSpread}, Unit: SidekiqUnit * p.Base}
	},
	"buckets": func(p Params) backoff.Strategy {
		return catalog.Scaled{S: catalog.Buckets{}, Unit: BucketsUnit * p.Base}
	},
	"full_jitter":            func(p Params) backoff.Strategy { return backoff.FullJitter{Base: p.Base, Max: p.Max} },
	"equal_jitter":           func(p Params) backoff.Strategy { return backoff.EqualJitter{Base: p.Base, Max: p.Max} },
	"decorrelated_jitter":    func(p Params) backoff.Strategy { return backoff.DecorrelatedJitter{Base: p.Base, Max: p.Max} },
	"decorrelated_jitter_v2": func(p Params) backoff.Strategy { return catalog.DecorrelatedJitterV2{Median: p.Base} },
	"staggered": func(p Params) backoff.Strategy {
		return catalog.Staggered{Base: p.Base, Max: p.Max, Low: catalog.StaggeredLow}
	},
	"anchored": func(p Params) backoff.Strategy { return catalog.Anchored{Base: p.Base, Max: p.Max} },
	"paced":    func(p Params) backoff.Strategy { return catalog.Paced{Base: p.Base, Max: p.Max} },
	"sawtooth": func(p Params) backoff.Strategy { return catalog.Sawtooth{Base: p.Base, Max: p.Max} },
}

// names is Names' answer, computed once.
var names = func() []string {
	n := make([]string, 0, len(strategies))
	for name := range strategies {
		n = append(n, name)
	}
	slices.Sort(n)
	return n
}()

// Names returns the strategy names Lookup accepts, sorted.
func Names() []string { return slices.Clone(names) }

// Lookup returns the strategy called name, configured with p and capped at
// p.Max. The error for an unknown name lists the valid ones.
func Lookup(name string, p Params) (backoff.Strategy, error) {
	newStrategy, ok := strategies[name]
	if !ok {
		return nil, fmt.Errorf("unknown strategy %q; valid: %s", name, strings.Join(names, ", "))
	}
	return backoff.Capped{S: newStrategy(p), Max: p.Max}, nil
}

// Key returns the key of the schedule a request's seed names for s. A
// keyed strategy (staggered, anchored, paced) takes the seed itself as the job's
// key, so that jobs sent with seeds 0, 1, 2, ... get evenly spread phases;
// any other strategy takes the first draw of catalog.NewRand(seed), the
// key backoff.WithSeed(seed) names. The same seed always names the same schedule.
func Key(s backoff.Strategy, seed uint64) uint64 {
	if catalog.Keyed(s) {
		return seed
	}
	return catalog.NewRand(seed).Uint64()
}

// Millis converts a delay in seconds to whole milliseconds, rounding half
// away from zero, as replies carry delays.
func Millis(seconds float64) int64 {
	return int64(math.Round(seconds * 1000))
}
