package backoff

import (
	"cmp"
	"context"
	cryptorand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// A StopReason says why Retry stopped without success.
type StopReason int

// The reasons Retry stops.
const (
	ReasonPermanent        StopReason = iota + 1 // the operation returned a Permanent error
	ReasonRetriesExhausted                       // every attempt allowed was made
	ReasonMaxElapsed                             // the next attempt would start after WithMaxElapsed
	ReasonRefused                                // the control (WithControl) refused an attempt
	ReasonContext                                // the context was done
)

// String says the reason in words, as RetryError.Error does.
func (r StopReason) String() string {
	switch r {
	case ReasonPermanent:
		return "permanent error"
	case ReasonRetriesExhausted:
		return "retries exhausted"
	case ReasonMaxElapsed:
		return "max elapsed time reached"
	case ReasonRefused:
		return "retry control refused an attempt"
	case ReasonContext:
		return "context done"
	}
	return fmt.Sprintf("StopReason(%d)", int(r))
}

// A RetryError is what Retry returns when it stops without success. It
// wraps the last error of the operation (unwrapped from Permanent and
// RetryAfter) and, when the context stopped it, the context's error and
// its cause (context.Cause), so errors.Is and errors.As find any of them.
type RetryError struct {
	Reason   StopReason
	Attempts int           // attempts made
	Elapsed  time.Duration // since the first attempt began
	Last     error         // the last attempt's error; nil if none was made
	ctxErr   error         // ctx.Err() when the context stopped the call
	cause    error         // context.Cause, when it is not ctxErr
}

// Error says why the call stopped, after how many attempts and how long,
// and the last error.
func (e *RetryError) Error() string {
	msg := fmt.Sprintf("backoff: %s after %d attempts in %v", e.Reason, e.Attempts, e.Elapsed.Round(time.Millisecond))
	if e.Last != nil {
		msg += ": " + e.Last.Error()
	}
	for _, err := range []error{e.ctxErr, e.cause} {
		if err != nil && !errors.Is(e.Last, err) {
			msg += " (" + err.Error() + ")"
		}
	}
	return msg
}

// Unwrap returns the last error, the context's error and its cause, those
// that are set.
func (e *RetryError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.Last, e.ctxErr, e.cause} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

type permanentError struct{ err error }

func (p *permanentError) Error() string { return p.err.Error() }
func (p *permanentError) Unwrap() error { return p.err }

// Permanent marks err as not worth retrying, as a 4xx reply is: Retry stops
// at once and returns a RetryError with ReasonPermanent wrapping err.
// Permanent(nil) is nil.
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
// 429 or 503 with a Retry-After header asks: the next delay is the larger
// of d and the strategy's. The max delay does not cap it, since retrying
// before the server allows it only earns another refusal; WithMaxElapsed
// and the context do (a wait that would end past the max elapsed time
// stops the call at once). A control is told the attempt was Throttled.
// RetryAfter(nil, d) is nil.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{err, d}
}

// ErrAttemptTimeout is wrapped by an attempt's error when the attempt
// failed after its own timeout (WithAttemptTimeout) passed while the
// caller's context was still live. Such an error matches
// ErrAttemptTimeout and not context.DeadlineExceeded, which stays the
// caller's deadline; errors.As still finds the operation's own errors.
var ErrAttemptTimeout = errors.New("backoff: attempt timed out")

// attemptTimeoutError is an attempt's error after its timeout passed.
type attemptTimeoutError struct{ err error }

func (a *attemptTimeoutError) Error() string { return ErrAttemptTimeout.Error() + ": " + a.err.Error() }

// Is hides the attempt context's DeadlineExceeded: it is not the caller's.
func (a *attemptTimeoutError) Is(target error) bool {
	return target == ErrAttemptTimeout || (target != context.DeadlineExceeded && errors.Is(a.err, target))
}

// As lets errors.As reach the operation's error (Unwrap would expose the
// DeadlineExceeded that Is hides).
func (a *attemptTimeoutError) As(target any) bool { return errors.As(a.err, target) }

