// Package backoff computes retry delays: how long a client should wait before
// each retry of a failed call. It is pure arithmetic. It does no I/O, reads
// no clock and owns no global randomness: every random draw comes from a
// *rand.Rand the caller passes in, so a seed reproduces a schedule exactly, on
// any machine.
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
// A [Strategy] fills a slice with delays, in seconds, for retries
// 0, 1, 2, ... using the random source it is given:
//
//	e := backoff.Exponential{Base: 0.1, Max: 2, Jitter: 0.1}
//	delays := backoff.Schedule(e, 5, backoff.NewRand(42))
//
// To retry a call, use [Retry]: it calls an operation until it succeeds,
// sleeping the strategy's delays (capped), and stops on a [Permanent]
// error, after the max retries or max elapsed time, when a [Budget]
// refuses, or when the context is done, with a [RetryError] saying why:
//
//	v, err := backoff.Retry(ctx, fetch, backoff.WithMaxRetries(3), backoff.WithBudget(budget))
//
// A [Cursor] gives the same delays one at a time in O(1) memory, for retry
// loops of any length; [Capped] bounds any strategy, [Duration] converts a
// delay to a time.Duration without overflow, and a [Budget] bounds retries
// to a share of first attempts. [Exponential] is the formula of the node's
// wire contract.
//
// # Zero values
//
// The zero Exponential is usable: a zero Base means DefaultRetryBase and a
// zero Max means no cap, so it does not spin. The other strategies take
// their fields as given (a zero Base gives zero delays; Retry still stops
// at its max retries). The zero Budget grants no retries. The zero Cursor,
// Capped and Scaled wrap no strategy and are not usable: build them with a
// strategy inside.
package backoff
