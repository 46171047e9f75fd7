package backoff

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// Helpers shared by the retry controls (budget.go, throttle.go, quota.go,
// adaptive.go, bucket.go, breaker.go, credit.go).

// isFailure reports whether o is an outcome the controls count as a failure.
func isFailure(o Outcome) bool { return o == Failure || o == Timeout || o == Throttled }

// wasSent reports whether o says the attempt went out: the zero Outcome handed
// to Done means the caller gave the ticket back unused (it never sent the
// attempt), and a control then returns what it took and learns nothing.
func wasSent(o Outcome) bool { return o >= Success && o <= Throttled }

// refusal is the answer to an attempt a control does not let go.
func refusal(attempt int) Ticket { return Ticket{Attempt: attempt} }

// A ctlClock turns the times a control is given into seconds since the first
// one, never going back: a time earlier than one already seen counts as
// that one, as in Budget. The zero ctlClock starts at the first call.
type ctlClock struct {
	started bool
	epoch   time.Time
	last    float64
}

func (c *ctlClock) seconds(now time.Time) float64 {
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

// ctlField returns v, or def when v is zero, and records in *err a value that
// is negative, NaN or infinite.
func ctlField(err *error, name string, v, def float64) float64 {
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

// ctlShare is ctlField for a share that must also be at most 1.
func ctlShare(err *error, name string, v, def float64) float64 {
	r := ctlField(err, name, v, def)
	if r > 1 && *err == nil {
		*err = fmt.Errorf("%w: %s is %v, want at most 1", errControl, name, v)
	}
	return r
}

// A ctlState is what a stateful control keeps beside its fields: its lock,
// whether it has read its fields, and the first bad one. Embedded, it gives
// the control one way to take the lock.
type ctlState struct {
	mu      sync.Mutex
	ready   bool
	invalid error
}

// enter locks the control and, on its first use, runs setup to read its
// fields (recording a bad one in invalid); the caller defers Unlock on the
// mutex returned.
func (s *ctlState) enter(setup func()) *sync.Mutex {
	s.mu.Lock()
	if !s.ready {
		s.ready = true
		setup()
	}
	return &s.mu
}

// check is a control's validate: it sets the control up and returns the
// first bad field, so that Retry reports it before any attempt.
func (s *ctlState) check(setup func()) error {
	defer s.enter(setup).Unlock()
	return s.invalid
}
