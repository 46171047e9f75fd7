package herdsim

import (
	"math"

	"github.com/backoff-node/backoff-node/backoff"
)

// LabBase is the base delay, in seconds, of the strategies that take one,
// as the lab runs them.
const LabBase = 1

// LabJitter is the jitter fraction of exponential as the lab runs it: the
// node's default.
const LabJitter = 0.1

// An Entry is a strategy as the lab runs it: by name, at its own natural
// scale and with no cap, since a cap would hide the shape of the schedule.
type Entry struct {
	Name     string           `json:"strategy"`
	Strategy backoff.Strategy `json:"-"`
	Scale    string           `json:"scale"` // the parameters, for people
}

// Lab returns the strategies of backoff's registry configured as the lab
// runs them, in a fixed order: the node's default first, ours last
// (staggered for herds; anchored and paced for contention), then sawtooth,
// from the contention-resolution literature.
func Lab() []Entry {
	inf := math.Inf(1)
	staggered := backoff.Staggered{Base: LabBase, Max: inf, Low: backoff.StaggeredLow}
	return []Entry{
		{"exponential", backoff.Exponential{Base: LabBase, Max: inf, Jitter: LabJitter}, "base 1 s, jitter 0.1"},
		{"constant", backoff.Constant{Interval: backoff.BlogConstantInterval}, "5 min"},
		{"exponential_min", backoff.ExponentialMin{Min: 180, Unit: 60, Factor: backoff.ExponentialMinFactor}, "3 min + 2^k min"},
		{"sidekiq", backoff.Sidekiq{Spread: backoff.SidekiqSpread}, "k^4 + 15 + U·30·(k+1) s"},
		{"buckets", backoff.Buckets{}, "U[k^3, (k+2)^3) s"},
		{"full_jitter", backoff.FullJitter{Base: LabBase, Max: inf}, "base 1 s"},
		{"equal_jitter", backoff.EqualJitter{Base: LabBase, Max: inf}, "base 1 s"},
		{"decorrelated_jitter", backoff.DecorrelatedJitter{Base: LabBase, Max: inf}, "base 1 s"},
		{"decorrelated_jitter_v2", backoff.DecorrelatedJitterV2{Median: LabBase}, "median 1 s"},
		{"staggered", staggered, "base 1 s, scale [1/2, 1), consecutive job ids"},
		{"staggered_random_ids", backoff.StrategyFunc(staggered.Fill), "the same, random job ids"},
		{"anchored", backoff.Anchored{Base: LabBase, Max: inf}, "base 1 s, consecutive job ids"},
		{"paced", backoff.Paced{Base: LabBase, Max: inf}, "first window 1 s, growth √2, consecutive job ids"},
		{"sawtooth", backoff.Sawtooth{Base: LabBase, Max: inf}, "base 1 s (Bender et al., SPAA 2005)"},
	}
}
