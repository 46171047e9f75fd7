package herdsim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/backoff-node/backoff-node/backoff"
)

// A Scenario is one overload experiment: a server of fixed capacity, a
// client population, and a fault between FaultStart and FaultEnd.
//
// The server takes attempts into a FIFO queue of at most Queue attempts
// and serves them one at a time, 1/Capacity seconds each; an attempt that
// finds the queue full is rejected at once. A client waits Timeout seconds
// for an answer and then gives the attempt up, but the server does not know
// that: it still serves the attempt when its turn comes, and that work is
// wasted. With Queue/Capacity > Timeout, a full queue serves nothing but
// attempts their clients have already given up, which is how retries can
// keep a server overloaded after the cause is gone.
type Scenario struct {
	Name     string
	Capacity float64 // C, attempts served a second
	Queue    int     // attempts the queue holds
	Timeout  float64 // seconds a client waits for an answer
	Retries  int     // retries of each request after its first attempt
	Horizon  float64 // seconds simulated (requests in flight then are finished)

	FaultStart, FaultEnd float64

	// Open loop: Poisson arrivals at Rate a second, at FaultRate during
	// the fault. Down: during the fault the server serves nothing.
	Rate, FaultRate float64
	Down            bool

	// Variants of the server, off in the scenarios of [Scenarios]. Drop: an
	// attempt that finds the queue full gets no answer at all (a full
	// backlog, a dropped packet), so its client learns only at its timeout.
	// RejectCost: each rejection takes this share of a service time from
	// the server (parsing, TLS, the reply), since rejecting is not free.
	Drop       bool
	RejectCost float64

	// Server defences, off in the scenarios of [Scenarios]. DropStale: the
	// server skips, at no cost, an attempt whose client has given it up by
	// the time its turn comes (it knows the client's timeout). LIFO: the
	// newest attempt is served first.
	DropStale, LIFO bool

	// Deadline: with Deadline > 0 a request retries until Deadline seconds
	// after its first attempt, however many retries that takes (Retries is
	// then unused), as clients with a deadline and no retry count do. RTT: a
	// rejection reaches its client RTT seconds after the attempt (0: at
	// once); a deadline needs RTT > 0, or immediate retries of rejections
	// would never end.
	Deadline, RTT float64

	// Fleet is K, the number of clients that send the load, each with its
	// own policy state (a control of its own): open-loop arrivals go to a
	// client drawn uniformly at random, so each client sees Rate/K a
	// second; closed-loop user u belongs to client u mod K. At least 1.
	Fleet int
	// ErrorRate is the chance that an attempt the server serves fails all
	// the same (a transient error reply), independently of everything else
	// and also when the server is healthy.
	ErrorRate float64

	// Closed loop (Clients > 0): Clients clients, FaultClients during the
	// fault, each with one request outstanding and an exponential think
	// time of mean Think seconds between requests.
	Clients, FaultClients int
	Think                 float64
}

// Overload model parameters shared by the scenarios: a server of 100
// attempts a second with a 3 s queue, clients that wait 1 s and retry 3
// times (the AWS SDKs' default), normal load half the capacity.
const (
	OverloadCapacity = 100
	OverloadQueue    = 300
	OverloadTimeout  = 1
	OverloadRetries  = 3
	OverloadNormal   = 50
)

// How recovery is judged: goodput at least overloadRecoveryShare of the
// offered load over every window of overloadRecoveryWindow seconds.
const (
	overloadRecoveryWindow = 3
	overloadRecoveryShare  = 0.9
)

// Scenarios returns the overload scenarios, in a fixed order: steady (no
// fault), spike, storm, and the two sustained overloads.
func Scenarios() []Scenario {
	base := Scenario{Capacity: OverloadCapacity, Queue: OverloadQueue, Timeout: OverloadTimeout,
		Retries: OverloadRetries, Rate: OverloadNormal, FaultRate: OverloadNormal, Fleet: 1}
	steady := base
	steady.Name, steady.Horizon = "steady", 60
	spike := base
	spike.Name, spike.Horizon, spike.FaultStart, spike.FaultEnd, spike.FaultRate = "spike", 90, 10, 15, 4*OverloadCapacity
	storm := base
	storm.Name, storm.Horizon, storm.FaultStart, storm.FaultEnd, storm.Down = "storm", 120, 10, 30, true
	open := base
	open.Name, open.Horizon, open.FaultStart, open.FaultEnd, open.FaultRate = "sustained_open", 120, 10, 70, 1.5*OverloadCapacity
	closed := base
	closed.Name, closed.Horizon, closed.FaultStart, closed.FaultEnd = "sustained_closed", 120, 10, 70
	closed.Rate, closed.FaultRate = 0, 0
	closed.Clients, closed.FaultClients, closed.Think = 50, 200, 1
	return []Scenario{steady, spike, storm, open, closed}
}

