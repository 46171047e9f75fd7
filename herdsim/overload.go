package herdsim

import (
	"math/rand/v2"
	"slices"

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

	// Deadline: with Deadline > 0 a request retries until Deadline seconds
	// after its first attempt, however many retries that takes (Retries is
	// then unused), as clients with a deadline and no retry count do. RTT: a
	// rejection reaches its client RTT seconds after the attempt (0: at
	// once); a deadline needs RTT > 0, or immediate retries of rejections
	// would never end.
	Deadline, RTT float64

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

// Overload budget: backoff's default ratio and window; the floor is 1
// retry a second, 1 % of the capacity, because one budget here stands for a
// whole fleet of callers (the node's 10 a second is per caller).
const (
	OverloadBudgetRatio    = backoff.DefaultBudgetRatio
	OverloadBudgetFloor    = 1
	OverloadBudgetWindow   = backoff.DefaultBudgetWindow
	overloadRecoveryWindow = 3 // seconds of goodput compared with offered load
	overloadRecoveryShare  = 0.9
)

// Scenarios returns the overload scenarios, in a fixed order.
func Scenarios() []Scenario {
	base := Scenario{Capacity: OverloadCapacity, Queue: OverloadQueue, Timeout: OverloadTimeout,
		Retries: OverloadRetries, Rate: OverloadNormal, FaultRate: OverloadNormal}
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
	return []Scenario{spike, storm, open, closed}
}

// A Policy is how clients retry: a strategy's delays, optionally under a
// retry budget shared by all clients.
type Policy struct {
	Name     string
	Strategy backoff.Strategy
	Budget   bool
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

// OverloadPolicies returns `none` (immediate retry) and every strategy of
// the lab, each alone and then with a budget.
func OverloadPolicies() []Policy {
	var plain []Policy
	plain = append(plain, Policy{Name: "none", Strategy: backoff.StrategyFunc(func(dst []float64, _ *rand.Rand) { clear(dst) })})
	for _, e := range Lab() {
		plain = append(plain, Policy{Name: e.Name, Strategy: scaled(e.Strategy, overloadScale[e.Name])})
	}
	out := slices.Clone(plain)
	for _, p := range plain {
		p.Name += "+budget"
		p.Budget = true
		out = append(out, p)
	}
	return out
}

// scaled returns s with its delays divided by div (s itself if div is 0).
// None of the strategies scaled is keyed, so the result need not be.
func scaled(s backoff.Strategy, div float64) backoff.Strategy {
	if div == 0 {
		return s
	}
	return backoff.StrategyFunc(func(dst []float64, r *rand.Rand) {
		s.Fill(dst, r)
		for i := range dst {
			dst[i] /= div
		}
	})
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
	// Requests and Attempts are the counts behind Amplification.
	Requests, Attempts int
	// Per 1 s bin of the horizon: first attempts (offered load), all
	// attempts sent, attempts served (server load), answers in time (goodput).
	Offered, Sent, Served, Goodput []float64
}
