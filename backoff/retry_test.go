package backoff_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/backoff/catalog"
)

var errFlaky = errors.New("flaky")

// schedule returns the first n delays of the schedule WithSeed(seed) names
// for s, before Retry's cap.
func schedule(s backoff.Strategy, n int, seed uint64) []float64 {
	c := backoff.Cursor{Strategy: s, Key: catalog.NewRand(seed).Uint64()}
	d := make([]float64, n)
	c.Fill(d)
	return d
}

// flaky returns an op that fails n times with err, then returns "ok",
// counting its calls.
func flaky(n int, err error, calls *int) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		*calls++
		if *calls <= n {
			return "", err
		}
		return "ok", nil
	}
}

// TestRetrySucceeds: a call that fails three times succeeds on the fourth
// attempt, after sleeping exactly the first three delays of the schedule
// (fake time, so the elapsed time is exact), each announced to Notify.
func TestRetrySucceeds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := backoff.Exponential{Base: 0.1, Max: 10, Jitter: 0.5}
		want := schedule(s, 3, 7)
		var events []backoff.RetryEvent
		calls := 0
		start := time.Now()
		v, err := backoff.Retry(t.Context(), flaky(3, errFlaky, &calls),
			backoff.WithStrategy(s), backoff.WithSeed(7), backoff.WithNotify(func(e backoff.RetryEvent) { events = append(events, e) }))
		if err != nil || v != "ok" || calls != 4 {
			t.Fatalf("Retry = %q, %v after %d calls; want ok after 4", v, err, calls)
		}
		var total time.Duration
		for i, e := range events {
			if d := backoff.Duration(want[i]); e.Delay != d || e.Attempt != i+1 || e.Err != errFlaky || e.Elapsed != total {
				t.Errorf("event %d = %+v, want attempt %d, delay %v, elapsed %v", i, e, i+1, d, total)
			}
			total += e.Delay
		}
		if len(events) != 3 || time.Since(start) != total {
			t.Errorf("%d events, %v elapsed; want 3 and %v", len(events), time.Since(start), total)
		}
	})
}

func TestRetryStops(t *testing.T) {
	permanent := errors.New("bad request")
	tests := []struct {
		name     string
		fails    int
		err      error
		opts     []backoff.Option
		reason   backoff.StopReason
		attempts int
		is       error
	}{
		{"permanent stops at once", 100, backoff.Permanent(permanent), nil, backoff.ReasonPermanent, 1, permanent},
		{"retries exhausted", 100, errFlaky, []backoff.Option{backoff.WithMaxRetries(3)}, backoff.ReasonRetriesExhausted, 4, errFlaky},
		{"default: 6 attempts", 100, errFlaky, nil, backoff.ReasonRetriesExhausted, 6, errFlaky},
		{"zero retries means the default", 100, errFlaky, []backoff.Option{backoff.WithMaxRetries(0)}, backoff.ReasonRetriesExhausted, 6, errFlaky},
		{"one retry", 100, errFlaky, []backoff.Option{backoff.WithMaxRetries(1)}, backoff.ReasonRetriesExhausted, 2, errFlaky},
		{"max elapsed", 100, errFlaky, []backoff.Option{backoff.WithMaxRetries(-1), backoff.WithStrategy(backoff.Constant{Interval: 1}), backoff.WithMaxElapsed(3500 * time.Millisecond)}, backoff.ReasonMaxElapsed, 4, errFlaky},
		{"budget", 100, errFlaky, []backoff.Option{backoff.WithControl(backoff.NewBudget(0, 0.2, 10*time.Second))}, backoff.ReasonRefused, 3, errFlaky},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				calls := 0
				_, err := backoff.Retry(t.Context(), flaky(tt.fails, tt.err, &calls), append([]backoff.Option{backoff.WithSeed(1)}, tt.opts...)...)
				var re *backoff.RetryError
				if !errors.As(err, &re) {
					t.Fatalf("error %v is not a *RetryError", err)
				}
				if re.Reason != tt.reason || re.Attempts != tt.attempts || calls != tt.attempts || !errors.Is(err, tt.is) {
					t.Errorf("%v: reason %v, %d attempts (%d calls); want %v, %d, wrapping %v", err, re.Reason, re.Attempts, calls, tt.reason, tt.attempts, tt.is)
				}
			})
		})
	}
}

// TestRetryContext: a cancelled context ends the sleep at once; the error
// says so and wraps both the context's error and the last error.
func TestRetryContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(250*time.Millisecond, cancel)
		calls := 0
		start := time.Now()
		_, err := backoff.Retry(ctx, flaky(100, errFlaky, &calls), backoff.WithStrategy(backoff.Constant{Interval: 1}), backoff.WithSeed(1))
		var re *backoff.RetryError
		if !errors.As(err, &re) || re.Reason != backoff.ReasonContext || !errors.Is(err, context.Canceled) || !errors.Is(err, errFlaky) {
			t.Fatalf("error %v, want ReasonContext wrapping context.Canceled and the last error", err)
		}
		if took := time.Since(start); took != 250*time.Millisecond || calls != 1 {
			t.Errorf("stopped after %v and %d calls, want 250ms and 1", took, calls)
		}
	})
}

