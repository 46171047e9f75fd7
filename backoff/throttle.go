package backoff

import (
	"math"
	"time"
)

// A GRPCThrottle is gRPC's retry throttling (gRFC A6, "Retry Throttling"):
// a count of tokens that failures lower and successes raise, with retries
// stopped while it is at or below half its maximum. It is driven by the
// failure ratio, not by the number of requests.
//
// # Model
//
// The count starts at MaxTokens. Every attempt that ends in a failure
// (Failure, Timeout or Throttled) lowers it by 1, never below 0; every
// success raises it by TokenRatio, never above MaxTokens. A first attempt
// always goes; a retry goes only while
//
//	count > MaxTokens/2
//
// and takes nothing: it is its outcome that moves the count. In gRFC A6's
// words: "Every failed RPC will decrement the token_count by 1. Every
// successful RPC will increment the token_count by token_ratio. If
// token_count is less than or equal to max_tokens / 2, then RPCs will not be
// retried".
//
// In a steady state retries stop once failures are more than
// TokenRatio/(1+TokenRatio) of the outcomes: 9 % at the defaults. So a
// service that answers nothing gets fewer than MaxTokens/2 retries from
// each client, but retries also stop through independent errors above that
// rate (30 % transient errors are not retried once the count has fallen).
// Every attempt's outcome counts, as gRPC's implementations count each call
// attempt.
//
// # Defaults
//
//	field       zero value means   source
//	MaxTokens   10                 the common setting (A6: 1 to 1000)
//	TokenRatio  0.1                the common setting (C-core counts thousandths)
//
// With the defaults, 5 failures in a row stop retries (10 → 5) and 1
// success then lets them go again (5.1 > 5).
//
// # Zero value and concurrency
//
// The zero GRPCThrottle uses the defaults. Set the fields before first use;
// a negative, NaN or infinite field makes the throttle refuse every retry
// (first attempts still go). A GRPCThrottle reads no clock and is safe for
// concurrent use; it must not be copied after first use.
type GRPCThrottle struct {
	MaxTokens  float64
	TokenRatio float64

	ctlState
	// In thousandths of a token, as gRPC C-core keeps them: A6 gives
	// tokenRatio three decimals, and whole numbers do not drift.
	max, ratio, tokens int64
}

// setup reads the fields, once: see [ctlState.enter].
func (g *GRPCThrottle) setup() {
	g.max = toMilli(ctlField(&g.invalid, "GRPCThrottle.MaxTokens", g.MaxTokens, 10))
	g.ratio = toMilli(ctlField(&g.invalid, "GRPCThrottle.TokenRatio", g.TokenRatio, 0.1))
	g.tokens = g.max
}

func (g *GRPCThrottle) validate() error { return g.check(g.setup) }

// Allow implements [Control]: a first attempt always goes, a retry only
// while the token count is above half its maximum.
func (g *GRPCThrottle) Allow(_ time.Time, attempt int, _ Outcome) Ticket {
	if attempt <= 1 {
		return Ticket{OK: true, Attempt: attempt}
	}
	defer g.enter(g.setup).Unlock()
	if g.invalid != nil || 2*g.tokens <= g.max {
		return refusal(attempt)
	}
	return Ticket{OK: true, Attempt: attempt}
}

// Done implements [Control]: a failure takes a token, a success gives back
// TokenRatio.
func (g *GRPCThrottle) Done(_ time.Time, _ Ticket, o Outcome) {
	if !wasSent(o) {
		return
	}
	defer g.enter(g.setup).Unlock()
	if o == Success {
		g.tokens = min(g.max, g.tokens+g.ratio)
	} else {
		g.tokens = max(0, g.tokens-1000)
	}
}

// Tokens returns the token count.
func (g *GRPCThrottle) Tokens() float64 {
	defer g.enter(g.setup).Unlock()
	return float64(g.tokens) / 1000
}

// toMilli returns x in thousandths, rounded, at most 1e15 (a count no
// throttle reaches).
func toMilli(x float64) int64 { return int64(math.Round(min(x, 1e12) * 1000)) }
