package harness

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// FleetConfig is one run of the fleet experiment: K node processes relay
// what clients send them to one capacity-limited [Target], through a fault.
type FleetConfig struct {
	Seed  uint64
	Nodes int     // K: node processes n1..nK, each running Node
	Node  Program // the node binary
	// Target is the service every relay goes to (id "srv"); its Key is
	// set to the payload's relay id, its Late to the relays'
	// attempt_timeout.
	Target TargetConfig
	// Rate and FaultRate are the relays a second the clients send, in
	// all, before and after the fault and during it: a Poisson process,
	// each relay to a node drawn at random, so that each node sees 1/K of
	// the load.
	Rate, FaultRate float64
	// The fault runs from FaultStart to FaultEnd, counted from when the
	// clients start; Storm: the target serves nothing in it. Clients send
	// until Horizon.
	FaultStart, FaultEnd, Horizon time.Duration
	Storm                         bool
	// Relay holds the backoff_relay fields besides type, target, payload
	// and seed (max_retries, attempt_timeout, retry_budget, ...).
	Relay map[string]any
	// Drain bounds the wait for the last relays' replies after Horizon;
	// then the nodes are stopped with SIGTERM, which answers what they
	// still hold (Stranded).
	Drain time.Duration
}

// FleetResult is what a fleet run measured.
type FleetResult struct {
	Relays   int // relays the clients sent
	Answered int // relays answered (ok or an error) by Horizon + Drain
	OK       int // relays answered backoff_relay_ok by then
	// Stranded counts the relays not answered by then: the nodes were
	// stopped with SIGTERM, which answered them with error 11.
	Stranded int
	// Attempts sums the attempts the replies report; with no faults on the
	// network it equals the target's Received.
	Attempts int
	// MostSends is the most requests one relay made reach the target.
	MostSends int
	// OnTime counts the relays the target answered at least once within
	// attempt_timeout of the request's arrival: the success of the lab's
	// model, where an answer that comes late is wasted, while a relay takes
	// a late answer to an earlier attempt as long as it is still retrying.
	OnTime int
	Target TargetStats
	// Per 1 s bin of the horizon: relays sent (the offered load) and relays
	// answered ok (the goodput), by when the client sent or heard; relays
	// answered on time, by when the target sent the answer.
	Offered, Goodput, OnTimeGoodput []float64
}

// SendsPerRelay is the requests that reached the target per relay sent.
func (r FleetResult) SendsPerRelay() float64 {
	return float64(r.Target.Received) / float64(max(r.Relays, 1))
}

// Success is the share of relays answered backoff_relay_ok.
func (r FleetResult) Success() float64 { return float64(r.OK) / float64(max(r.Relays, 1)) }

// OnTimeShare is the share of relays the target answered in time.
func (r FleetResult) OnTimeShare() float64 { return float64(r.OnTime) / float64(max(r.Relays, 1)) }

// Recovery applies the lab's rule (herdsim's) to the run: the seconds from
// faultEnd to the earliest whole second from which on every 3 s window, to
// the end of the horizon, has goodput at least 90 % of the offered load;
// false if there is none.
func (r FleetResult) Recovery(faultEnd time.Duration) (float64, bool) {
	return recovery(r.Offered, r.Goodput, faultEnd)
}

// OnTimeRecovery is Recovery counting only answers on time, as the model
// does.
func (r FleetResult) OnTimeRecovery(faultEnd time.Duration) (float64, bool) {
	return recovery(r.Offered, r.OnTimeGoodput, faultEnd)
}

func recovery(offered, goodput []float64, faultEnd time.Duration) (float64, bool) {
	const window, share = 3, 0.9
	first := int(math.Ceil(faultEnd.Seconds()))
	from := -1
	for s := len(offered) - window; s >= first; s-- {
		var off, good float64
		for i := s; i < s+window; i++ {
			off, good = off+offered[i], good+goodput[i]
		}
		if good < share*off {
			break
		}
		from = s
	}
	if from < 0 {
		return math.NaN(), false
	}
	return float64(from) - faultEnd.Seconds(), true
}

// fleetTarget is the id of the target in a fleet run.
const fleetTarget = "srv"

// fleetInitTimeout is how long each node of a fleet run may take to start.
const fleetInitTimeout = time.Minute