// TestRetryAttemptTimeout: each attempt's context has the attempt timeout,
// and attempts that ran out of it are named by ErrAttemptTimeout, not by
// the caller's context.DeadlineExceeded.
func TestRetryAttemptTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		_, err := backoff.Retry(t.Context(), func(ctx context.Context) (int, error) {
			calls++
			<-ctx.Done() // a call that hangs until its own timeout
			return 0, ctx.Err()
		}, backoff.WithAttemptTimeout(time.Second), backoff.WithMaxRetries(2), backoff.WithSeed(1))
		if !errors.Is(err, backoff.ErrAttemptTimeout) || errors.Is(err, context.DeadlineExceeded) || calls != 3 {
			t.Errorf("error %v after %d calls, want ErrAttemptTimeout (and not the caller's DeadlineExceeded) after 3", err, calls)
		}
	})
}

// TestRetryAfter: RetryAfter lengthens a delay, past the max delay too:
// the server said when to come back.
func TestRetryAfter(t *testing.T) {
	for _, tt := range []struct{ after, max, want time.Duration }{
		{5 * time.Second, 10 * time.Second, 5 * time.Second},
		{time.Minute, 10 * time.Second, time.Minute},
		{time.Millisecond, 10 * time.Second, 0}, // shorter than the strategy's: the strategy's
	} {
		synctest.Test(t, func(t *testing.T) {
			var got time.Duration
			calls := 0
			_, err := backoff.Retry(t.Context(), flaky(1, backoff.RetryAfter(errFlaky, tt.after), &calls),
				backoff.WithMaxDelay(tt.max), backoff.WithSeed(1), backoff.WithNotify(func(e backoff.RetryEvent) { got = e.Delay }))
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == 0 {
				tt.want = backoff.Duration(schedule(backoff.Exponential{Base: 0.1, Max: 10, Jitter: 0.5}, 1, 1)[0])
			}
			if got != tt.want {
				t.Errorf("Retry-After %v, max %v: slept %v, want %v", tt.after, tt.max, got, tt.want)
			}
		})
	}
}

// TestZeroExponentialDoesNotSpin: the zero Exponential waits the default
// base, doubling, without cap.
func TestZeroExponentialDoesNotSpin(t *testing.T) {
	got := schedule(backoff.Exponential{}, 4, 1)
	for k, d := range got {
		if want := 0.1 * float64(int(1)<<k); d != want {
			t.Errorf("zero Exponential delay %d = %v, want %v", k, d, want)
		}
	}
}

// BenchmarkRetryAttempt: a call of 101 attempts that all fail, with zero
// delays; ns/attempt is the cost of one failed attempt.
func BenchmarkRetryAttempt(b *testing.B) {
	err := errors.New("x")
	op := func(context.Context) (int, error) { return 0, err }
	ctx := context.Background()
	opts := []backoff.Option{backoff.WithStrategy(backoff.Constant{Interval: 0}), backoff.WithMaxRetries(100), backoff.WithSeed(1)}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = backoff.Retry(ctx, op, opts...)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*101), "ns/attempt")
}

// BenchmarkRetryDelay: a call of 4 attempts that all fail, with a real
// delay of 1 µs before each retry (so 3 sleeps on a timer); allocs/op is
// per call. cenkalti/backoff/v5 is measured on the same call in
// docs/performance.md.
func BenchmarkRetryDelay(b *testing.B) {
	err := errors.New("x")
	op := func(context.Context) (int, error) { return 0, err }
	ctx := context.Background()
	opts := []backoff.Option{backoff.WithStrategy(backoff.Constant{Interval: 1e-6}), backoff.WithMaxRetries(3), backoff.WithSeed(1)}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = backoff.Retry(ctx, op, opts...)
	}
}

func Example_retry() {
	// A call that fails twice, then answers.
	calls := 0
	fetch := func(ctx context.Context) (string, error) {
		calls++
		if calls < 3 {
			return "", fmt.Errorf("attempt %d: service unavailable", calls)
		}
		return "hello", nil
	}
	v, err := backoff.Retry(context.Background(), fetch,
		backoff.WithStrategy(backoff.Exponential{Base: 0.001, Max: 0.01, Jitter: 0.5}),
		backoff.WithMaxRetries(5),
		backoff.WithNotify(func(e backoff.RetryEvent) {
			fmt.Printf("attempt %d failed (%v); retrying\n", e.Attempt, e.Err)
		}))
	fmt.Println(v, err, calls)
	// Output:
	// attempt 1 failed (attempt 1: service unavailable); retrying
	// attempt 2 failed (attempt 2: service unavailable); retrying
	// hello <nil> 3
}

func ExamplePermanent() {
	_, err := backoff.Retry(context.Background(), func(context.Context) (int, error) {
		return 0, backoff.Permanent(errors.New("400 bad request"))
	})
	var re *backoff.RetryError
	errors.As(err, &re)
	fmt.Println(re.Reason, re.Attempts, re.Last)
	// Output:
	// permanent error 1 400 bad request
}

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
