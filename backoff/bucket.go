package backoff

import (
	"time"
)

// A TokenBucket is Marc Brooker's retry token bucket ("Fixing retries with
// token buckets and circuit breakers", 2022, his "Adaptive Retries"):
// successes fill a small bucket with a fraction of a token each, and every
// retry needs a whole token from it. In his words: "If it succeeds, it drops
// part of a token into a limited-size token bucket. If the call fails, retry
// up to N times as long as there are (whole) tokens in the bucket. For
// example, each success could deposit 0.1 tokens, and each retry could
// consume 1 token."
//
// # Model
//
// The bucket starts full, at Size tokens. A first attempt always goes and
// takes nothing. A retry goes if the bucket holds at least 1 token, and
// takes 1. Every success (of any attempt) deposits Deposit tokens, up to
// Size. Failures take nothing. So over any stretch of time
//
//	retries ≤ Deposit·successes + Size,
//
// and a client whose calls all fail sends at most Size retries in all
// (tokens are counted in thousandths, so ten deposits of 0.1 make one). It
// behaves like plain retries while failures are below about Deposit of the
// calls, and like "Deposit retries a call" above.
//
// # Defaults
//
//	field    zero value means   source
//	Deposit  0.1                the post's example
//	Size     5                  his simulation (retry_sim, AdaptiveRetryFactory(0.1, 5)), full at start
//
// His simulation deposits on every call rather than every success; this
// type follows the post's words.
//
// # Zero value and concurrency
//
// The zero TokenBucket uses the defaults. Set the fields before first use;
// a negative, NaN or infinite field makes it refuse every retry (first
// attempts still go). A TokenBucket reads no clock and is safe for
// concurrent use; it must not be copied after first use.
type TokenBucket struct {
	Deposit float64
	Size    float64

	ctlState
	// In thousandths of a token, so that ten deposits of 0.1 make exactly
	// one token.
	deposit, size, tokens int64
}

// setup reads the fields, once: see [ctlState.enter].
func (b *TokenBucket) setup() {
	b.deposit = toMilli(ctlField(&b.invalid, "TokenBucket.Deposit", b.Deposit, 0.1))
	b.size = toMilli(ctlField(&b.invalid, "TokenBucket.Size", b.Size, 5))
	b.tokens = b.size
}

func (b *TokenBucket) validate() error { return b.check(b.setup) }

// Allow implements [Control]: a first attempt always goes; a retry takes a
// whole token, or is refused.
func (b *TokenBucket) Allow(_ time.Time, attempt int, _ Outcome) Ticket {
	if attempt <= 1 {
		return Ticket{OK: true, Attempt: attempt}
	}
	defer b.enter(b.setup).Unlock()
	if b.invalid != nil || b.tokens < 1000 {
		return refusal(attempt)
	}
	b.tokens -= 1000
	return Ticket{OK: true, Attempt: attempt, Cost: 1}
}

// Done implements [Control]: a success deposits Deposit; a ticket given
// back unsent (the zero Outcome) returns its token.
func (b *TokenBucket) Done(_ time.Time, t Ticket, o Outcome) {
	defer b.enter(b.setup).Unlock()
	switch {
	case !wasSent(o):
		b.tokens = min(b.size, b.tokens+toMilli(t.Cost))
	case o == Success:
		b.tokens = min(b.size, b.tokens+b.deposit)
	}
}

// Tokens returns what the bucket holds.
func (b *TokenBucket) Tokens() float64 {
	defer b.enter(b.setup).Unlock()
	return float64(b.tokens) / 1000
}