// RunFleet runs one fleet experiment on a network of its own, registered
// with t's cleanup; it returns once every relay is answered or cfg.Drain
// after the horizon has passed.
func RunFleet(t testing.TB, cfg FleetConfig) FleetResult {
	t.Helper()
	if cfg.Nodes < 1 || !(cfg.Rate > 0) || cfg.FaultRate < 0 || cfg.Horizon <= 0 || cfg.FaultEnd < cfg.FaultStart {
		t.Fatalf("harness: not a fleet run: %+v", cfg)
	}
	// Many runs may start hundreds of processes at once on a loaded
	// machine: a slow start costs nothing, since the clock starts after.
	net := New(t, Config{Seed: cfg.Seed, InitTimeout: fleetInitTimeout})
	tc := cfg.Target
	tc.Key = "relay"
	if v, ok := cfg.Relay["attempt_timeout"].(float64); ok {
		tc.Late = time.Duration(v * float64(time.Second))
	}
	target := net.AddTarget(fleetTarget, tc)
	nodes := make([]string, cfg.Nodes)
	procs := make([]*Process, cfg.Nodes)
	for i := range nodes {
		nodes[i] = fmt.Sprintf("n%d", i+1)
		procs[i] = net.AddNode(nodes[i], cfg.Node)
	}
	net.Start()
	clients := make([]*Client, cfg.Nodes)
	for i := range clients {
		clients[i] = net.Client(fmt.Sprintf("c%d", i+1))
	}

	bins := int(math.Ceil(cfg.Horizon.Seconds()))
	res := FleetResult{Offered: make([]float64, bins), Goodput: make([]float64, bins), OnTimeGoodput: make([]float64, bins)}
	epoch := time.Now()
	if cfg.Storm {
		target.Storm(epoch.Add(cfg.FaultStart), epoch.Add(cfg.FaultEnd))
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0xf1ee7))
	var calls []*Call
	for at := cfg.nextArrival(0, r); at < cfg.Horizon; at = cfg.nextArrival(at, r) {
		time.Sleep(time.Until(epoch.Add(at)))
		k := r.IntN(cfg.Nodes)
		body := maps.Clone(cfg.Relay)
		body["type"], body["target"] = "backoff_relay", fleetTarget
		body["payload"] = map[string]any{"type": "work", "relay": len(calls)}
		body["seed"] = r.Uint64() >> 11 // the node takes seeds up to 2^53
		calls = append(calls, clients[k].Call(nodes[k], body))
		res.Offered[int(at.Seconds())]++
	}
	res.Relays = len(calls)
	deadline := time.NewTimer(time.Until(epoch.Add(cfg.Horizon + cfg.Drain)))
	defer deadline.Stop()
	expired := false
	for _, c := range calls {
		if !expired {
			select {
			case <-c.Done():
			case <-deadline.C:
				expired = true
			}
		}
		if !res.count(t, c, epoch) {
			res.Stranded++
		}
	}
	if res.Stranded > 0 {
		for _, p := range procs {
			p.Terminate()
		}
	}
	res.Target = target.Stats()
	for _, ks := range target.PerKey() {
		res.MostSends = max(res.MostSends, ks.Sends)
		if ks.OnTime > 0 {
			res.OnTime++
			if i := int(ks.FirstOnTime.Sub(epoch).Seconds()); i < bins {
				res.OnTimeGoodput[i]++
			}
		}
	}
	return res
}

// count adds one relay's reply, if it came, to the result, and reports
// whether it came.
func (res *FleetResult) count(t testing.TB, c *Call, epoch time.Time) bool {
	m, at := c.Reply()
	if m == nil {
		return false
	}
	var rep struct {
		Type     string `json:"type"`
		Attempts int    `json:"attempts"`
		Result   struct {
			Type string `json:"type"`
		} `json:"result"`
	}
	if err := json.Unmarshal(m.Body, &rep); err != nil {
		t.Errorf("harness: fleet: reply %s: %v", m, err)
		return true
	}
	res.Answered++
	res.Attempts += rep.Attempts
	if rep.Type != "backoff_relay_ok" {
		return true
	}
	if rep.Result.Type != "work_ok" {
		t.Errorf("harness: fleet: reply %s, want the target's work_ok as its result", m)
	}
	res.OK++
	if i := int(at.Sub(epoch).Seconds()); i < len(res.Goodput) {
		res.Goodput[i]++
	}
	return true
}

// nextArrival draws the time of the next relay after from: a Poisson
// process whose rate is FaultRate during the fault and Rate otherwise.
func (cfg FleetConfig) nextArrival(from time.Duration, r *rand.Rand) time.Duration {
	for from < cfg.Horizon {
		rate, edge := cfg.Rate, cfg.FaultStart
		switch {
		case from >= cfg.FaultEnd:
			edge = cfg.Horizon
		case from >= cfg.FaultStart:
			rate, edge = cfg.FaultRate, cfg.FaultEnd
		}
		if rate > 0 {
			next := from + time.Duration(r.ExpFloat64()/rate*float64(time.Second))
			if next < edge {
				return next
			}
		}
		from = edge
	}
	return cfg.Horizon
}
