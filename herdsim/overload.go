package herdsim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/backoff/catalog"
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
	Strategy Strategy
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
	plain = append(plain, Policy{Name: "none", Strategy: StrategyFunc(func(dst []float64, _ *rand.Rand) { clear(dst) })})
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
// A keyed strategy stays keyed, so that requests keep consecutive ids.
func scaled(s Strategy, div float64) Strategy {
	if div == 0 {
		return s
	}
	if k, ok := s.(KeyedStrategy); ok {
		return scaledKeyed{k, 1 / div}
	}
	return StrategyFunc(func(dst []float64, r *rand.Rand) {
		s.Fill(dst, r)
		for i := range dst {
			dst[i] /= div
		}
	})
}

// scaledKeyed is a keyed strategy with its delays multiplied by f.
type scaledKeyed struct {
	KeyedStrategy
	f float64
}

func (s scaledKeyed) Fill(dst []float64, r *rand.Rand) {
	s.KeyedStrategy.Fill(dst, r)
	for i := range dst {
		dst[i] *= s.f
	}
}

func (s scaledKeyed) FillKey(dst []float64, key uint64) {
	s.KeyedStrategy.FillKey(dst, key)
	for i := range dst {
		dst[i] *= s.f
	}
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

// Event kinds.
const (
	evSend   = iota // an attempt of req is sent (first or retry)
	evFail          // the client gives the attempt of req up (timeout)
	evDone          // the answer to req arrives in time
	evClient        // a new request: from client id (closed loop) or an arrival (id -1)
)

// An oevent is something that happens at time t to request (or client) id.
type oevent struct {
	t    float64
	kind int32
	id   int32
}

type request struct {
	first  float64
	tries  int32 // attempts sent
	client int32 // closed loop: the client; -1 in open loop
}

// An Overload runs overload scenarios, reusing its storage from run to run.
// The zero value is ready to use.
type Overload struct {
	events  []oevent
	reqs    []request
	delays  []float64
	queue   []float64 // finish times of the attempts in the server, FIFO ring
	latency []float64
	res     OverloadResult
}

// RunOverload runs scenario sc under policy p with the given seed.
func RunOverload(sc Scenario, p Policy, seed uint64) OverloadResult {
	var o Overload
	return *o.Run(sc, p, seed)
}

// Run runs scenario sc under policy p with the given seed and returns the
// result, which stays valid until the next Run. It is a pure function of
// its arguments: no clock, one seeded source.
//
// It panics if sc is not a scenario (no capacity, queue, timeout, horizon,
// or load): a programming error, as with [backoff.NewBudget].
func (o *Overload) Run(sc Scenario, p Policy, seed uint64) *OverloadResult {
	if !(sc.Capacity > 0 && sc.Queue > 0 && sc.Timeout > 0 && sc.Horizon > 0 && sc.Retries >= 0 &&
		sc.Rate >= 0 && sc.FaultRate >= 0 && sc.RejectCost >= 0 && sc.RTT >= 0 && (sc.Deadline == 0 || sc.Deadline > 0 && sc.RTT > 0) && sc.FaultStart <= sc.FaultEnd &&
		(sc.Clients == 0 && sc.FaultClients == 0 || sc.Clients > 0 && sc.Think > 0)) {
		panic(fmt.Sprintf("herdsim: not a scenario: %+v", sc))
	}
	r := catalog.NewRand(seed)
	bins := int(math.Ceil(sc.Horizon))
	res := &o.res
	res.Offered = zeroed(res.Offered, bins)
	res.Sent = zeroed(res.Sent, bins)
	res.Served = zeroed(res.Served, bins)
	res.Goodput = zeroed(res.Goodput, bins)
	o.events, o.reqs, o.delays, o.latency = o.events[:0], o.reqs[:0], o.delays[:0], o.latency[:0]
	o.queue = grow(o.queue, sc.Queue)
	qHead, qLen := 0, 0
	lastFinish := 0.0
	service := 1 / sc.Capacity
	R := sc.MaxRetries()
	var keyBase uint64
	keyed, isKeyed := p.Strategy.(KeyedStrategy)
	if isKeyed {
		keyBase = r.Uint64()
	}
	var budget *backoff.Budget
	if p.Budget {
		budget = backoff.NewBudget(OverloadBudgetRatio, OverloadBudgetFloor, OverloadBudgetWindow)
	}
	epoch := time.Unix(0, 0)
	at := func(t float64) time.Time { return epoch.Add(time.Duration(t * 1e9)) }
	bin := func(t float64) int {
		if t < 0 || t >= sc.Horizon {
			return -1
		}
		return int(t)
	}
	count := func(s []float64, t float64) {
		if i := bin(t); i >= 0 {
			s[i]++
		}
	}
	successes, attempts := 0, 0

	newRequest := func(t float64, client int32) {
		id := int32(len(o.reqs))
		o.reqs = append(o.reqs, request{first: t, client: client})
		n := len(o.delays)
		o.delays = grow2(o.delays, n+R)
		row := o.delays[n : n+R]
		if isKeyed {
			keyed.FillKey(row, keyBase+uint64(id))
		} else {
			p.Strategy.Fill(row, r)
		}
		if budget != nil {
			budget.Request(at(t))
		}
		count(res.Offered, t)
		o.push(oevent{t, evSend, id})
	}
	finished := func(t float64, id int32) { // the request is answered or given up
		if c := o.reqs[id].client; c >= 0 && t < sc.Horizon {
			if sc.active(int(c), t) {
				o.push(oevent{t + r.ExpFloat64()*sc.Think, evClient, c})
			}
		}
	}
	failed := func(t float64, id int32) { // the attempt failed at t
		q := &o.reqs[id]
		if int(q.tries) > R {
			finished(t, id)
			return
		}
		o.push(oevent{t + o.delays[int(id)*R+int(q.tries)-1], evSend, id})
	}

	// Arrivals: open loop, a Poisson process with a piecewise rate.
	nextArrival := math.Inf(1)
	rate := func(t float64) float64 {
		if t >= sc.FaultStart && t < sc.FaultEnd {
			return sc.FaultRate
		}
		return sc.Rate
	}
	arrive := func(from float64) float64 {
		for from < sc.Horizon {
			lam := rate(from)
			edge := sc.Horizon
			if from < sc.FaultStart {
				edge = sc.FaultStart
			} else if from < sc.FaultEnd {
				edge = sc.FaultEnd
			}
			if lam > 0 {
				t := from + r.ExpFloat64()/lam
				if t < edge {
					return t
				}
			}
			from = edge
		}
		return math.Inf(1)
	}
	if sc.Clients > 0 {
		for c := 0; c < max(sc.Clients, sc.FaultClients); c++ {
			start := r.Float64() * sc.Think
			if c >= sc.Clients {
				start += sc.FaultStart
			}
			o.push(oevent{start, evClient, int32(c)})
		}
	} else {
		nextArrival = arrive(0)
	}

	for {
		var e oevent
		if len(o.events) > 0 && o.events[0].t <= nextArrival {
			e = o.pop()
		} else if !math.IsInf(nextArrival, 1) {
			e = oevent{nextArrival, evClient, -1}
			nextArrival = arrive(nextArrival)
		} else {
			break
		}
		t := e.t
		switch e.kind {
		case evClient:
			if t < sc.Horizon {
				newRequest(t, e.id)
			}
		case evSend:
			q := &o.reqs[e.id]
			if q.tries > 0 && sc.Deadline > 0 && t >= q.first+sc.Deadline {
				finished(t, e.id) // the deadline passed while it waited
				continue
			}
			if q.tries > 0 && budget != nil && !budget.AllowRetry(at(t)) {
				finished(t, e.id)
				continue
			}
			q.tries++
			attempts++
			count(res.Sent, t)
			for qLen > 0 && o.queue[qHead] <= t {
				qHead = (qHead + 1) % len(o.queue)
				qLen--
			}
			if qLen == len(o.queue) {
				if sc.Drop {
					o.push(oevent{t + sc.Timeout, evFail, e.id})
				} else {
					if sc.RejectCost > 0 {
						// Charged after the queued work, not interleaved: the
						// server's busy time is right, the order slightly not.
						lastFinish = max(t, lastFinish) + sc.RejectCost*service
					}
					if sc.RTT > 0 {
						o.push(oevent{t + sc.RTT, evFail, e.id})
					} else {
						failed(t, e.id) // rejected at once
					}
				}
				continue
			}
			start := max(t, lastFinish)
			if sc.Down && start < sc.FaultEnd && start+service > sc.FaultStart {
				start = sc.FaultEnd
			}
			finish := start + service
			lastFinish = finish
			o.queue[(qHead+qLen)%len(o.queue)] = finish
			qLen++
			count(res.Served, finish)
			if finish-t <= sc.Timeout {
				o.push(oevent{finish, evDone, e.id})
			} else {
				o.push(oevent{t + sc.Timeout, evFail, e.id})
			}
		case evFail:
			failed(t, e.id)
		case evDone:
			successes++
			count(res.Goodput, t)
			o.latency = append(o.latency, t-o.reqs[e.id].first)
			finished(t, e.id)
		}
	}

	n := len(o.reqs)
	res.Requests, res.Attempts = n, attempts
	res.Amplification = float64(attempts) / float64(max(n, 1))
	res.SuccessRate = float64(successes) / float64(max(n, 1))
	// What an ideal server of the same capacity would have served of the
	// offered load within the horizon: no timeouts, no queue bound, so
	// whatever exceeds the capacity waits for a later second. No server of
	// that capacity answers more requests by the horizon.
	var useful, possible, backlog float64
	for i := range bins {
		useful += res.Goodput[i]
		backlog += res.Offered[i]
		done := min(backlog, sc.Capacity)
		possible += done
		backlog -= done
	}
	res.GoodputRatio = useful / max(possible, 1)
	res.P99Latency = 0
	if len(o.latency) > 0 {
		slices.Sort(o.latency)
		res.P99Latency = o.latency[min(len(o.latency)-1, int(math.Ceil(0.99*float64(len(o.latency))))-1)]
	}
	res.Recovery, res.Recovered = recovery(res.Offered, res.Goodput, sc.FaultEnd)
	return res
}

// MaxRetries is the most retries a request of sc can make: Retries, or with
// a deadline as many as fit in it, since a failed attempt takes at least
// the RTT of a rejection or the timeout.
func (sc Scenario) MaxRetries() int {
	if sc.Deadline > 0 {
		return int(math.Ceil(sc.Deadline / math.Min(sc.RTT, sc.Timeout)))
	}
	return sc.Retries
}

// active reports whether closed-loop client c keeps sending at time t.
func (sc Scenario) active(c int, t float64) bool {
	if t >= sc.FaultStart && t < sc.FaultEnd {
		return c < sc.FaultClients
	}
	return c < sc.Clients
}

// recovery returns the seconds from faultEnd to the start of the earliest
// window from which on every 3 s window, up to the last bin, has goodput at
// least 90 % of the offered load.
func recovery(offered, goodput []float64, faultEnd float64) (float64, bool) {
	w := overloadRecoveryWindow
	first := int(math.Ceil(faultEnd))
	ok := -1 // the earliest start from which every window holds
	for s := len(offered) - w; s >= first; s-- {
		var off, good float64
		for i := s; i < s+w; i++ {
			off += offered[i]
			good += goodput[i]
		}
		if good < overloadRecoveryShare*off {
			break
		}
		ok = s
	}
	if ok < 0 {
		return math.NaN(), false
	}
	return float64(ok) - faultEnd, true
}

func zeroed(s []float64, n int) []float64 {
	s = grow(s, n)
	clear(s)
	return s
}

// grow2 extends s to length n, keeping its contents.
func grow2(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return append(s[:cap(s)], make([]float64, n-cap(s))...)[:n]
}

// push and pop keep o.events a binary min-heap on time.
func (o *Overload) push(e oevent) {
	h := append(o.events, e)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].t <= h[i].t {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
	o.events = h
}

func (o *Overload) pop() oevent {
	h := o.events
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].t < h[l].t {
			m = r
		}
		if h[i].t <= h[m].t {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	o.events = h
	return top
}
