package herdsim

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
)

// Kinds of overload events.
const (
	evSend      = iota // an attempt of request id is due (first or retry)
	evTimeout          // the client gives attempt kind>>kindBits of request id up
	evThrottled        // a rejection of the attempt of request id arrives
	evServed           // the server ends the attempt of request id (-1: a pause)
	evUser             // closed loop: user id sends a new request

	kindBits = 4 // an event's kind is its type, and above these bits an attempt
)

// A request is one call: its first attempt, then retries.
type request struct {
	first   float64
	key     uint64 // names the request in the common random numbers
	tries   int32  // attempts sent
	client  int32  // the client (of the Fleet) that sends it
	user    int32  // closed loop: the user; -1 in open loop
	pending int32  // the attempt that waits for an answer; 0 when none
	granted bool   // ticket is granted for the attempt due, not yet sent
	ticket  backoff.Ticket
	last    backoff.Outcome // how the last attempt ended
}

// An Overload runs overload scenarios, reusing its storage from run to run.
// The zero value is ready to use.
type Overload struct {
	events   eventQueue
	reqs     []request
	delays   []float64 // request i's retry delays at delays[i*retries:]
	waiting  []attempt // the server's queue
	latency  []float64
	userSeq  []uint32 // closed loop: requests each user has sent
	controls []backoff.Control
	res      OverloadResult
}

// RunOverload runs scenario sc under policy p with the given seed.
func RunOverload(sc Scenario, p Policy, seed uint64) OverloadResult {
	var o Overload
	return *o.Run(sc, p, seed)
}

// Run runs scenario sc under policy p with the given seed and returns the
// result, which stays valid until the next Run. It is a pure function of
// its arguments: no clock, seeded sources only.
//
// Runs of two policies share common random numbers: arrivals, the users'
// think times and the server's error draws come from sources of their own,
// keyed by request and attempt, which no policy's randomness touches. Two
// policies' runs differ only where their decisions differ.
//
// It panics if sc.Validate fails: check a scenario from outside the program
// with Validate first.
func (o *Overload) Run(sc Scenario, p Policy, seed uint64) *OverloadResult {
	if err := sc.Validate(); err != nil {
		panic(err)
	}
	u := o.start(sc, p, seed)
	u.loop()
	u.finish()
	return &o.res
}

// Streams of the common random numbers, and of the policy's own draws.
const (
	streamArrivals = iota + 1
	streamClient
	streamStart
	streamThink
	streamError
	streamPolicy
)

// overloadRun is the state of one run: the storage it borrows from its
// Overload, the server's queue, the policy's state, and the counts.
type overloadRun struct {
	*Overload
	sc       Scenario
	p        Policy
	seed     uint64
	arrivals *rand.Rand // open-loop arrival times
	policy   *rand.Rand // the strategy's draws
	retries  int        // the most a request makes: sc.MaxRetries()
	keyed    KeyedStrategy
	keyBase  uint64

	srv server

	nextArrival         float64 // open loop: the next arrival; +Inf when none
	successes, attempts int
	refused             int // requests whose first attempt the control refused
}

// start resets o's storage for a run of sc under p and queues the first
// arrival or every user's first request.
func (o *Overload) start(sc Scenario, p Policy, seed uint64) *overloadRun {
	bins := int(math.Ceil(sc.Horizon))
	res := &o.res
	res.Offered = zeroed(res.Offered, bins)
	res.Sent = zeroed(res.Sent, bins)
	res.Served = zeroed(res.Served, bins)
	res.Goodput = zeroed(res.Goodput, bins)
	o.events, o.reqs, o.delays, o.latency = o.events[:0], o.reqs[:0], o.delays[:0], o.latency[:0]
	o.waiting = grow(o.waiting, sc.Queue)
	o.controls = o.controls[:0]
	for range sc.Fleet {
		var c backoff.Control
		if p.Control != nil {
			c = p.Control()
		}
		o.controls = append(o.controls, c)
	}
	u := &overloadRun{Overload: o, sc: sc, p: p, seed: seed, retries: sc.MaxRetries(), nextArrival: math.Inf(1), srv: server{queue: o.waiting},
		arrivals: rand.New(rand.NewPCG(seed, streamArrivals)), policy: rand.New(rand.NewPCG(seed, streamPolicy))}
	if k, ok := p.Strategy.(KeyedStrategy); ok {
		u.keyed, u.keyBase = k, u.policy.Uint64()
	}
	if sc.Clients > 0 {
		users := max(sc.Clients, sc.FaultClients)
		o.userSeq = grow(o.userSeq, users)
		clear(o.userSeq)
		for c := range users {
			start := u.uniform(streamStart, uint64(c)) * sc.Think
			if c >= sc.Clients { // joins when the fault starts
				start += sc.FaultStart
			}
			o.events.push(event{start, int32(c), evUser})
		}
	} else {
		u.nextArrival = u.arrive(0)
	}
	return u
}

