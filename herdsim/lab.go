package herdsim

import (
	"math"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/backoff/catalog"
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
	Name     string   `json:"strategy"`
	Strategy Strategy `json:"-"`
	Scale    string   `json:"scale"` // the parameters, for people
}

// Lab returns the strategies of backoff's registry configured as the lab
// runs them, in a fixed order: the node's default first, ours last
// (staggered for herds; anchored and paced for contention), then sawtooth,
// from the contention-resolution literature.
func Lab() []Entry {
	inf := math.Inf(1)
	staggered := catalog.Staggered{Base: LabBase, Max: inf, Low: catalog.StaggeredLow}
	return []Entry{
		{"exponential", Of(backoff.Exponential{Base: LabBase, Max: inf, Jitter: LabJitter}), "base 1 s, jitter 0.1"},
		{"constant", Of(backoff.Constant{Interval: catalog.BlogConstantInterval}), "5 min"},
		{"exponential_min", Of(catalog.ExponentialMin{Min: 180, Unit: 60, Factor: catalog.ExponentialMinFactor}), "3 min + 2^k min"},
		{"sidekiq", Of(catalog.Sidekiq{Spread: catalog.SidekiqSpread}), "k^4 + 15 + U·30·(k+1) s"},
		{"buckets", Of(catalog.Buckets{}), "U[k^3, (k+2)^3) s"},
		{"full_jitter", Of(backoff.FullJitter{Base: LabBase, Max: inf}), "base 1 s"},
		{"equal_jitter", Of(backoff.EqualJitter{Base: LabBase, Max: inf}), "base 1 s"},
		{"decorrelated_jitter", Of(backoff.DecorrelatedJitter{Base: LabBase, Max: inf}), "base 1 s"},
		{"decorrelated_jitter_v2", Of(catalog.DecorrelatedJitterV2{Median: LabBase}), "median 1 s"},
		{"staggered", Of(staggered), "base 1 s, scale [1/2, 1), consecutive job ids"},
		{"staggered_random_ids", RandomIDs(staggered), "the same, random job ids"},
		{"anchored", Of(catalog.Anchored{Base: LabBase, Max: inf}), "base 1 s, consecutive job ids"},
		{"paced", Of(catalog.Paced{Base: LabBase, Max: inf}), "first window 1 s, growth √2, consecutive job ids"},
		{"sawtooth", Of(catalog.Sawtooth{Base: LabBase, Max: inf}), "base 1 s (Bender et al., SPAA 2005)"},
	}
}
