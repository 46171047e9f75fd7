package backoff_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
)

// recorder is a Control that lets attempts through up to limit (all if
// limit is 0), asks each to wait wait, and records every call.
type recorder struct {
	mu    sync.Mutex
	limit int
	wait  time.Duration
	log   []string
}

func (r *recorder) Allow(now time.Time, attempt int, last backoff.Outcome) backoff.Ticket {
	r.mu.Lock()
	defer r.mu.Unlock()
	ok := r.limit == 0 || attempt <= r.limit
	r.log = append(r.log, fmt.Sprintf("allow %d after %v: %v", attempt, last, ok))
	return backoff.Ticket{OK: ok, Wait: r.wait, Attempt: attempt, Cost: 1}
}

func (r *recorder) Done(now time.Time, t backoff.Ticket, o backoff.Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, fmt.Sprintf("done %d: %v", t.Attempt, o))
}

// TestControlOutcomes: Allow comes before every attempt, the first
// included; Done follows each with how it ended: a RetryAfter error is
// Throttled, an attempt past its timeout Timeout, other errors Failure,
// nil Success.
func TestControlOutcomes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errs := []error{errFlaky, backoff.RetryAfter(errFlaky, time.Second), nil, nil}
		calls := 0
		op := func(ctx context.Context) (int, error) {
			calls++
			if calls == 3 {
				<-ctx.Done() // a timeout
				return 0, ctx.Err()
			}
			return calls, errs[calls-1]
		}
		rec := &recorder{}
		v, err := backoff.Retry(t.Context(), op, backoff.WithControl(rec), backoff.WithAttemptTimeout(time.Second))
		want := []string{
			"allow 1 after none: true", "done 1: failure",
			"allow 2 after failure: true", "done 2: throttled",
			"allow 3 after throttled: true", "done 3: timeout",
			"allow 4 after timeout: true", "done 4: success",
		}
		if v != 4 || err != nil || strings.Join(rec.log, "\n") != strings.Join(want, "\n") {
			t.Errorf("Retry = %d, %v; control saw\n%s\nwant\n%s", v, err, strings.Join(rec.log, "\n"), strings.Join(want, "\n"))
		}
	})
}

// TestControlRefuses: a refused attempt is not made, and the call stops
// with ReasonRefused and the last error.
func TestControlRefuses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{limit: 2}
		calls := 0
		_, err := backoff.Retry(t.Context(), flaky(100, errFlaky, &calls), backoff.WithControl(rec))
		var re *backoff.RetryError
		if !errors.As(err, &re) || re.Reason != backoff.ReasonRefused || re.Attempts != 2 || calls != 2 || !errors.Is(err, errFlaky) {
			t.Errorf("%v after %d calls; want ReasonRefused after 2 attempts wrapping the last error", err, calls)
		}
		if n := len(rec.log); n != 5 || rec.log[4] != "allow 3 after failure: false" {
			t.Errorf("control saw %q; want two allowed attempts, then a refusal", rec.log)
		}
	})
}

// TestControlWait: a ticket's Wait is slept before the attempt, on top of
// the strategy's delay; a call cancelled during the wait hands the ticket
// back unsent (Outcome 0) and makes no attempt.
func TestControlWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{wait: 3 * time.Second}
		calls := 0
		start := time.Now()
		_, err := backoff.Retry(t.Context(), flaky(1, errFlaky, &calls), backoff.WithControl(rec), backoff.WithStrategy(backoff.Constant{Interval: 1}))
		if err != nil || time.Since(start) != 7*time.Second {
			t.Errorf("%v after %v, want success after 3 + 1 + 3 s", err, time.Since(start))
		}
	})
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{wait: 3 * time.Second}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		calls := 0
		_, err := backoff.Retry(ctx, flaky(1, errFlaky, &calls), backoff.WithControl(rec))
		if !errors.Is(err, context.DeadlineExceeded) || calls != 0 || len(rec.log) != 2 || rec.log[1] != "done 1: none" {
			t.Errorf("%v after %d calls, control saw %q; want the deadline, no call, the ticket handed back", err, calls, rec.log)
		}
	})
}
