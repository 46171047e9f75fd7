package backoff

import (
	"math"
	"time"
)

// A RetryCredit lets a client retry only as often as its calls have
// recently succeeded, and not at all while its failures outrun its
// successes. It is this project's design for a fleet: many quiet clients
// sharing a dead or overloaded service add almost nothing to its load,
// whatever their number, while one client through independent transient
// errors keeps retrying them. It is Brooker's success-funded [TokenBucket]
// with a whole retry earned per success instead of a tenth, no credit
// granted up front, and credit that fades with time; plus gRPC's
// failure-driven stop ([GRPCThrottle]), set to trip at an even failure
// ratio.
//
// # Model
//
// Two counts, moved by outcomes:
//
//   - the credit c, from 0 to Credit, starting at 0: every success (of any
//     attempt) adds Ratio, every retry let go takes 1, and between calls
//     it fades, c ← c·e^(−Δt/Fade), so that credit a client has not used
//     within a few Fade is gone;
//   - the gate g, from 0 to Gate, starting at Gate: every success adds 1,
//     every failure (Failure, Timeout or Throttled) takes 1.
//
// A first attempt always goes and takes nothing. A retry goes only while
//
//	c ≥ 1 and g > Gate/2.
//
// # Bounds
//
// Credit comes only from successes, so whatever the concurrency
//
//	retries ≤ Ratio·successes            over a client's life,
//	retries ≤ Ratio·successes + c(t₁)    over any stretch from t₁,
//
// where c(t₁) ≤ Credit and c(t₁) is at most Ratio times the client's
// successes weighted by e^(−age/Fade). Summed over a fleet, the retries a
// dead service receives after it dies are at most Ratio times the fleet's
// successes of roughly the last Fade before, and never more than Credit a
// client: however many clients there are, a fleet can only retry on
// evidence that the service answered, and a client that never got an
// answer never retries. A call succeeds at most once, so n calls send at
// most n·(1+Ratio) attempts (2 a call at the defaults); in a steady state
// the gate stops retries once failures are more than half the outcomes.
//
// Under independent errors at rate x with 3 retries, a call needs
// x + x² + x³ retries (0.42 at x = 0.3) and earns Ratio·(1 − x⁴) (0.99), so
// a client retries almost as plain retries do. A simulation (the
// repository's docs/controls.md, "Measured"; 50 seeds) measures the fleet
// targets: 20 quiet clients (2 calls a second for 10 s, max retries 3)
// send 1.00 attempts a call to a service that never answered, and 1.20 to
// one that answered them for 10 s and then died (1.23 on the worst seed);
// one client through 30 % independent errors keeps at least 97 % of its
// calls (at least 93 % when it calls only once every 5 s). In a storm (a
// server overloaded for a while, then back), 10, 100 or 1000 clients
// recover within 5 s of its end, also when they had 100 s to build credit
// first, while plain retries do not recover within the run.
//
// # What it cannot tell apart
//
// A lossy service that fails more than half its attempts looks overloaded:
// the gate stops retries to it. An overloaded service that still answers
// more than half the attempts on time looks lossy: retries go on, up to one
// a success. A client calling less often than about once a Fade has too
// little recent evidence to retry at all, lossy service or not.
//
// # Defaults
//
//	field   zero value means   why (the simulation above, 30 % errors, 50 seeds)
//	Ratio   1                  at 0.5, 94.9 % of calls succeed (91.5 % on the worst seed), not 98.6 %
//	Credit  5                  Brooker's bucket size; the most a dead service gets from a client
//	Fade    30 s               at 10 s, a client calling every 5 s keeps 83.5 % of its calls, not
//	                           95.7 %; unfaded, 1000 quiet clients with old credit take 19 s to
//	                           recover from the storm, not 5 s
//	Gate    20                 at 10 (gRPC's maxTokens), runs of failures trip it: 93.7 % of
//	                           calls succeed on the worst seed, not 97.4 %
//
// # Zero value and concurrency
//
// The zero RetryCredit uses the defaults. Set the fields before first use;
// a negative, NaN or infinite field makes it refuse every retry (first
// attempts still go). Time is passed in, and a time earlier than one
// already seen counts as that one. A RetryCredit is safe for concurrent
// use; it must not be copied after first use.
type RetryCredit struct {
	Ratio  float64
	Credit float64
	Fade   time.Duration
	Gate   float64

	ctlState
	clock  ctlClock
	ratio  float64
	credit float64
	fade   float64 // seconds
	gate   float64
	c, g   float64
	at     float64 // when c was last faded, seconds
}

// setup reads the fields, once: see [ctlState.enter].
func (r *RetryCredit) setup() {
	r.ratio = ctlField(&r.invalid, "RetryCredit.Ratio", r.Ratio, 1)
	r.credit = ctlField(&r.invalid, "RetryCredit.Credit", r.Credit, 5)
	r.fade = ctlField(&r.invalid, "RetryCredit.Fade", r.Fade.Seconds(), 30)
	r.gate = ctlField(&r.invalid, "RetryCredit.Gate", r.Gate, 20)
	r.g = r.gate
}

// now fades the credit to now. r.mu is held.
func (r *RetryCredit) now(now time.Time) {
	if t := r.clock.seconds(now); t > r.at {
		if r.c > 0 { // no credit, nothing to fade: skip the exponential
			r.c *= math.Exp(-(t - r.at) / r.fade)
		}
		r.at = t
	}
}

func (r *RetryCredit) validate() error { return r.check(r.setup) }

// Allow implements [Control]: a first attempt always goes; a retry goes if
// there is a whole credit and the gate is above half, and takes the credit.
func (r *RetryCredit) Allow(now time.Time, attempt int, _ Outcome) Ticket {
	if attempt <= 1 {
		return Ticket{OK: true, Attempt: attempt}
	}
	defer r.enter(r.setup).Unlock()
	r.now(now)
	if r.invalid != nil || r.c < 1 || 2*r.g <= r.gate {
		return refusal(attempt)
	}
	r.c--
	return Ticket{OK: true, Attempt: attempt, Cost: 1}
}

// Done implements [Control]: a success adds Ratio to the credit and 1 to
// the gate, a failure takes 1 from the gate; a ticket given back unsent
// (the zero Outcome) returns its credit.
func (r *RetryCredit) Done(now time.Time, t Ticket, o Outcome) {
	defer r.enter(r.setup).Unlock()
	r.now(now)
	switch {
	case !wasSent(o):
		r.c = min(r.credit, r.c+t.Cost)
	case o == Success:
		r.c = min(r.credit, r.c+r.ratio)
		r.g = min(r.gate, r.g+1)
	default:
		r.g = max(0, r.g-1)
	}
}

// Balance returns the credit at time now and the gate's count.
func (r *RetryCredit) Balance(now time.Time) (credit, gate float64) {
	defer r.enter(r.setup).Unlock()
	r.now(now)
	return r.c, r.g
}