// loop handles events in time order until none are left; arrivals are
// drawn one at a time rather than queued.
func (u *overloadRun) loop() {
	for {
		var e event
		switch {
		case len(u.events) > 0 && u.events[0].t <= u.nextArrival:
			e = u.events.pop()
		case !math.IsInf(u.nextArrival, 1):
			e = event{u.nextArrival, -1, evUser}
			u.nextArrival = u.arrive(u.nextArrival)
		default:
			return
		}
		switch e.kind & (1<<kindBits - 1) {
		case evUser:
			if e.t < u.sc.Horizon {
				u.newRequest(e.t, e.id)
			}
		case evSend:
			u.send(e.t, e.id)
		case evTimeout:
			if q := &u.reqs[e.id]; q.pending == e.kind>>kindBits {
				q.pending = 0
				u.failed(e.t, e.id, backoff.Timeout)
			}
		case evThrottled:
			u.failed(e.t, e.id, backoff.Throttled)
		case evServed:
			u.served(e.t, e.id)
		}
	}
}

// arrive returns the time of the first open-loop arrival after from: a
// Poisson process whose rate changes at the fault's start and end.
func (u *overloadRun) arrive(from float64) float64 {
	sc := &u.sc
	for from < sc.Horizon {
		lam, edge := sc.Rate, sc.Horizon
		switch {
		case from < sc.FaultStart:
			edge = sc.FaultStart
		case from < sc.FaultEnd:
			lam, edge = sc.FaultRate, sc.FaultEnd
		}
		if lam > 0 {
			if t := from + u.arrivals.ExpFloat64()/lam; t < edge {
				return t
			}
		}
		from = edge
	}
	return math.Inf(1)
}

// newRequest starts a request of user (-1 in open loop) at t: its client
// chosen, its retry delays drawn, its first attempt due at once.
func (u *overloadRun) newRequest(t float64, user int32) {
	id := int32(len(u.reqs))
	q := request{first: t, user: user, key: uint64(id)}
	if user >= 0 {
		q.key = uint64(user)<<32 | uint64(u.userSeq[user])
		u.userSeq[user]++
		q.client = user % int32(u.sc.Fleet)
	} else if u.sc.Fleet > 1 {
		q.client = int32(u.uniform(streamClient, q.key) * float64(u.sc.Fleet))
	}
	u.reqs = append(u.reqs, q)
	n := len(u.delays)
	u.delays = slices.Grow(u.delays, u.retries)[:n+u.retries]
	row := u.delays[n:]
	if u.keyed != nil {
		u.keyed.FillKey(row, u.keyBase+uint64(id))
	} else {
		u.p.Strategy.Fill(row, u.policy)
	}
	count(u.res.Offered, t, u.sc.Horizon)
	u.send(t, id)
}

// send sends the attempt of request id due at t, unless its deadline
// passed or its client's control refuses it, and hands it to the server.
func (u *overloadRun) send(t float64, id int32) {
	q := &u.reqs[id]
	if q.tries > 0 && u.sc.Deadline > 0 && t >= q.first+u.sc.Deadline {
		u.finished(t, id) // the deadline passed while it waited
		return
	}
	if !u.ask(t, id) {
		return
	}
	q.tries++
	u.attempts++
	count(u.res.Sent, t, u.sc.Horizon)
	switch ok := u.admit(t, id, q.tries); {
	case ok || u.sc.Drop: // an answer, or none and the client's timeout
		q.pending = q.tries
		u.events.push(event{t + u.sc.Timeout, id, evTimeout | q.tries<<kindBits})
	case u.sc.RTT > 0:
		u.events.push(event{t + u.sc.RTT, id, evThrottled})
	default:
		u.failed(t, id, backoff.Throttled) // rejected at once
	}
}

// ask asks the client's control, if any, whether the attempt of request id
// due at t may go, unless it was asked at the failure. It reports whether
// to send it now; if not, the request is finished or the attempt requeued
// after the ticket's wait.
func (u *overloadRun) ask(t float64, id int32) bool {
	q := &u.reqs[id]
	c := u.controls[q.client]
	if c == nil {
		return true
	}
	if q.granted {
		q.granted = false
		return true
	}
	tk := c.Allow(at(t), int(q.tries)+1, q.last)
	q.ticket = tk
	switch {
	case !tk.OK:
		if q.tries == 0 {
			u.refused++
		}
		u.finished(t, id)
		return false
	case tk.Wait > 0:
		q.granted = true
		u.events.push(event{t + tk.Wait.Seconds(), id, evSend})
		return false
	}
	return true
}

