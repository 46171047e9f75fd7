package backoff

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Defaults of a retry budget: Finagle's RetryBudget defaults. Retries may be
// up to a fifth of the first attempts seen over the last ten seconds, plus
// ten retries a second however few first attempts there were.
const (
	// DefaultBudgetRatio is the share of first attempts that may be retried.
	DefaultBudgetRatio = 0.2
	// DefaultBudgetMinPerSecond is the floor: retries a second allowed
	// whatever the first attempts, so that a client that sends little can
	// still retry.
	DefaultBudgetMinPerSecond = 10
	// DefaultBudgetWindow is how far back the budget remembers.
	DefaultBudgetWindow = 10 * time.Second
)

// budgetSlots is how many slots the window is counted in: the window slides
// one slot (a tenth of it) at a time.
const budgetSlots = 10

// A Budget bounds retries to a share of first attempts, so that retrying can
// never multiply the load on a struggling service: when most calls fail,
// retries stop at Ratio extra calls per call instead of 1 + max_retries.
//
// # Model
//
// Over a sliding window of length Window (counted in ten slots, so it slides
// a tenth of a window at a time), a Budget counts first attempts F (calls to
// [Budget.Request]) and granted retries R. A retry is granted when
//
//	R + 1 <= Ratio·F + MinPerSecond·Window
//
// and then counted in R. The second term is a floor: a client that sends a
// few requests a second may still retry each of them. This is Finagle's
// RetryBudget (ratio 0.2, 10 a second, 10 s: the Default constants) and the
// intent of gRPC's retry throttling: retries are a bounded share of first
// attempts, whatever the strategy and max retries of each call.
//
// With Ratio 0.2, MinPerSecond 0 and a 10 s window, after 100 requests within
// the window 20 retries are granted and the 21st is refused until more
// requests arrive or the old ones leave the window.
//
// # Time
//
// Every method takes the current time, as golang.org/x/time/rate does:
// nothing reads a clock, so a simulation drives a Budget with simulated time
// and a test with fixed instants. Times are measured from the first time a
// Budget is given (with the monotonic clock reading when there is one); a
// time earlier than one already seen counts as that one.
//
// # As a Control
//
// A Budget is a [Control]: Allow for attempt 1 records a first attempt (as
// [Budget.Request]) and always lets it go; Allow for a retry asks
// [Budget.AllowRetry]. Done does nothing: a Budget counts attempts, not
// outcomes, so it cannot tell a dead service from a lossy one, and a retry
// given back unsent still counts. Its floor is per Budget: N clients with
// a Budget each may retry N·MinPerSecond times a second against a service
// that answers none of them.
//
// # Zero value and concurrency
//
// The zero Budget grants no retries (Ratio 0, no floor); use [NewBudget]. A
// Budget is safe for concurrent use by multiple goroutines; it must not be
// copied after first use.
type Budget struct {
	ratio     float64
	floor     float64 // MinPerSecond·Window, in retries
	slotWidth time.Duration

	mu      sync.Mutex
	started bool
	epoch   time.Time
	slot    int64 // index of the current slot, counted from epoch
	firsts  [budgetSlots]int64
	retries [budgetSlots]int64
	nFirst  int64 // sum of firsts
	nRetry  int64 // sum of retries
}

// NewBudget returns a budget that grants retries up to ratio times the first
// attempts of the last window, plus minPerSecond a second. It panics if
// ratio or minPerSecond is negative or not finite, or if window is not
// positive: those are programming errors, not conditions to handle.
//
//	b := backoff.NewBudget(backoff.DefaultBudgetRatio, backoff.DefaultBudgetMinPerSecond, backoff.DefaultBudgetWindow)
func NewBudget(ratio, minPerSecond float64, window time.Duration) *Budget {
	switch {
	case !(ratio >= 0) || math.IsInf(ratio, 1):
		panic(fmt.Sprintf("backoff: budget ratio %v, want a finite number >= 0", ratio))
	case !(minPerSecond >= 0) || math.IsInf(minPerSecond, 1):
		panic(fmt.Sprintf("backoff: budget floor %v a second, want a finite number >= 0", minPerSecond))
	case window < budgetSlots:
		panic(fmt.Sprintf("backoff: budget window %v, want at least %dns", window, budgetSlots))
	}
	return &Budget{
		ratio:     ratio,
		floor:     minPerSecond * window.Seconds(),
		slotWidth: window / budgetSlots,
	}
}

// Ratio returns the share of first attempts the budget lets be retried.
func (b *Budget) Ratio() float64 { return b.ratio }

// Request records a first attempt at time now: it adds Ratio to what later
// retries may spend.
func (b *Budget) Request(now time.Time) {
	if b.slotWidth == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	i := b.advance(now)
	b.firsts[i]++
	b.nFirst++
}

// AllowRetry reports whether a retry may be sent at time now and, if so,
// counts it against the budget. A refused retry is not counted.
func (b *Budget) AllowRetry(now time.Time) bool {
	if b.slotWidth == 0 {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	i := b.advance(now)
	if b.balance() < 1 {
		return false
	}
	b.retries[i]++
	b.nRetry++
	return true
}

// Balance returns how many retries the budget would grant at time now, a
// number that may be fractional (Ratio·F is) and is never below zero.
func (b *Budget) Balance(now time.Time) float64 {
	if b.slotWidth == 0 {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(now)
	return max(0, b.balance())
}

func (b *Budget) balance() float64 {
	return b.ratio*float64(b.nFirst) + b.floor - float64(b.nRetry)
}

// advance moves the window to now, forgetting the slots that left it, and
// returns the ring index of now's slot. b.mu is held.
func (b *Budget) advance(now time.Time) int {
	if !b.started {
		b.started, b.epoch = true, now
	}
	slot := int64(now.Sub(b.epoch) / b.slotWidth)
	if steps := slot - b.slot; steps > 0 {
		if steps >= budgetSlots {
			b.firsts, b.retries = [budgetSlots]int64{}, [budgetSlots]int64{}
			b.nFirst, b.nRetry = 0, 0
		} else {
			for s := b.slot + 1; s <= slot; s++ {
				i := s % budgetSlots
				b.nFirst -= b.firsts[i]
				b.nRetry -= b.retries[i]
				b.firsts[i], b.retries[i] = 0, 0
			}
		}
		b.slot = slot
	}
	return int(b.slot % budgetSlots)
}

// Allow implements [Control]: attempt 1 (or less) is recorded as a first
// attempt and always allowed; a retry is allowed if the budget grants it.
// The last outcome is not used.
func (b *Budget) Allow(now time.Time, attempt int, _ Outcome) Ticket {
	if attempt <= 1 {
		b.Request(now)
		return Ticket{OK: true, Attempt: attempt}
	}
	if !b.AllowRetry(now) {
		return refusal(attempt)
	}
	return Ticket{OK: true, Attempt: attempt, Cost: 1}
}

// Done implements [Control]. A Budget does not learn from outcomes.
func (b *Budget) Done(time.Time, Ticket, Outcome) {}