// Retry calls op until it succeeds, returns a Permanent error, or a limit
// stops it, sleeping the strategy's delays between attempts, and returns
// op's value. When it stops without success it returns the zero T and a
// *RetryError saying why; when its options are unusable it returns the zero
// T and an error wrapping ErrInvalidOption, before any attempt.
//
//	v, err := backoff.Retry(ctx, fetch, backoff.WithMaxRetries(3))
//
// With no options a call makes at most 6 attempts, and the delays before
// retries 0, 1, 2, ... are those of Exponential{Jitter: 0.5} capped at 10 s:
//
//	retry   0            1            2            3            4
//	delay   [100,150) ms [200,300) ms [400,600) ms [0.8,1.2) s  [1.6,2.4) s
//
// so that a call that never succeeds gives up after 3.1 to 4.65 s of
// sleeping; there is no limit on elapsed time and no control. Each call
// draws its schedule's key from the operating system unless given
// WithSeed.
//
// Each attempt gets ctx, with WithAttemptTimeout's timeout if set. Retry
// reads the clock (time.Now) and sleeps on one timer, which it reuses for
// every wait of the call and stops when ctx is done; it starts no goroutine.
func Retry[T any](ctx context.Context, op func(context.Context) (T, error), opts ...Option) (T, error) {
	c := config{maxDelay: defaultMaxDelay, maxRetries: defaultMaxRetries}
	for _, o := range opts {
		c.apply(o)
	}
	var zero T
	if ctx == nil || op == nil {
		c.err = errors.Join(c.err, invalid("nil context or operation"))
	}
	if c.err != nil {
		return zero, c.err
	}
	if c.maxDelay == 0 {
		c.maxDelay = defaultMaxDelay
	}
	if c.maxRetries == 0 {
		c.maxRetries = defaultMaxRetries
	}
	if c.strategy == nil {
		c.strategy = Exponential{Jitter: defaultJitter}
	}
	if !c.keySet {
		c.key = osKey()
	}
	r := retrier[T]{config: c, op: op, cursor: Cursor{Strategy: c.strategy, Key: c.key, max: c.maxDelay.Seconds()}, start: time.Now()}
	defer r.sleeper.stop()
	return r.run(ctx)
}

// retrier is the state of one call of Retry.
type retrier[T any] struct {
	config
	op      func(context.Context) (T, error)
	cursor  Cursor
	start   time.Time
	sleeper sleeper
	last    error   // the last attempt's error
	outcome Outcome // how the last attempt ended
}

// run makes the attempts.
func (r *retrier[T]) run(ctx context.Context) (T, error) {
	var zero T
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			return zero, r.stop(ctx, ReasonContext, attempt-1)
		}
		ticket, reason := r.allow(ctx, attempt)
		if reason != 0 {
			return zero, r.stop(ctx, reason, attempt-1)
		}
		v, err := r.attempt(ctx)
		if r.control != nil {
			r.control.Done(time.Now(), ticket, r.outcome)
		}
		if err == nil {
			return v, nil
		}
		perm, ra := marks(err)
		if perm != nil {
			r.last = perm.err
			return zero, r.stop(ctx, ReasonPermanent, attempt)
		}
		if ctx.Err() != nil { // the caller's context ended the attempt: say so, even after the last one
			r.last = err
			return zero, r.stop(ctx, ReasonContext, attempt)
		}
		delay := Duration(r.cursor.Next())
		if ra != nil {
			delay = max(delay, ra.after)
			err = ra.err
		}
		r.last = err
		if r.maxRetries >= 0 && attempt > r.maxRetries {
			return zero, r.stop(ctx, ReasonRetriesExhausted, attempt)
		}
		elapsed := time.Since(r.start)
		if r.pastMaxElapsed(elapsed, delay) {
			return zero, r.stop(ctx, ReasonMaxElapsed, attempt)
		}
		if r.notify != nil {
			r.notify(RetryEvent{Attempt: attempt, Err: err, Delay: delay, Elapsed: elapsed})
		}
		if !r.sleeper.sleep(ctx, delay) {
			return zero, r.stop(ctx, ReasonContext, attempt)
		}
	}
}