// failed: the attempt of request id failed at t with outcome o, which the
// client's control learns; the request retries after its next delay, or is
// finished if it has none left or the control, asked now, refuses.
func (u *overloadRun) failed(t float64, id int32, o backoff.Outcome) {
	q := &u.reqs[id]
	q.last = o
	c := u.controls[q.client]
	if c != nil && q.ticket.OK {
		c.Done(at(t), q.ticket, o)
	}
	if int(q.tries) > u.retries {
		u.finished(t, id)
		return
	}
	due := t + u.delays[int(id)*u.retries+int(q.tries)-1]
	if c != nil && u.p.AskAtFailure {
		if u.sc.Deadline > 0 && due >= q.first+u.sc.Deadline {
			u.finished(t, id)
			return
		}
		tk := c.Allow(at(t), int(q.tries)+1, o)
		q.ticket = tk
		if !tk.OK {
			u.finished(t, id)
			return
		}
		q.granted = true
		due += tk.Wait.Seconds()
	}
	u.events.push(event{due, id, evSend})
}

// succeeded: the answer to request id arrives in time, at t.
func (u *overloadRun) succeeded(t float64, id int32) {
	q := &u.reqs[id]
	if c := u.controls[q.client]; c != nil && q.ticket.OK {
		c.Done(at(t), q.ticket, backoff.Success)
	}
	u.successes++
	count(u.res.Goodput, t, u.sc.Horizon)
	u.latency = append(u.latency, t-q.first)
	u.finished(t, id)
}

// finished: request id is answered or given up at t; in closed loop its
// user thinks, then sends its next request if it is still active.
func (u *overloadRun) finished(t float64, id int32) {
	q := &u.reqs[id]
	if q.user >= 0 && t < u.sc.Horizon && u.sc.active(int(q.user), t) {
		think := -math.Log1p(-u.uniform(streamThink, q.key)) * u.sc.Think
		u.events.push(event{t + think, q.user, evUser})
	}
}

// uniform returns a number in [0, 1) that depends only on the run's seed,
// the stream and the key: a common random number, the same under every
// policy.
func (u *overloadRun) uniform(stream, key uint64) float64 {
	x := mix(mix(u.seed^stream<<56) ^ key)
	return float64(x>>11) / (1 << 53)
}

// mix is the finalizer of SplitMix64 (Steele, Lea and Flood, 2014): a
// bijection of uint64 whose outputs for nearby inputs look independent.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// finish computes the result's summary numbers from the counts and series.
func (u *overloadRun) finish() {
	res, sc := &u.res, &u.sc
	n := len(u.reqs)
	res.Requests, res.Attempts, res.Refused = n, u.attempts, u.refused
	res.Amplification = float64(u.attempts) / float64(max(n, 1))
	res.SuccessRate = float64(u.successes) / float64(max(n, 1))
	// What an ideal server of the same capacity would have served of the
	// offered load within the horizon: no timeouts, no queue bound, so
	// whatever exceeds the capacity waits for a later second. No server of
	// that capacity answers more requests by the horizon.
	var useful, possible, backlog float64
	for i := range res.Goodput {
		useful += res.Goodput[i]
		backlog += res.Offered[i]
		done := min(backlog, sc.Capacity)
		possible += done
		backlog -= done
	}
	res.GoodputRatio = useful / max(possible, 1)
	res.P99Latency = 0
	if len(u.latency) > 0 {
		slices.Sort(u.latency)
		res.P99Latency = nearestRank(u.latency, 0.99)
	}
	res.Recovery, res.Recovered = recovery(res.Offered, res.Goodput, sc.FaultEnd)
}

// epoch is the simulated time 0 for the library's types, which take a
// time.Time.
var epoch = time.Unix(0, 0)

// at converts simulated seconds to a time.Time.
func at(t float64) time.Time { return epoch.Add(time.Duration(t * 1e9)) }

// count adds one to the 1 s bin of s that holds t, if t is within the
// horizon.
func count(s []float64, t, horizon float64) {
	if t >= 0 && t < horizon {
		s[int(t)]++
	}
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

// zeroed returns s resliced or reallocated to length n, all zeros.
func zeroed(s []float64, n int) []float64 {
	s = grow(s, n)
	clear(s)
	return s
}
