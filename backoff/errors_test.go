package backoff_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
)

// TestRetryAfterBounds: a Retry-After longer than the max delay is slept in
// full, and one that would end past the max elapsed time stops the call at
// once instead of sleeping.
func TestRetryAfterBounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		start := time.Now()
		_, err := backoff.Retry(t.Context(), flaky(1, backoff.RetryAfter(errFlaky, 30*time.Second), &calls), backoff.WithMaxDelay(10*time.Second))
		if err != nil || time.Since(start) != 30*time.Second {
			t.Errorf("Retry-After 30s, max delay 10s: %v after %v, want success after 30s", err, time.Since(start))
		}
		calls, start = 0, time.Now()
		_, err = backoff.Retry(t.Context(), flaky(1, backoff.RetryAfter(errFlaky, 30*time.Second), &calls), backoff.WithMaxElapsed(20*time.Second))
		var re *backoff.RetryError
		if !errors.As(err, &re) || re.Reason != backoff.ReasonMaxElapsed || !errors.Is(err, errFlaky) || time.Since(start) != 0 {
			t.Errorf("Retry-After 30s, max elapsed 20s: %v after %v, want ReasonMaxElapsed at once", err, time.Since(start))
		}
	})
}

// TestRetryContextCause: the cause the context was cancelled with is kept,
// along with context.Canceled and the last error.
func TestRetryContextCause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shutdown := errors.New("shutting down")
		ctx, cancel := context.WithCancelCause(t.Context())
		time.AfterFunc(250*time.Millisecond, func() { cancel(shutdown) })
		calls := 0
		_, err := backoff.Retry(ctx, flaky(100, errFlaky, &calls), backoff.WithStrategy(backoff.Constant{Interval: 1}))
		if !errors.Is(err, shutdown) || !errors.Is(err, context.Cause(ctx)) || !errors.Is(err, context.Canceled) || !errors.Is(err, errFlaky) {
			t.Errorf("error %v: want it to wrap the cause, context.Canceled and the last error", err)
		}
	})
}

// TestRetryCauseOnLastAttempt: a context cancelled during the last
// attempt stops the call with ReasonContext and its cause, not with
// ReasonRetriesExhausted.
func TestRetryCauseOnLastAttempt(t *testing.T) {
	shutdown := errors.New("shutting down")
	ctx, cancel := context.WithCancelCause(context.Background())
	_, err := backoff.Retry(ctx, func(ctx context.Context) (int, error) {
		cancel(shutdown)
		return 0, ctx.Err()
	}, backoff.WithMaxRetries(1))
	var re *backoff.RetryError
	if !errors.As(err, &re) || re.Reason != backoff.ReasonContext || re.Attempts != 1 || !errors.Is(err, shutdown) {
		t.Errorf("error %v; want ReasonContext after 1 attempt, wrapping the cause", err)
	}
}

// httpError is a server's reply as an error, for errors.As.
type httpError struct{ code int }

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d", e.code) }

// TestAttemptTimeoutAndDeadline: attempts that time out are named by
// ErrAttemptTimeout while the caller's context is fine, and errors.As
// still finds the operation's error; when the caller's own deadline ends
// the call, context.DeadlineExceeded is what it matches.
func TestAttemptTimeoutAndDeadline(t *testing.T) {
	slow := func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, fmt.Errorf("reading the reply: %w (%w)", &httpError{504}, ctx.Err())
	}
	synctest.Test(t, func(t *testing.T) {
		_, err := backoff.Retry(t.Context(), slow, backoff.WithAttemptTimeout(time.Second), backoff.WithMaxRetries(2))
		var he *httpError
		if !errors.Is(err, backoff.ErrAttemptTimeout) || errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &he) || he.code != 504 {
			t.Errorf("attempts timed out: %v; want ErrAttemptTimeout, not DeadlineExceeded, and the HTTP error", err)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 2500*time.Millisecond)
		defer cancel()
		_, err := backoff.Retry(ctx, slow, backoff.WithAttemptTimeout(time.Hour), backoff.WithMaxRetries(2))
		var re *backoff.RetryError
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, backoff.ErrAttemptTimeout) || !errors.As(err, &re) || re.Reason != backoff.ReasonContext {
			t.Errorf("caller's deadline: %v; want DeadlineExceeded and ReasonContext", err)
		}
	})
}

// TestFailureValue: on failure Retry returns the zero T, whatever the
// operation returned with its error.
func TestFailureValue(t *testing.T) {
	v, err := backoff.Retry(context.Background(), func(context.Context) (int, error) { return 42, backoff.Permanent(errFlaky) })
	if v != 0 || err == nil {
		t.Errorf("Retry = %d, %v; want 0 and an error", v, err)
	}
}

// TestOneTimer: the allocations of a call do not grow with its number of
// sleeps: one timer serves them all.
func TestOneTimer(t *testing.T) {
	allocs := func(retries int) float64 {
		op := func(context.Context) (int, error) { return 0, errFlaky }
		opts := []backoff.Option{backoff.WithStrategy(backoff.Constant{Interval: 1e-6}), backoff.WithMaxRetries(retries), backoff.WithSeed(1)}
		return testing.AllocsPerRun(20, func() { _, _ = backoff.Retry(context.Background(), op, opts...) })
	}
	if few, many := allocs(2), allocs(40); many != few {
		t.Errorf("a call with 2 sleeps allocates %v times, with 40 sleeps %v: want the same", few, many)
	}
}
