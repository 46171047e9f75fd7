package backoff

import (
	"fmt"
	"time"
)

// A Breaker is a circuit breaker on the failure ratio, with the states and
// defaults of Resilience4j's CircuitBreaker: closed, it lets every attempt
// go and watches outcomes; open, it refuses every attempt, first attempts
// included; half-open, it lets a few probes go and their outcomes decide.
//
// # Model
//
// Closed: the outcomes of the last Window attempts are kept (a count-based
// sliding window). Once it holds at least MinCalls outcomes and
//
//	failures/outcomes ≥ FailureRatio
//
// the breaker opens ("If the failure rate is equal or greater than the
// threshold the CircuitBreaker transitions to open", Resilience4j).
// Failure, Timeout and Throttled count as failures.
//
// Open: every attempt is refused, until OpenFor has passed since it
// opened; then the next Allow finds it half-open.
//
// Half-open: Probes attempts are let go and any more refused. When all
// their outcomes are in, the breaker opens again if failures/Probes ≥
// FailureRatio, else it closes with an empty window. Outcomes of attempts
// let go in an earlier state are not counted as probes.
//
// A breaker stops a dead service's load, retries and first attempts alike,
// after MinCalls outcomes and then sends Probes attempts every OpenFor. It
// does not limit retries while closed: below the threshold it behaves like
// plain retries, and it needs MinCalls outcomes (50 s of a client sending 2
// a second) before it can open at all.
//
// # Defaults
//
//	field         zero value means   source (Resilience4j CircuitBreakerConfig)
//	FailureRatio  0.5                failureRateThreshold 50 %
//	Window        100 attempts       slidingWindowSize 100, COUNT_BASED
//	MinCalls      100                minimumNumberOfCalls 100
//	OpenFor       60 s               waitDurationInOpenState 60 s
//	Probes        10                 permittedNumberOfCallsInHalfOpenState 10
//
// Resilience4j's slow-call rate and time-based window are not modelled.
//
// # Zero value and concurrency
//
// The zero Breaker uses the defaults. Set the fields before first use; a
// negative field, a FailureRatio above 1 or MinCalls above Window makes it
// refuse every retry (first attempts still go, and are counted). Time is
// passed in, and a time earlier than one already seen counts as that one.
// The window is allocated at first use; after that Allow and Done allocate
// nothing. A Breaker is safe for concurrent use; it must not be copied
// after first use.
type Breaker struct {
	FailureRatio float64
	Window       int
	MinCalls     int
	OpenFor      time.Duration
	Probes       int

	ctlState
	clock    ctlClock
	ratio    float64
	minCalls int
	openFor  float64
	probes   int

	state    breakerState
	window   []bool // failed, by attempt, a ring
	next, n  int    // the ring's next slot, and how many it holds
	fails    int    // failures in the ring
	openedAt float64
	gen      int // half-open periods so far: a probe's Ticket.Cost
	sentOut  int // probes let go in this half-open period
	back     int // their outcomes in
	backFail int // of which failures
}

type breakerState int

const (
	breakerClosed breakerState = iota
	breakerOpen
	breakerHalfOpen
)

// setup reads the fields, once: see [ctlState.enter].
func (b *Breaker) setup() {
	b.ratio = ctlShare(&b.invalid, "Breaker.FailureRatio", b.FailureRatio, 0.5)
	size := b.intField("Breaker.Window", b.Window, 100)
	b.minCalls = b.intField("Breaker.MinCalls", b.MinCalls, 100)
	b.probes = b.intField("Breaker.Probes", b.Probes, 10)
	b.openFor = ctlField(&b.invalid, "Breaker.OpenFor", b.OpenFor.Seconds(), 60)
	if b.minCalls > size && b.invalid == nil {
		b.invalid = fmt.Errorf("%w: Breaker.MinCalls %d is more than Breaker.Window %d", errControl, b.minCalls, size)
	}
	b.window = make([]bool, size)
}

// intField is field for a count, at most 1<<20 (a window that size is 1
// MiB, more than any breaker needs).
func (b *Breaker) intField(name string, v, def int) int {
	f := ctlField(&b.invalid, name, float64(v), float64(def))
	if f > 1<<20 && b.invalid == nil {
		b.invalid = fmt.Errorf("%w: %s is %d, want at most %d", errControl, name, v, 1<<20)
	}
	return int(min(f, 1<<20))
}

func (b *Breaker) validate() error { return b.check(b.setup) }

// Allow implements [Control]: closed, every attempt goes; open, none does;
// half-open, the first Probes do (their Ticket.Cost marks them as probes of
// this half-open period).
func (b *Breaker) Allow(now time.Time, attempt int, _ Outcome) Ticket {
	defer b.enter(b.setup).Unlock()
	t := b.clock.seconds(now)
	if b.invalid != nil && attempt > 1 {
		return refusal(attempt)
	}
	if b.state == breakerOpen && t-b.openedAt >= b.openFor {
		b.state, b.gen = breakerHalfOpen, b.gen+1
		b.sentOut, b.back, b.backFail = 0, 0, 0
	}
	switch {
	case b.state == breakerClosed:
		return Ticket{OK: true, Attempt: attempt}
	case b.state == breakerHalfOpen && b.sentOut < b.probes:
		b.sentOut++
		return Ticket{OK: true, Attempt: attempt, Cost: float64(b.gen)}
	}
	return refusal(attempt)
}

// Done implements [Control]: closed, the outcome joins the window and may
// open the breaker; half-open, a probe's outcome is counted and the last
// one closes or reopens it. A probe given back unsent (the zero Outcome)
// frees its place.
func (b *Breaker) Done(now time.Time, tk Ticket, o Outcome) {
	defer b.enter(b.setup).Unlock()
	t := b.clock.seconds(now)
	probe := b.state == breakerHalfOpen && tk.Cost == float64(b.gen)
	switch {
	case !wasSent(o):
		if probe {
			b.sentOut--
		}
	case b.state == breakerClosed:
		b.record(isFailure(o))
		if b.n >= b.minCalls && float64(b.fails) >= b.ratio*float64(b.n) {
			b.trip(t)
		}
	case probe:
		b.back++
		if isFailure(o) {
			b.backFail++
		}
		if b.back < b.probes {
			return
		}
		if float64(b.backFail) >= b.ratio*float64(b.back) {
			b.trip(t)
		} else {
			b.state = breakerClosed
		}
	}
}

// record adds an outcome to the ring.
func (b *Breaker) record(fail bool) {
	if b.n == len(b.window) {
		if b.window[b.next] {
			b.fails--
		}
	} else {
		b.n++
	}
	b.window[b.next] = fail
	if fail {
		b.fails++
	}
	b.next = (b.next + 1) % len(b.window)
}

// trip opens the breaker at t with an empty window.
func (b *Breaker) trip(t float64) {
	b.state, b.openedAt = breakerOpen, t
	clear(b.window)
	b.next, b.n, b.fails = 0, 0, 0
}

// State returns "closed", "open" or "half-open" as of the last call; an
// open breaker whose OpenFor has passed turns half-open at the next Allow.
func (b *Breaker) State() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case breakerOpen:
		return "open"
	case breakerHalfOpen:
		return "half-open"
	}
	return "closed"
}
