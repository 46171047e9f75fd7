package backoff

import (
	"time"
)

// An AWSQuota is the retry quota of the AWS SDKs' standard retry mode: a
// bucket of tokens that retries spend and successes refill, so that retries
// stop when most calls fail and resume as calls succeed again.
//
// # Model
//
// The bucket starts full, at Capacity tokens. A first attempt always goes
// and takes nothing. A retry takes RetryCost tokens, or TimeoutCost when
// the attempt before it timed out (last is Timeout), and is refused when
// the bucket holds fewer than that. When an attempt succeeds, the bucket
// gets back what that attempt took, or NoRetryIncrement when it was a
// first attempt; a failure gives nothing back. The bucket never holds more
// than Capacity. This is botocore's RetryQuotaChecker (retries/standard.py):
// "The HTTP request was successful and was never retried. In that case we
// give _NO_RETRY_INCREMENT back", else "we give back whatever quota was
// associated with the last acquisition".
//
// Against a service that answers nothing, a full bucket pays for
// Capacity/RetryCost = 100 retries (50 after timeouts), and then none until
// calls succeed: the bound is per client, so N clients send up to N·100
// retries. Under independent errors at rate x with 3 retries (and no
// timeouts), a call earns 1 when its first attempt succeeds and loses 5 for
// every failed retry but the one a success refunds, on average
//
//	(1−x) − 5x²(1 + x + x²)   tokens a call,
//
// positive up to x ≈ 0.31: the quota pays for every retry through 30 %
// errors and drains above about 31 %.
//
// # Defaults
//
//	field             zero value means   source
//	Capacity          500                INITIAL_CAPACITY (botocore), INITIAL_RETRY_TOKENS (JS v3)
//	RetryCost         5                  _RETRY_COST, RETRY_COST
//	TimeoutCost       10                 _TIMEOUT_RETRY_REQUEST, TIMEOUT_RETRY_COST
//	NoRetryIncrement  1                  _NO_RETRY_INCREMENT, NO_RETRY_INCREMENT
//
// botocore's newer "2.1" variant (5 after throttling, 14 otherwise) is not
// modelled.
//
// # Zero value and concurrency
//
// The zero AWSQuota uses the defaults. Set the fields before first use; a
// negative, NaN or infinite field makes it refuse every retry (first
// attempts still go). An AWSQuota reads no clock and is safe for concurrent
// use; it must not be copied after first use.
type AWSQuota struct {
	Capacity         float64
	RetryCost        float64
	TimeoutCost      float64
	NoRetryIncrement float64

	ctlState
	q quota
}

// quota is the arithmetic of AWSQuota, shared with AWSAdaptive. Its
// caller holds a lock.
type quota struct {
	invalid                  error
	capacity, retry, timeout float64
	increment, tokens        float64
}

// init reads c's fields. Its caller runs it once.
func (q *quota) init(c *AWSQuota) {
	q.capacity = ctlField(&q.invalid, "AWSQuota.Capacity", c.Capacity, 500)
	q.retry = ctlField(&q.invalid, "AWSQuota.RetryCost", c.RetryCost, 5)
	q.timeout = ctlField(&q.invalid, "AWSQuota.TimeoutCost", c.TimeoutCost, 10)
	q.increment = ctlField(&q.invalid, "AWSQuota.NoRetryIncrement", c.NoRetryIncrement, 1)
	q.tokens = q.capacity
}

func (q *quota) allow(attempt int, last Outcome) Ticket {
	if attempt <= 1 {
		return Ticket{OK: true, Attempt: attempt}
	}
	cost := q.retry
	if last == Timeout {
		cost = q.timeout
	}
	if q.invalid != nil || cost > q.tokens {
		return refusal(attempt)
	}
	q.tokens -= cost
	return Ticket{OK: true, Attempt: attempt, Cost: cost}
}

func (q *quota) done(t Ticket, o Outcome) {
	switch {
	case !wasSent(o): // never sent: give back what it took
		q.tokens = min(q.capacity, q.tokens+t.Cost)
	case o != Success:
	case t.Attempt <= 1:
		q.tokens = min(q.capacity, q.tokens+q.increment)
	default:
		q.tokens = min(q.capacity, q.tokens+t.Cost)
	}
}

// setup reads the fields, once: see [ctlState.enter].
func (a *AWSQuota) setup() {
	a.q.init(a)
	a.invalid = a.q.invalid
}

func (a *AWSQuota) validate() error { return a.check(a.setup) }

// Allow implements [Control]: a first attempt always goes; a retry goes if
// the bucket can pay for it (TimeoutCost after a timeout, else RetryCost),
// and the Ticket's Cost is what it took.
func (a *AWSQuota) Allow(_ time.Time, attempt int, last Outcome) Ticket {
	defer a.enter(a.setup).Unlock()
	return a.q.allow(attempt, last)
}

// Done implements [Control]: a success refunds the ticket's Cost, or
// NoRetryIncrement for a first attempt; a ticket given back unsent (the zero
// Outcome) refunds its Cost.
func (a *AWSQuota) Done(_ time.Time, t Ticket, o Outcome) {
	defer a.enter(a.setup).Unlock()
	a.q.done(t, o)
}

// Tokens returns what the bucket holds.
func (a *AWSQuota) Tokens() float64 {
	defer a.enter(a.setup).Unlock()
	return a.q.tokens
}
