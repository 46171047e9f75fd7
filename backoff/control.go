package backoff

import (
	"strconv"
	"time"
)

// A Control decides, across many calls to one service, which attempts may
// be sent: a retry budget, a token bucket, gRPC's retry throttling, a
// circuit breaker. A strategy spreads one call's retries over time; a
// Control bounds how many retries all calls together add to the load, which
// no strategy can do.
//
// Allow is asked, at time now, before every attempt a call would send:
// attempt 1 is the call's first, 2, 3, ... its retries, and last says how
// the attempt before it ended (zero for attempt 1). The Ticket it returns
// says whether the attempt may go, after waiting Wait. Every Ticket with
// OK set is handed back to Done, once, with how that attempt ended, so the
// control can learn from outcomes and give back what it took (Cost).
//
// Time is passed in, as in golang.org/x/time/rate: a Control reads no clock,
// so a simulation drives it with simulated time and a test with fixed
// instants. The controls of this package are safe for concurrent use.
type Control interface {
	Allow(now time.Time, attempt int, last Outcome) Ticket
	Done(now time.Time, t Ticket, o Outcome)
}

// A Ticket is a Control's answer to Allow.
type Ticket struct {
	OK      bool          // the attempt may be sent
	Wait    time.Duration // how long to wait before sending it; 0 is at once
	Attempt int           // the attempt it was asked for, from 1
	Cost    float64       // what the control took for it, its own to interpret in Done
}

// An Outcome is how an attempt ended.
type Outcome int

// The outcomes a Control learns from.
const (
	Success   Outcome = iota + 1 // the service answered; nothing to retry
	Failure                      // a transient error: worth retrying
	Timeout                      // no answer within the attempt's time
	Throttled                    // the service asked the client to slow down (HTTP 429 or 503, Maelstrom code 11)
)

// String names the outcome in lower case (the zero Outcome is "none").
func (o Outcome) String() string {
	switch o {
	case 0:
		return "none"
	case Success:
		return "success"
	case Failure:
		return "failure"
	case Timeout:
		return "timeout"
	case Throttled:
		return "throttled"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}
