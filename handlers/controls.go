package handlers

import (
	"fmt"
	"sync"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
)

// maxBudgets bounds the controls a node keeps: one per target and tuning.
const maxBudgets = 4096

// idleAfter is how long a control must go unused, with no relay holding it,
// before it may be forgotten: a budget's window, after which a Budget holds
// nothing (its window is empty), so forgetting it loses nothing.
const idleAfter = backoff.DefaultBudgetWindow

// sweepEvery is how often, at most, a full map is swept for idle controls,
// so that a stream of new targets while every control is in use costs a
// sweep a second, not one a request.
const sweepEvery = time.Second

// budgets are the node's retry controls, one per target and per tuning,
// shared by every relay to that target with that tuning. The map is bounded
// without forgetting anything a relay could still feel: when it is full, it
// forgets only idle controls (unused for idleAfter, held by no relay), so
// that no amount of traffic to other targets resets a busy target's
// control. When none is idle (maxBudgets targets busy at once), a relay to
// a further target gets no control of its own: it makes its first attempt
// and no retries, the safe side.
type budgets struct {
	mu    sync.Mutex
	m     map[budgetKey]*held
	swept time.Time // the last sweep of a full map
}

type budgetKey struct {
	target string
	choice policyChoice
}

// held is a control in the map, with what decides when it is idle. users
// and last are guarded by budgets.mu.
type held struct {
	ctl    backoff.Control
	choice policyChoice
	users  int       // relays holding it
	last   time.Time // when a relay last took or released it
}

// overflow is the control of relays that find the map full of busy
// controls: first attempts only.
var overflow = &held{ctl: noRetries{}}

// acquire returns the control a relay to target with choice c asks,
// holding it until release, or nil if c is none.
func (b *budgets) acquire(now time.Time, target string, c policyChoice) *held {
	if c.policy == nil {
		return nil
	}
	k := budgetKey{target, c}
	b.mu.Lock()
	defer b.mu.Unlock()
	h, ok := b.m[k]
	if !ok {
		if b.m == nil {
			b.m = make(map[budgetKey]*held)
		}
		if len(b.m) >= maxBudgets && !b.sweep(now) {
			return overflow
		}
		h = &held{ctl: c.policy.control(c.p), choice: c}
		b.m[k] = h
	}
	h.users++
	h.last = now
	return h
}

// release ends a relay's hold on h (nil or overflow: nothing).
func (b *budgets) release(now time.Time, h *held) {
	if h == nil || h == overflow {
		return
	}
	b.mu.Lock()
	h.users--
	h.last = now
	b.mu.Unlock()
}

// sweep forgets every idle control, at most once every sweepEvery, and
// reports whether the map has room now. b.mu is held.
func (b *budgets) sweep(now time.Time) bool {
	if !b.swept.IsZero() && now.Sub(b.swept) < sweepEvery {
		return false
	}
	b.swept = now
	for k, h := range b.m {
		if h.users == 0 && now.Sub(h.last) >= idleAfter {
			delete(b.m, k)
		}
	}
	return len(b.m) < maxBudgets
}

// size returns how many controls the node holds.
func (b *budgets) size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.m)
}

// name says which control refused a retry, for the log.
func (h *held) name(target string) string {
	if h == overflow {
		return "the node's bound on retry controls"
	}
	return h.choice.policy.label + " for " + target
}

// refusal says why a relay gave up after h refused its attempt n + 1
// (retry n; n = 0 is the first attempt).
func (h *held) refusal(target string, n int) string {
	what := fmt.Sprintf("retry %d", n)
	if n == 0 {
		what = "attempt 1"
	}
	if h == overflow {
		return fmt.Sprintf("%s refused: the node holds retry controls for %d other targets in use, so a relay to %s makes no retries", what, maxBudgets, target)
	}
	return fmt.Sprintf("%s refused %s (%s)", h.name(target), what, h.choice.policy.rule(h.choice.p))
}

// noRetries allows first attempts only.
type noRetries struct{}

func (noRetries) Allow(_ time.Time, attempt int, _ backoff.Outcome) backoff.Ticket {
	return backoff.Ticket{OK: attempt <= 1, Attempt: attempt}
}

func (noRetries) Done(time.Time, backoff.Ticket, backoff.Outcome) {}

// A policy is a retry control a relay may ask for by name in retry_policy,
// with up to four parameters (params, in the order of p).
type policy struct {
	name    string
	label   string // what the logs and give-ups call it: "the retry budget"
	params  []param
	control func(p [4]float64) backoff.Control // a new one, for one target
	rule    func(p [4]float64) string          // the rule, said briefly
}

// A param is a number a policy takes, with its default and valid range;
// open excludes lo (the library's controls read a zero field as "the
// default", so their parameters start above 0).
type param struct {
	key           string
	def, lo, hi   float64
	open, integer bool
}

