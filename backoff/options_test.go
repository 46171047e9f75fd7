package backoff_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
)

// delays runs a call that always fails with opts and returns the delays
// Retry announced, in fake time.
func delays(t *testing.T, opts ...backoff.Option) []time.Duration {
	t.Helper()
	var got []time.Duration
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		opts := append(opts, backoff.WithNotify(func(e backoff.RetryEvent) { got = append(got, e.Delay) }))
		if _, err := backoff.Retry(t.Context(), flaky(1000, errFlaky, &calls), opts...); err == nil {
			t.Fatal("a call that always fails succeeded")
		}
	})
	return got
}

// TestSeedIsAValue: one WithSeed option names one schedule, however many
// calls it is passed to; different seeds name different ones; without a
// seed, calls draw different schedules.
func TestSeedIsAValue(t *testing.T) {
	seven := backoff.WithSeed(7)
	a, b := delays(t, seven), delays(t, seven)
	if len(a) != 5 || !equalDurations(a, b) {
		t.Errorf("WithSeed(7) passed twice: %v then %v, want the same 5 delays", a, b)
	}
	if c := delays(t, backoff.WithSeed(8)); equalDurations(a, c) {
		t.Errorf("seeds 7 and 8 both gave %v", a)
	}
	if x, y := delays(t), delays(t); equalDurations(x, y) {
		t.Errorf("two calls without a seed both slept %v: a fleet would retry in lockstep", x)
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestOptionsShared: the same options, used by many goroutines at once, give
// every call the same schedule (and, under -race, no data race).
func TestOptionsShared(t *testing.T) {
	opts := []backoff.Option{backoff.WithSeed(3), backoff.WithMaxRetries(4), backoff.WithStrategy(backoff.FullJitter{Base: 1e-6, Max: 1e-5})}
	want := delays(t, opts...)
	var wg sync.WaitGroup
	got := make([][]time.Duration, 8)
	for i := range got {
		wg.Go(func() {
			calls := 0
			_, _ = backoff.Retry(context.Background(), flaky(100, errFlaky, &calls),
				append(opts[:len(opts):len(opts)], backoff.WithNotify(func(e backoff.RetryEvent) { got[i] = append(got[i], e.Delay) }))...)
		})
	}
	wg.Wait()
	for i, g := range got {
		if !equalDurations(g, want) {
			t.Errorf("goroutine %d slept %v, want %v", i, g, want)
		}
	}
}

// TestInvalidOptions: unusable input is reported before any attempt, as an
// error wrapping ErrInvalidOption, never as a panic.
func TestInvalidOptions(t *testing.T) {
	tests := []struct {
		name  string
		ctx   context.Context
		nilOp bool
		opts  []backoff.Option
	}{
		{"nil op", context.Background(), true, nil},
		{"nil context", nil, false, nil},
		{"zero option", context.Background(), false, []backoff.Option{{}}},
		{"nil strategy", context.Background(), false, []backoff.Option{backoff.WithStrategy(nil)}},
		{"capped nil strategy", context.Background(), false, []backoff.Option{backoff.WithStrategy(backoff.Capped{Max: 1})}},
		{"negative base", context.Background(), false, []backoff.Option{backoff.WithStrategy(backoff.Exponential{Base: -1})}},
		{"NaN jitter", context.Background(), false, []backoff.Option{backoff.WithStrategy(backoff.Exponential{Jitter: math.NaN()})}},
		{"negative interval", context.Background(), false, []backoff.Option{backoff.WithStrategy(backoff.Constant{Interval: -1})}},
		{"negative full jitter max", context.Background(), false, []backoff.Option{backoff.WithStrategy(backoff.FullJitter{Base: 1, Max: -1})}},
		{"infinite decorrelated base", context.Background(), false, []backoff.Option{backoff.WithStrategy(backoff.DecorrelatedJitter{Base: math.Inf(1), Max: 1})}},
		{"negative max delay", context.Background(), false, []backoff.Option{backoff.WithMaxDelay(-time.Second)}},
		{"retries below -1", context.Background(), false, []backoff.Option{backoff.WithMaxRetries(-2)}},
		{"negative max elapsed", context.Background(), false, []backoff.Option{backoff.WithMaxElapsed(-time.Second)}},
		{"negative attempt timeout", context.Background(), false, []backoff.Option{backoff.WithAttemptTimeout(-time.Second)}},
		{"nil control", context.Background(), false, []backoff.Option{backoff.WithControl(nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			op := flaky(0, nil, &calls)
			if tt.nilOp {
				op = nil
			}
			v, err := backoff.Retry(tt.ctx, op, tt.opts...)
			if !errors.Is(err, backoff.ErrInvalidOption) || calls != 0 || v != "" {
				t.Errorf("Retry = %q, %v after %d calls; want an error wrapping ErrInvalidOption and no call", v, err, calls)
			}
		})
	}
}

// TestZeroMeansDefault: a zero max delay is the default cap (10 s), not
// zero delays; WithMaxRetries(-1) means no limit, stopped here by the max
// elapsed time.
func TestZeroMeansDefault(t *testing.T) {
	got := delays(t, backoff.WithMaxDelay(0), backoff.WithMaxRetries(-1), backoff.WithMaxElapsed(time.Minute), backoff.WithSeed(1))
	if len(got) < 8 {
		t.Fatalf("slept %v: want at least 8 retries within a minute", got)
	}
	for k, d := range got {
		if d == 0 || d > 10*time.Second {
			t.Errorf("delay %d = %v, want in (0, 10s]", k, d)
		}
	}
	if got[len(got)-1] != 10*time.Second {
		t.Errorf("last delay %v, want the default cap of 10s", got[len(got)-1])
	}
}

// TestFuncStrategy: a plain function of the retry number is a strategy.
func TestFuncStrategy(t *testing.T) {
	got := delays(t, backoff.WithStrategy(backoff.Func(func(k int) time.Duration { return time.Duration(k+1) * time.Second })), backoff.WithMaxRetries(3))
	if want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}; !equalDurations(got, want) {
		t.Errorf("slept %v, want %v", got, want)
	}
}
