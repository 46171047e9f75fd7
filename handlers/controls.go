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
	target       string
	ratio, floor float64
}

// held is a control in the map, with what decides when it is idle. users
// and last are guarded by budgets.mu.
type held struct {
	ctl    backoff.Control
	choice budgetChoice // nil control: the overflow
	users  int          // relays holding it
	last   time.Time    // when a relay last took or released it
}

// overflow is the control of relays that find the map full of busy
// controls: first attempts only.
var overflow = &held{ctl: noRetries{}}

// acquire returns the control a relay to target with choice c spends,
// holding it until release, or nil if c turns controls off.
func (b *budgets) acquire(now time.Time, target string, c budgetChoice) *held {
	if c.off {
		return nil
	}
	k := budgetKey{target, c.ratio, c.floor}
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
		h = &held{ctl: finagle{backoff.NewBudget(c.ratio, c.floor, backoff.DefaultBudgetWindow)}, choice: c}
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
		return "the node's bound on retry budgets"
	}
	return "the retry budget for " + target
}

// refusal says why a relay gave up after h refused retry n.
func (h *held) refusal(target string, n int) string {
	if h == overflow {
		return fmt.Sprintf("retry %d refused: the node holds retry budgets for %d other targets in use, so a relay to %s makes no retries", n, maxBudgets, target)
	}
	return fmt.Sprintf("the retry budget for %s refused retry %d (retries are held to %s of first attempts plus %s a second)",
		target, n, num(h.choice.ratio), num(h.choice.floor))
}

// finagle is a backoff.Budget as a backoff.Control: a first attempt adds to
// it, a retry asks it.
type finagle struct{ b *backoff.Budget }

func (f finagle) Allow(now time.Time, attempt int, _ backoff.Outcome) backoff.Ticket {
	if attempt <= 1 {
		f.b.Request(now)
		return backoff.Ticket{OK: true, Attempt: attempt}
	}
	return backoff.Ticket{OK: f.b.AllowRetry(now), Attempt: attempt}
}

func (finagle) Done(time.Time, backoff.Ticket, backoff.Outcome) {}

// noRetries allows first attempts only.
type noRetries struct{}

func (noRetries) Allow(_ time.Time, attempt int, _ backoff.Outcome) backoff.Ticket {
	return backoff.Ticket{OK: attempt <= 1, Attempt: attempt}
}

func (noRetries) Done(time.Time, backoff.Ticket, backoff.Outcome) {}
