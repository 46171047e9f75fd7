package backoff

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Helpers shared by the retry controls (budget.go, throttle.go, quota.go,
// adaptive.go, bucket.go, breaker.go, credit.go).

// failed reports whether o is an outcome the controls count as a failure.
func failed(o Outcome) bool { return o == Failure || o == Timeout || o == Throttled }

// sent reports whether o says the attempt went out: the zero Outcome handed
// to Done means the caller gave the ticket back unused (it never sent the
// attempt), and a control then returns what it took and learns nothing.
func sent(o Outcome) bool { return o >= Success && o <= Throttled }

// refused is the answer to an attempt a control does not let go.
func refused(attempt int) Ticket { return Ticket{Attempt: attempt} }

// A clock turns the times a control is given into seconds since the first
// one, never going back: a time earlier than one already seen counts as
// that one, as in Budget. The zero clock starts at the first call.
type clock struct {
	started bool
	epoch   time.Time
	last    float64
}

func (c *clock) seconds(now time.Time) float64 {
	if !c.started {
		c.started, c.epoch = true, now
		return 0
	}
	if s := now.Sub(c.epoch).Seconds(); s > c.last {
		c.last = s
	}
	return c.last
}

// errControl is wrapped by every configuration error of a control, so that
// Retry can report it before any attempt.
var errControl = errors.New("backoff: invalid retry control")

// field returns v, or def when v is zero, and records in *err a value that
// is negative, NaN or infinite.
func field(err *error, name string, v, def float64) float64 {
	switch {
	case v == 0:
		return def
	case !(v > 0) || math.IsInf(v, 1):
		if *err == nil {
			*err = fmt.Errorf("%w: %s is %v, want a finite number > 0 (0 is the default)", errControl, name, v)
		}
		return def
	}
	return v
}

// ratioField is field for a share that must also be at most 1.
func ratioField(err *error, name string, v, def float64) float64 {
	r := field(err, name, v, def)
	if r > 1 && *err == nil {
		*err = fmt.Errorf("%w: %s is %v, want at most 1", errControl, name, v)
	}
	return r
}
