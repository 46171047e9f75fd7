package herdsim

import (
	"fmt"
	"math"
	"strings"
)

// Bounds of a scenario that keep one run within a second or so and its
// memory bounded (each request holds MaxRetries delays).
const (
	MaxQueue           = 1_000_000
	MaxScenarioRetries = 20
	MaxRTT             = 10   // seconds
	MaxDeadline        = 3600 // seconds
	MaxDeadlineRetries = 10_000
	MaxRejectCost      = 10         // service times
	MaxLoadFactor      = 10         // open-loop rates up to this times the capacity
	MaxDelays          = 20_000_000 // delays held by a run's requests: 160 MB of float64
	MaxHorizon         = 3600       // seconds
	MaxUsers           = 100_000    // closed-loop clients
	MaxFleet           = 100_000    // clients with a policy state of their own
)

// A ScenarioError says which field of a Scenario is out of range. Msg names
// fields in braces ({Queue}), so that a command can name its own flags
// instead (see [ScenarioError.Text]).
type ScenarioError struct {
	Scenario string
	Msg      string
}

func (e *ScenarioError) Error() string {
	return "herdsim: scenario " + e.Scenario + ": " + e.Text(nil)
}

// Text returns the message with each {Field} replaced by names[Field], or
// by the field's own name when names has none.
func (e *ScenarioError) Text(names map[string]string) string {
	var b strings.Builder
	s := e.Msg
	for {
		i := strings.IndexByte(s, '{')
		j := strings.IndexByte(s, '}')
		if i < 0 || j < i {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		field := s[i+1 : j]
		if n, ok := names[field]; ok {
			field = n
		}
		b.WriteString(field)
		s = s[j+1:]
	}
}

// Validate reports whether the model can run sc: the fields in range, and
// the run small enough (MaxDelays). The error is a *ScenarioError.
func (sc Scenario) Validate() error {
	fail := func(format string, args ...any) error {
		return &ScenarioError{Scenario: sc.Name, Msg: fmt.Sprintf(format, args...)}
	}
	in := func(v, lo, hi float64) bool { return v >= lo && v <= hi } // false for NaN
	maxRate := MaxLoadFactor * sc.Capacity
	switch {
	case !(sc.Capacity > 0) || math.IsInf(sc.Capacity, 1):
		return fail("{Capacity} %g: want a finite rate above 0", sc.Capacity)
	case !in(sc.RTT, 0, MaxRTT):
		return fail("{RTT} %g: want 0 to %d seconds", sc.RTT, MaxRTT)
	case !in(sc.Deadline, 0, MaxDeadline):
		return fail("{Deadline} %g: want 0 (none) to %d seconds", sc.Deadline, MaxDeadline)
	case sc.Deadline > 0 && sc.RTT == 0:
		return fail("{Deadline} %g needs {RTT} above 0: immediate retries of rejections that arrive at once would never end", sc.Deadline)
	case !in(sc.Timeout, 1e-3, 3600):
		return fail("{Timeout} %g: want 0.001 to 3600 seconds", sc.Timeout)
	case sc.Deadline > 0 && sc.Deadline/math.Min(sc.RTT, sc.Timeout) > MaxDeadlineRetries:
		return fail("{Deadline} %g with {RTT} %g allows %.0f retries a request; want at most %d", sc.Deadline, sc.RTT, math.Ceil(sc.Deadline/math.Min(sc.RTT, sc.Timeout)), MaxDeadlineRetries)
	case sc.Clients == 0 && !(sc.Rate > 0 && sc.Rate <= maxRate):
		return fail("{Rate} %g: want a load above 0 and at most %g requests/s (%d times the capacity)", sc.Rate, maxRate, MaxLoadFactor)
	case !in(sc.FaultRate, 0, maxRate):
		return fail("{FaultRate} %g: want 0 to %g requests/s (%d times the capacity)", sc.FaultRate, maxRate, MaxLoadFactor)
	case sc.Fleet < 1 || sc.Fleet > MaxFleet:
		return fail("{Fleet} %d: want 1 to %d clients", sc.Fleet, MaxFleet)
	case !in(sc.ErrorRate, 0, 1):
		return fail("{ErrorRate} %g: want 0 to 1 (a probability)", sc.ErrorRate)
	case sc.Queue < 1 || sc.Queue > MaxQueue:
		return fail("{Queue} %d: want 1 to %d attempts", sc.Queue, MaxQueue)
	case sc.Retries < 0 || sc.Retries > MaxScenarioRetries:
		return fail("{Retries} %d: want 0 to %d", sc.Retries, MaxScenarioRetries)
	case !in(sc.RejectCost, 0, MaxRejectCost):
		return fail("{RejectCost} %g: want 0 to %d (a share of one service time)", sc.RejectCost, MaxRejectCost)
	case !in(sc.Horizon, 1, MaxHorizon) || !(sc.FaultStart >= 0 && sc.FaultStart <= sc.FaultEnd):
		return fail("{Horizon} %g, fault %g to %g: want a horizon of 1 to %d s and a fault that starts at 0 or later and ends no sooner", sc.Horizon, sc.FaultStart, sc.FaultEnd, MaxHorizon)
	case !(sc.Clients == 0 && sc.FaultClients == 0 || sc.Clients > 0 && sc.FaultClients >= 0 && in(sc.Think, 1e-3, MaxHorizon)) ||
		sc.Clients > MaxUsers || sc.FaultClients > MaxUsers:
		return fail("{Clients} %d, {FaultClients} %d, {Think} %g: want no clients (open loop), or up to %d with a think time of 0.001 s or more", sc.Clients, sc.FaultClients, sc.Think, MaxUsers)
	}
	requests := sc.Rate*sc.Horizon + (sc.FaultRate-sc.Rate)*(sc.FaultEnd-sc.FaultStart)
	if sc.Clients > 0 { // at most one request a client per think time or timeout
		requests = float64(max(sc.Clients, sc.FaultClients)) * sc.Horizon / math.Min(sc.Think, sc.Timeout)
	}
	if delays := requests * float64(sc.MaxRetries()); delays > MaxDelays {
		return fail("%s would hold about %.0f delays (%.0f requests × %d retries); want at most %d: lower {Rate}, {Retries} or {Deadline}, or raise {RTT}",
			sc.Name, delays, requests, sc.MaxRetries(), MaxDelays)
	}
	return nil
}