// defaultPolicy is what a relay asks for when it names none.
const defaultPolicy = "fleet"

// policies are the retry controls a relay can ask for: the fleet-safe
// default, and the published ones it was chosen against (docs/lab.md).
var policies = []*policy{
	{
		name: "fleet", label: "the retry credit",
		params: []param{
			{key: "ratio", def: 1, lo: 0, hi: 10, open: true},
			{key: "credit", def: 5, lo: 1, hi: 1000},
			{key: "fade", def: 30, lo: 0, hi: 86400, open: true},
			{key: "gate", def: 20, lo: 2, hi: 1000},
		},
		control: func(p [4]float64) backoff.Control {
			return &backoff.RetryCredit{Ratio: p[0], Credit: p[1], Fade: backoff.Duration(p[2]), Gate: p[3]}
		},
		rule: func(p [4]float64) string {
			return fmt.Sprintf("retries are held to %s a success, at most %s held, fading over %s s, and stop once failures outrun successes by %s, half the gate of %s",
				num(p[0]), num(p[1]), num(p[2]), num(p[3]/2), num(p[3]))
		},
	},
	{
		name: "budget", label: "the retry budget",
		params: []param{{key: "ratio", def: backoff.DefaultBudgetRatio, lo: 0, hi: 10}, {key: "min_per_second", def: backoff.DefaultBudgetMinPerSecond, lo: 0, hi: 1000}},
		control: func(p [4]float64) backoff.Control {
			return backoff.NewBudget(p[0], p[1], backoff.DefaultBudgetWindow)
		},
		rule: func(p [4]float64) string {
			return fmt.Sprintf("retries are held to %s of first attempts plus %s a second", num(p[0]), num(p[1]))
		},
	},
	{
		name: "grpc", label: "gRPC retry throttling",
		params: []param{{key: "max_tokens", def: 10, lo: 1, hi: 1000}, {key: "token_ratio", def: 0.1, lo: 0, hi: 1, open: true}},
		control: func(p [4]float64) backoff.Control {
			return &backoff.GRPCThrottle{MaxTokens: p[0], TokenRatio: p[1]}
		},
		rule: func(p [4]float64) string {
			return fmt.Sprintf("%s tokens, 1 off a failure, %s back a success, no retries at or below %s", num(p[0]), num(p[1]), num(p[0]/2))
		},
	},
	{
		name: "aws", label: "the AWS retry quota",
		params: []param{{key: "capacity", def: 500, lo: 1, hi: 1e6}, {key: "retry_cost", def: 5, lo: 1, hi: 1e6}, {key: "timeout_cost", def: 10, lo: 1, hi: 1e6}},
		control: func(p [4]float64) backoff.Control {
			return &backoff.AWSQuota{Capacity: p[0], RetryCost: p[1], TimeoutCost: p[2]}
		},
		rule: func(p [4]float64) string {
			return fmt.Sprintf("%s tokens, %s a retry, %s a retry after a timeout, refunded on success", num(p[0]), num(p[1]), num(p[2]))
		},
	},
	{
		name: "adaptive", label: "the AWS adaptive retry mode",
		control: func([4]float64) backoff.Control { return &backoff.AWSAdaptive{} },
		rule: func([4]float64) string {
			return "the AWS retry quota's 500 tokens, and a sending rate that backs off on throttling"
		},
	},
	{
		name: "bucket", label: "the token bucket",
		params: []param{{key: "deposit", def: 0.1, lo: 0, hi: 10, open: true}, {key: "size", def: 5, lo: 1, hi: 1000}},
		control: func(p [4]float64) backoff.Control {
			return &backoff.TokenBucket{Deposit: p[0], Size: p[1]}
		},
		rule: func(p [4]float64) string {
			return fmt.Sprintf("retries are held to %s a success plus %s", num(p[0]), num(p[1]))
		},
	},
	{
		name: "breaker", label: "the circuit breaker",
		params: []param{{key: "failure_ratio", def: 0.5, lo: 0, hi: 1, open: true}, {key: "min_calls", def: 100, lo: 1, hi: 100, integer: true}},
		control: func(p [4]float64) backoff.Control {
			return &backoff.Breaker{FailureRatio: p[0], MinCalls: int(p[1])}
		},
		rule: func(p [4]float64) string {
			return fmt.Sprintf("it opens for 60 s once %s or more of the last 100 attempts fail, counted from attempt %s", num(p[0]), num(p[1]))
		},
	},
	{name: "none", label: "no control"},
}

// lookupPolicy returns the policy of the given name, or nil.
func lookupPolicy(name string) *policy {
	for _, p := range policies {
		if p.name == name {
			return p
		}
	}
	return nil
}

// policyNames lists the policies' names, for the error of a bad one.
func policyNames() []string {
	var names []string
	for _, p := range policies {
		names = append(names, p.name)
	}
	return names
}
