// Package backoff retries calls with jittered, capped exponential backoff:
// [Retry] calls an operation until it succeeds, sleeping between attempts,
// and stops on a [Permanent] error, after its max retries or max elapsed
// time, when a shared retry control refuses, or when the context is done,
// with a [RetryError] saying why.
//
//	import "github.com/backoff-node/backoff-node/backoff"
//
//	v, err := backoff.Retry(ctx, fetch, backoff.WithMaxRetries(3), backoff.WithControl(budget))
//
// Retry is the only part that touches the world: it sleeps on a timer,
// reads the clock (time.Now) and, unless given WithSeed, draws each call's
// schedule key from the operating system (crypto/rand). Everything else is
// pure: a [Strategy] computes the delay before retry k from a key, so a key
// names a schedule on every machine; a [Cursor] walks one; the retry
// controls ([Budget], [GRPCThrottle], [AWSQuota], [AWSAdaptive],
// [TokenBucket], [Breaker], [RetryCredit]) are told the time rather than
// reading it, so a simulation can drive them.
//
// # Why exponential backoff with jitter
//
// When a service is overloaded or briefly down, every client that called it
// sees a failure at nearly the same moment. If they all retry at once, or
// after the same fixed pause, they arrive together again: a thundering herd
// that hits the service at the instant it is weakest, keeps queues full and
// turns a short blip into a long outage, because the retries themselves are
// now the load. Exponential backoff makes each client wait longer after each
// failure (base, 2·base, 4·base, ...), so the total retry rate falls quickly
// while the trouble lasts and congestion can drain, much as TCP backs off on
// packet loss. Doubling alone is not enough: clients that failed together
// still double together and keep colliding in synchronised waves. Jitter
// adds a random part to every delay so that the clients drift apart and
// their retries spread over time instead of arriving in spikes. A cap bounds
// the wait, so that once the service has recovered clients come back within
// a known time rather than sleeping for hours; the cap is applied after the
// jitter so no delay can ever exceed it. Together these let a struggling
// system recover instead of being knocked over again by its own clients.
//
// # Using it
//
// The standard strategies are [Exponential] (Retry's default, with jitter
// 0.5), AWS's [FullJitter], [EqualJitter] and [DecorrelatedJitter], and
// [Constant]; [Func] adapts a plain function of the retry number, and
// [Capped] bounds any strategy. Package catalog, beside this one, holds
// strategies from job queues, blogs and the literature, for comparison.
//
// An HTTP client marks a 4xx reply Permanent, a 429 or 503 with its
// Retry-After ([RetryAfter]), gives each attempt a timeout
// ([WithAttemptTimeout]; attempts that run out of it are reported with
// [ErrAttemptTimeout]) and shares one retry control among all calls to a
// service ([WithControl]), so that retries cannot multiply the load on a
// service that is down: see the example of Retry.
//
// Options are plain values, safe to share between goroutines. A zero
// value means an option's default and a negative one is invalid (except
// WithMaxRetries(-1), no limit); unusable input makes Retry return an
// error wrapping [ErrInvalidOption] before any attempt.
//
// # Zero values
//
// The zero Exponential is usable: a zero Base means 100 ms and a zero Max
// means no cap, so it does not spin. The other strategies take their fields
// as given (a zero Base gives zero delays; Retry still stops at its max
// retries). The zero Cursor and Capped have no strategy and are not usable.
// The controls document their own zero values.
package backoff