// allow asks the control for the attempt and waits what it says; a nonzero
// reason means the attempt is not made (its ticket, if any, handed back).
func (r *retrier[T]) allow(ctx context.Context, attempt int) (Ticket, StopReason) {
	if r.control == nil {
		return Ticket{}, 0
	}
	t := r.control.Allow(time.Now(), attempt, r.outcome)
	if !t.OK {
		return t, ReasonRefused
	}
	if t.Wait <= 0 {
		return t, 0
	}
	reason := StopReason(0)
	switch {
	case r.pastMaxElapsed(time.Since(r.start), t.Wait):
		reason = ReasonMaxElapsed
	case !r.sleeper.sleep(ctx, t.Wait):
		reason = ReasonContext
	default:
		return t, 0
	}
	r.control.Done(time.Now(), t, 0) // never sent
	return t, reason
}

// attempt calls op once and records how it ended. An error after the
// attempt's own timeout, with ctx still live, is marked as such.
func (r *retrier[T]) attempt(ctx context.Context) (T, error) {
	actx := ctx
	if r.attemptTimeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, r.attemptTimeout)
		defer cancel()
	}
	v, err := r.op(actx)
	switch {
	case err == nil:
		r.outcome = Success
	case actx != ctx && actx.Err() != nil && ctx.Err() == nil:
		if !errors.Is(err, ErrAttemptTimeout) {
			err = &attemptTimeoutError{err}
		}
		r.outcome = Timeout
	default:
		r.outcome = classify(err)
	}
	return v, err
}

// marks finds the Permanent and RetryAfter marks in err's chain. It walks
// the chain by type, not with errors.As, whose reflection would be most of
// the cost of a failed attempt.
func marks(err error) (perm *permanentError, ra *retryAfterError) {
	for err != nil {
		switch e := err.(type) {
		case *permanentError:
			return e, ra
		case *retryAfterError:
			if ra == nil {
				ra = e
			}
		case *attemptTimeoutError:
			err = e.err
			continue
		case interface{ Unwrap() []error }:
			for _, err := range e.Unwrap() {
				if p, r := marks(err); p != nil || r != nil {
					return p, cmp.Or(ra, r)
				}
			}
			return nil, ra
		}
		err = errors.Unwrap(err)
	}
	return nil, ra
}

// classify returns the Outcome of an attempt that failed with err.
func classify(err error) Outcome {
	if errors.Is(err, ErrAttemptTimeout) {
		return Timeout
	}
	if _, ra := marks(err); ra != nil {
		return Throttled
	}
	return Failure
}

// pastMaxElapsed reports whether waiting wait from elapsed would start the
// next attempt past the max elapsed time.
func (r *retrier[T]) pastMaxElapsed(elapsed, wait time.Duration) bool {
	return r.maxElapsed > 0 && elapsed+wait > r.maxElapsed
}

// stop returns the RetryError for reason after attempts attempts.
func (r *retrier[T]) stop(ctx context.Context, reason StopReason, attempts int) error {
	e := &RetryError{Reason: reason, Attempts: attempts, Elapsed: time.Since(r.start), Last: r.last}
	if reason == ReasonContext {
		e.ctxErr = ctx.Err()
		if cause := context.Cause(ctx); cause != e.ctxErr {
			e.cause = cause
		}
	}
	return e
}

// A sleeper waits on one timer, made at the first wait and reused for
// every later one.
type sleeper struct{ t *time.Timer }

// sleep waits d or until ctx is done, and reports whether it waited d.
func (s *sleeper) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	if s.t == nil {
		s.t = time.NewTimer(d)
	} else {
		s.t.Reset(d) // since Go 1.23 a Reset timer delivers no stale tick
	}
	select {
	case <-s.t.C:
		return true
	case <-ctx.Done():
		s.t.Stop()
		return false
	}
}

func (s *sleeper) stop() {
	if s.t != nil {
		s.t.Stop()
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
