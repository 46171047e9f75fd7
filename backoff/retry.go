package backoff

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/backoff-node/backoff-node/backoff/internal/draw"
)

// Defaults of Retry. With them a call is tried up to 6 times, and the
// delays before retries 0, 1, 2, ... are Exponential with base 100 ms,
// jitter 0.5 and cap 10 s:
//
//	retry   0            1            2            3            4
//	delay   [100,150) ms [200,300) ms [400,600) ms [0.8,1.2) s  [1.6,2.4) s
//
// so that a call that never succeeds gives up after about 3.1 to 4.6 s of
// sleeping. There is no limit on elapsed time and no budget unless asked.
const (
	// DefaultRetryBase is the first delay before jitter.
	DefaultRetryBase = 100 * time.Millisecond
	// DefaultRetryJitter is the jitter fraction of the default strategy.
	DefaultRetryJitter = 0.5
	// DefaultRetryMaxDelay caps every delay, Retry-After included.
	DefaultRetryMaxDelay = 10 * time.Second
	// DefaultRetryMaxRetries is how many retries follow the first attempt.
	DefaultRetryMaxRetries = 5
)

// An Option configures Retry.
type Option func(*retryConfig)

type retryConfig struct {
	strategy       Strategy
	maxDelay       time.Duration
	key            uint64
	keySet         bool
	maxRetries     int
	maxElapsed     time.Duration
	attemptTimeout time.Duration
	budget         *Budget
	notify         func(RetryEvent)
}

// WithStrategy sets the strategy of the delays (default: Exponential with
// DefaultRetryBase and DefaultRetryJitter). Its delays are capped at the
// max delay (WithMaxDelay).
func WithStrategy(s Strategy) Option { return func(c *retryConfig) { c.strategy = s } }

// WithMaxDelay caps every delay, and every Retry-After, at d (default
// DefaultRetryMaxDelay).
func WithMaxDelay(d time.Duration) Option { return func(c *retryConfig) { c.maxDelay = d } }

// WithRand draws the schedule's randomness from r: one Uint64, the
// schedule's key. Without it (or WithSeed) Retry seeds from the operating
// system, so that clients that start together do not retry in lockstep.
func WithRand(r *rand.Rand) Option {
	return func(c *retryConfig) { c.key, c.keySet = r.Uint64(), true }
}

// WithSeed makes the schedule a function of seed, as NewRand(seed) would
// draw it: the same seed, the same delays.
func WithSeed(seed uint64) Option { return WithRand(draw.NewRand(seed)) }

// WithMaxRetries sets how many retries may follow the first attempt
// (default DefaultRetryMaxRetries); a negative n means no limit, which
// then needs another (elapsed, budget, context).
func WithMaxRetries(n int) Option { return func(c *retryConfig) { c.maxRetries = n } }

// WithMaxElapsed stops retrying when the next retry would start more than
// d after the first attempt.
func WithMaxElapsed(d time.Duration) Option { return func(c *retryConfig) { c.maxElapsed = d } }

// WithAttemptTimeout gives each attempt's context a timeout of d.
func WithAttemptTimeout(d time.Duration) Option { return func(c *retryConfig) { c.attemptTimeout = d } }

// WithBudget makes every call spend b: the first attempt adds to it, each
// retry asks it, and a refused retry stops the call (ReasonBudget). Share
// one Budget among all calls to a service.
func WithBudget(b *Budget) Option { return func(c *retryConfig) { c.budget = b } }

// WithNotify calls f before each retry's sleep, on the goroutine that
// called Retry.
func WithNotify(f func(RetryEvent)) Option { return func(c *retryConfig) { c.notify = f } }

// A RetryEvent describes a failed attempt that will be retried.
type RetryEvent struct {
	Attempt int           // the attempt that failed, from 1
	Err     error         // its error
	Delay   time.Duration // the sleep before the next attempt
	Elapsed time.Duration // since the first attempt began
}

// A StopReason says why Retry stopped without success.
type StopReason int

// The reasons Retry stops.
const (
	ReasonPermanent        StopReason = iota + 1 // the operation returned a Permanent error
	ReasonRetriesExhausted                       // every attempt allowed was made
	ReasonMaxElapsed                             // the next retry would start after WithMaxElapsed
	ReasonBudget                                 // the Budget refused the retry
	ReasonContext                                // the context was done
)

func (r StopReason) String() string {
	switch r {
	case ReasonPermanent:
		return "permanent error"
	case ReasonRetriesExhausted:
		return "retries exhausted"
	case ReasonMaxElapsed:
		return "max elapsed time reached"
	case ReasonBudget:
		return "retry budget refused a retry"
	case ReasonContext:
		return "context done"
	}
	return fmt.Sprintf("StopReason(%d)", int(r))
}

// A RetryError is what Retry returns when it stops without success. It
// wraps the last error of the operation (unwrapped from Permanent and
// RetryAfter) and, when the context stopped it, the context's error, so
// errors.Is finds either.
type RetryError struct {
	Reason   StopReason
	Attempts int           // attempts made
	Elapsed  time.Duration // since the first attempt began
	Last     error         // the last attempt's error; nil if none was made
	ctxErr   error
}