// A Policy is how each client retries: a strategy's delays, optionally
// under a retry control (a budget, a token bucket, a breaker) of its own.
type Policy struct {
	Name     string
	Strategy Strategy
	// Control makes one client's control, a new one for each client of a
	// run; nil for none.
	Control func() backoff.Control
	// AskAtFailure: the control is asked for a retry when the failure is
	// seen, before the backoff delay (a name ending in @failure); otherwise
	// when the retry is due, after it.
	AskAtFailure bool
}

// overloadScale divides the delays of the lab's slow strategies so that
// their first retry comes after about a second, like the others': at their
// natural scale (minutes) no retry would fall within the horizon.
var overloadScale = map[string]float64{
	"constant":        300, // 5 min -> 1 s
	"exponential_min": 180, // 3 min + 2^k min -> 1 s + 2^k/3 s
	"sidekiq":         30,  // ~30 s first -> ~1 s
	"buckets":         4,   // U[0, 8) s first -> U[0, 2) s
}

// Strategies returns the strategies a policy can name: `none` (immediate
// retries) and every strategy of the lab, the slow ones scaled to a first
// retry after about a second (with catalog.Scaled).
func Strategies() []Entry {
	out := []Entry{{"none", Of(backoff.Constant{Interval: 0}), "retry at once"}}
	for _, e := range Lab() {
		if div, ok := overloadScale[e.Name]; ok {
			e.Strategy = scaled(e.Strategy, 1/div)
			e.Scale += fmt.Sprintf(", divided by %g", div)
		}
		out = append(out, e)
	}
	return out
}

// OverloadPolicies returns the policies of the default table: every
// strategy of [Strategies] alone, then each with a budget, then full jitter
// with each other control of [Controls].
func OverloadPolicies() []Policy {
	var plain, controlled []Policy
	for _, e := range Strategies() {
		plain = append(plain, Policy{Name: e.Name, Strategy: e.Strategy})
		p, _ := ParsePolicy(e.Name + "+budget")
		controlled = append(controlled, p)
	}
	for _, c := range Controls()[1:] {
		p, _ := ParsePolicy("full_jitter+" + c.Name)
		controlled = append(controlled, p)
	}
	return append(plain, controlled...)
}

// ParsePolicy returns the policy a name such as "full_jitter+budget" names:
// a strategy of [Strategies], optionally followed by +control, a control of
// [Controls], and then by @failure to ask the control at the failure.
func ParsePolicy(name string) (Policy, error) {
	rest, atFailure := strings.CutSuffix(name, "@failure")
	strategy, control, hasControl := strings.Cut(rest, "+")
	i := slices.IndexFunc(Strategies(), func(e Entry) bool { return e.Name == strategy })
	if i < 0 {
		return Policy{}, fmt.Errorf("unknown strategy %q", strategy)
	}
	if atFailure && !hasControl {
		return Policy{}, fmt.Errorf("@failure needs a control to ask")
	}
	p := Policy{Name: name, Strategy: Strategies()[i].Strategy, AskAtFailure: atFailure}
	if hasControl {
		j := slices.IndexFunc(Controls(), func(c ControlSpec) bool { return c.Name == control })
		if j < 0 {
			return Policy{}, fmt.Errorf("unknown control %q", "+"+control)
		}
		p.Control = Controls()[j].New
	}
	return p, nil
}

// An OverloadResult is what one run of a scenario under a policy measured.
type OverloadResult struct {
	// Recovery is the seconds from the end of the fault until goodput stays
	// at or above 90 % of the offered load (over 3 s windows) to the end of
	// the horizon; Recovered is false if it never does.
	Recovery  float64
	Recovered bool
	// Amplification is attempts per request, over every request of the run.
	Amplification float64
	// SuccessRate is the share of requests that got an answer in time.
	SuccessRate float64
	// GoodputRatio is useful work served (answers in time) within the
	// horizon over the offered work an ideal server of the same capacity
	// (no timeouts, unbounded queue) would have served in that time.
	GoodputRatio float64
	// P99Latency is the 99th percentile, in seconds, of the time from a
	// successful request's first attempt to its answer.
	P99Latency float64
	// Requests and Attempts are the counts behind Amplification; Refused
	// counts the requests whose first attempt a control refused (failed
	// fast, no attempt sent).
	Requests, Attempts, Refused int
	// Per 1 s bin of the horizon: first attempts (offered load), all
	// attempts sent, attempts served (server load), answers in time (goodput).
	Offered, Sent, Served, Goodput []float64
}