func (e *RetryError) Error() string {
	msg := fmt.Sprintf("backoff: %s after %d attempts in %v", e.Reason, e.Attempts, e.Elapsed.Round(time.Millisecond))
	if e.Last != nil {
		msg += ": " + e.Last.Error()
	}
	if e.ctxErr != nil && !errors.Is(e.Last, e.ctxErr) {
		msg += " (" + e.ctxErr.Error() + ")"
	}
	return msg
}

// Unwrap returns the last error and the context's error, if any.
func (e *RetryError) Unwrap() []error {
	var errs []error
	if e.Last != nil {
		errs = append(errs, e.Last)
	}
	if e.ctxErr != nil {
		errs = append(errs, e.ctxErr)
	}
	return errs
}

type permanentError struct{ err error }

func (p *permanentError) Error() string { return p.err.Error() }
func (p *permanentError) Unwrap() error { return p.err }

// Permanent marks err as not worth retrying: Retry stops at once and
// returns a RetryError with ReasonPermanent wrapping err. Permanent(nil)
// is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type retryAfterError struct {
	err   error
	after time.Duration
}

func (r *retryAfterError) Error() string { return r.err.Error() }
func (r *retryAfterError) Unwrap() error { return r.err }

// RetryAfter marks err as retryable no sooner than d from now, as an HTTP
// 429 or 503 with a Retry-After header asks: the next delay is the larger of
// d and the strategy's, and never more than the max delay.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{err, d}
}

// Retry calls op until it succeeds, returns a Permanent error, or a limit
// stops it, sleeping the strategy's delays between attempts. The sleep ends
// early when ctx is done. Each attempt gets ctx, with WithAttemptTimeout's
// timeout if set. When it stops without success it returns a *RetryError
// saying why.
//
//	v, err := backoff.Retry(ctx, fetch, backoff.WithMaxRetries(3), backoff.WithSeed(1))
//
// With the defaults (see DefaultRetryBase) it makes at most 6 attempts.
// Retry sleeps with a timer that it stops on ctx.Done, and starts no
// goroutine.
func Retry[T any](ctx context.Context, op func(context.Context) (T, error), opts ...Option) (T, error) {
	c := retryConfig{maxDelay: DefaultRetryMaxDelay, maxRetries: DefaultRetryMaxRetries}
	for _, o := range opts {
		o(&c)
	}
	if c.strategy == nil {
		c.strategy = Exponential{Base: DefaultRetryBase.Seconds(), Max: c.maxDelay.Seconds(), Jitter: DefaultRetryJitter}
	}
	if !c.keySet {
		c.key = osKey()
	}
	cursor := NewCursor(Capped{S: c.strategy, Max: c.maxDelay.Seconds()}, c.key)
	start := time.Now()
	if c.budget != nil {
		c.budget.Request(start)
	}
	var zero T
	stop := func(r StopReason, attempts int, last, ctxErr error) (T, error) {
		return zero, &RetryError{Reason: r, Attempts: attempts, Elapsed: time.Since(start), Last: last, ctxErr: ctxErr}
	}
	var last error
	var perm *permanentError // targets of errors.As, declared once: each would be an allocation
	var ra *retryAfterError
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return stop(ReasonContext, attempt-1, last, err)
		}
		v, err := attemptOnce(ctx, op, c.attemptTimeout)
		if err == nil {
			return v, nil
		}
		if errors.As(err, &perm) {
			return stop(ReasonPermanent, attempt, perm.err, nil)
		}
		delay := Duration(cursor.Next())
		if errors.As(err, &ra) {
			delay = min(max(delay, ra.after), c.maxDelay)
			err = ra.err
		}
		last = err
		if c.maxRetries >= 0 && attempt > c.maxRetries {
			return stop(ReasonRetriesExhausted, attempt, last, nil)
		}
		now := time.Now()
		elapsed := now.Sub(start)
		if c.maxElapsed > 0 && elapsed+delay > c.maxElapsed {
			return stop(ReasonMaxElapsed, attempt, last, nil)
		}
		if c.budget != nil && !c.budget.AllowRetry(now) {
			return stop(ReasonBudget, attempt, last, nil)
		}
		if c.notify != nil {
			c.notify(RetryEvent{Attempt: attempt, Err: err, Delay: delay, Elapsed: elapsed})
		}
		if err := sleep(ctx, delay); err != nil {
			return stop(ReasonContext, attempt, last, err)
		}
	}
}

func attemptOnce[T any](ctx context.Context, op func(context.Context) (T, error), timeout time.Duration) (T, error) {
	if timeout <= 0 {
		return op(ctx)
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return op(actx)
}

// sleep waits d or until ctx is done, whichever comes first, and stops its
// timer either way.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// osKey is a schedule key from the operating system: a default that
// cannot put a fleet of clients in lockstep, as a constant or the clock
// could.
func osKey() uint64 {
	var b [8]byte
	_, _ = cryptorand.Read(b[:]) // never fails on Linux (Go 1.24+ crashes rather than return an error)
	return binary.LittleEndian.Uint64(b[:])
}
