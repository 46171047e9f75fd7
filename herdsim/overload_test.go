package herdsim

import (
	"errors"
	"flag"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
)

// findingSeeds are the seeds every finding is checked on: a finding that
// held on one seed only would not be one.
var findingSeeds = []uint64{1, 2, 3, 4, 5}

// invariantStride: the tests that run every policy run every one, or every
// invariantStride-th one under the race detector.
var invariantStride = 1

// budgetShare: see TestOverloadSustainedOpen.
const budgetShare = 0.2

func scenario(t *testing.T, name string) Scenario {
	t.Helper()
	return named(t, "scenario", Scenarios(), func(sc Scenario) string { return sc.Name }, name)
}

func policy(t *testing.T, name string) Policy {
	t.Helper()
	return named(t, "policy", OverloadPolicies(), func(p Policy) string { return p.Name }, name)
}

func TestOverloadPolicies(t *testing.T) {
	ps := OverloadPolicies()
	n := 1 + len(Lab())
	if want := 2*n + len(Controls()) - 1; len(ps) != want {
		t.Fatalf("%d policies, want %d (none and every lab strategy, each alone and +budget, then full jitter with each other control)", len(ps), want)
	}
	if ps[0].Name != "none" || ps[n].Name != "none+budget" || ps[n].Control == nil || ps[0].Control != nil || ps[len(ps)-1].Name != "full_jitter+credit" {
		t.Errorf("policies %q, %q, ..., %q; want none, then none+budget, last full_jitter+credit", ps[0].Name, ps[n].Name, ps[len(ps)-1].Name)
	}
}

func TestOverloadReproducible(t *testing.T) {
	for _, sc := range Scenarios() {
		p := policy(t, "full_jitter+budget")
		a, b := RunOverload(sc, p, 7), RunOverload(sc, p, 7)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two runs with seed 7 differ", sc.Name)
		}
		if c := RunOverload(sc, p, 8); reflect.DeepEqual(a.Offered, c.Offered) {
			t.Errorf("%s: seeds 7 and 8 offer the same load", sc.Name)
		}
	}
}

// TestOverloadInvariants checks what holds in every run whatever the
// policy: the server never serves more than its capacity, goodput never
// exceeds what it served, and every request makes at least one attempt
// (unless the breaker refuses it) and at most 1 + Retries.
func TestOverloadInvariants(t *testing.T) {
	var o Overload
	for _, sc := range Scenarios() {
		for i, p := range OverloadPolicies() {
			if i%invariantStride != 0 {
				continue
			}
			r := o.Run(sc, p, 3)
			// Every request sends its first attempt unless a control (the
			// breaker) refuses it.
			if r.Requests == 0 || r.Attempts < r.Requests-r.Refused || r.Attempts > r.Requests*(1+sc.MaxRetries()) ||
				r.Refused > 0 && !strings.HasSuffix(p.Name, "+breaker") {
				t.Errorf("%s/%s: %d requests (%d refused), %d attempts", sc.Name, p.Name, r.Requests, r.Refused, r.Attempts)
			}
			for i := range r.Served {
				// One more than capacity: a bin can hold the tail of an attempt begun in the last.
				if r.Served[i] > sc.Capacity+1 || r.Goodput[i] > r.Served[i] {
					t.Errorf("%s/%s: bin %d served %v, goodput %v (capacity %v)", sc.Name, p.Name, i, r.Served[i], r.Goodput[i], sc.Capacity)
					break
				}
				if sc.Down && float64(i) >= sc.FaultStart && float64(i+1) <= sc.FaultEnd && r.Served[i] != 0 {
					t.Errorf("%s/%s: served %v in bin %d, while the server is down", sc.Name, p.Name, r.Served[i], i)
				}
			}
			// No server of the same capacity beats the ideal one.
			if r.GoodputRatio < 0 || r.GoodputRatio > 1 {
				t.Errorf("%s/%s: goodput ratio %v", sc.Name, p.Name, r.GoodputRatio)
			}
			if r.SuccessRate < 0 || r.SuccessRate > 1 || r.P99Latency < 0 {
				t.Errorf("%s/%s: success rate %v, p99 %v", sc.Name, p.Name, r.SuccessRate, r.P99Latency)
			}
		}
	}
}

// TestOverloadHealthy: below capacity with no fault, every attempt is
// answered at once; nothing to recover from.
func TestOverloadHealthy(t *testing.T) {
	sc := scenario(t, "spike")
	sc.FaultRate = sc.Rate
	r := RunOverload(sc, policy(t, "none"), 1)
	if r.Amplification != 1 || r.SuccessRate != 1 || !r.Recovered || r.Recovery != 0 || r.P99Latency > 0.1 {
		t.Errorf("healthy server: %+v", *r.summary())
	}
}

// summary drops the series, for error messages.
func (r OverloadResult) summary() *OverloadResult {
	r.Offered, r.Sent, r.Served, r.Goodput = nil, nil, nil, nil
	return &r
}

// TestOverloadVariants checks the two server variants do what they say. With
// a 100-attempt queue the spike fills it within its first second: rejected
// attempts come back at once under `none`, dropped ones only a timeout later;
// and rejections that cost server time leave less of it for serving.
func TestOverloadVariants(t *testing.T) {
	sc := scenario(t, "spike")
	sc.Queue = 100
	first := int(sc.FaultStart)
	none := policy(t, "none")
	rejected := RunOverload(sc, none, 1)
	if rejected.Sent[first] < 2*rejected.Offered[first] {
		t.Errorf("rejecting: sent %v in the spike's first second, offered %v; want immediate retries", rejected.Sent[first], rejected.Offered[first])
	}
	sc.Drop = true
	dropped := RunOverload(sc, none, 1)
	if dropped.Sent[first] != dropped.Offered[first] {
		t.Errorf("dropping: sent %v in the spike's first second, offered %v; want no retry before the timeout", dropped.Sent[first], dropped.Offered[first])
	}
	sc.Drop = false
	served := func(r OverloadResult) (n float64) {
		for _, v := range r.Served {
			n += v
		}
		return n
	}
	sc.RejectCost = 0.5
	if c, f := served(RunOverload(sc, none, 1)), served(rejected); c >= f {
		t.Errorf("served %v attempts with rejections at half a service each, %v with free ones; want fewer", c, f)
	}
}

// Finding (a), as published, is that jittered backoff recovers from a spike
// sooner than no backoff and constant backoff. In this model it does not:
// at normal load half the capacity and 3 retries a request, the spike
// leaves the queue full of attempts their clients gave up, and no strategy
// alone gets out of it within the horizon, since an open loop's retries
// come anyway, only later. A budget gets every strategy out within 10 s.
func TestOverloadSpike(t *testing.T) {
	sc := scenario(t, "spike")
	for _, seed := range findingSeeds {
		for _, name := range []string{"none", "constant", "full_jitter", "equal_jitter", "decorrelated_jitter"} {
			if r := RunOverload(sc, policy(t, name), seed); r.Recovered {
				t.Errorf("seed %d: %s recovers from the spike in %v s; the model says backoff alone does not", seed, name, r.Recovery)
			}
			if r := RunOverload(sc, policy(t, name+"+budget"), seed); !r.Recovered || r.Recovery > 10 {
				t.Errorf("seed %d: %s+budget: recovered %v in %v s, want within 10 s", seed, name, r.Recovered, r.Recovery)
			}
		}
	}
}

// Finding (a) in variants of the model where the spike leaves no metastable
// failure behind (normal load 20/s: even if every attempt fails, 4 × 20 is
// below the capacity): the server drops attempts unanswered, or rejections
// cost it a tenth of a service with a 1 s queue, or that with 6 retries.
// Every strategy recovers, and immediate retries recover soonest: with a
// fixed number of retries, `none` spends them during the spike, while the
// server is lost anyway, and backoff moves the same work into the recovery.
// (At 20/s with the model's defaults it is a tie within noise, so that
// variant is reported in docs/lab.md, not asserted.)
func TestOverloadSpikeVariants(t *testing.T) {
	variants := []struct {
		name string
		set  func(*Scenario)
	}{
		{"drop", func(sc *Scenario) { sc.Drop = true }},
		{"queue 100, reject cost 0.1", func(sc *Scenario) { sc.Queue, sc.RejectCost = 100, 0.1 }},
		{"queue 100, reject cost 0.05, 6 retries", func(sc *Scenario) { sc.Queue, sc.RejectCost, sc.Retries = 100, 0.05, 6 }},
	}
	var o Overload
	for _, v := range variants {
		sc := scenario(t, "spike")
		sc.Rate = 20
		v.set(&sc)
		mean := func(name string) float64 {
			var sum float64
			for _, seed := range findingSeeds {
				r := o.Run(sc, policy(t, name), seed)
				if !r.Recovered {
					t.Errorf("%s: %s, seed %d: never recovers; want every policy to in this variant", v.name, name, seed)
					sum += sc.Horizon - sc.FaultEnd
					continue
				}
				sum += r.Recovery
			}
			return sum / float64(len(findingSeeds))
		}
		none := mean("none")
		for _, name := range []string{"full_jitter", "equal_jitter", "decorrelated_jitter"} {
			if m := mean(name); m <= none {
				t.Errorf("%s: %s recovers in %.1f s on average, none in %.1f s; want none sooner", v.name, name, m, none)
			}
		}
	}
}

// Finding (a) reproduced, with clients that retry until a deadline (10 s)
// rather than a fixed number of times, rejections that take a round trip
// (20 ms) to reach them, and a normal load of 20/s. Immediate retries then
// chatter (hundreds of attempts a request) and keep the queue full for as
// long as requests keep arriving; constant backoff (1 s) sends one attempt
// a second a waiting request, in step. Jittered backoff sends a few and
// recovers on every seed, sooner on average than both.
func TestOverloadSpikeDeadline(t *testing.T) {
	if raceBuild {
		t.Skip("hundreds of attempts a request: make lab-findings checks it without the race detector")
	}
	sc := scenario(t, "spike")
	sc.Rate, sc.Deadline, sc.RTT = 20, 10, 0.02
	var o Overload
	mean := func(name string) (m float64, recovered int) {
		for _, seed := range findingSeeds {
			r := o.Run(sc, policy(t, name), seed)
			if r.Recovered {
				recovered++
				m += r.Recovery
			} else {
				m += sc.Horizon - sc.FaultEnd // never counts as the whole rest of the horizon
			}
		}
		return m / float64(len(findingSeeds)), recovered
	}
	none, _ := mean("none")
	constant, _ := mean("constant")
	for _, name := range []string{"full_jitter", "equal_jitter", "decorrelated_jitter"} {
		m, recovered := mean(name)
		if recovered != len(findingSeeds) || m >= none || m >= constant {
			t.Errorf("%s: recovers on %d of %d seeds, in %.1f s on average; none %.1f s, constant %.1f s: want every seed, sooner than both",
				name, recovered, len(findingSeeds), m, none, constant)
		}
	}
	if r := o.Run(sc, policy(t, "none"), 1); r.Amplification < 100 {
		t.Errorf("none: %.1f attempts a request, want the chatter of immediate retries (over 100)", r.Amplification)
	}
}

// Finding (b): in sustained open-loop overload, backoff alone leaves the
// attempts per request within 20 % of immediate retries, while a budget
// holds them near 1 + its ratio.
func TestOverloadSustainedOpen(t *testing.T) {
	sc := scenario(t, "sustained_open")
	var o Overload
	for _, seed := range findingSeeds {
		none := o.Run(sc, policy(t, "none"), seed).Amplification
		for i, p := range OverloadPolicies() {
			if i%invariantStride != 0 {
				continue
			}
			a := o.Run(sc, p, seed).Amplification
			switch {
			case strings.HasSuffix(p.Name, "+budget") && math.Abs(a-(1+budgetShare)) > 0.1:
				t.Errorf("seed %d: %s: amplification %.3f, want 1 + %.2f ± 0.1", seed, p.Name, a, budgetShare)
			case p.Control == nil && math.Abs(a/none-1) > 0.2:
				t.Errorf("seed %d: %s: amplification %.3f, not within 20 %% of none's %.3f", seed, p.Name, a, none)
			}
		}
	}
}

// Finding (c): in sustained closed-loop overload, a client that backs off
// sends nothing meanwhile, so backoff lowers the attempts per request:
// every strategy of the lab makes at most 3/4 of none's, except sawtooth,
// whose third retry sweeps back to its first window (delays below 1, 2
// and 1 s): it makes about 3/4 (0.74 to 0.75 on seeds 1..5), and at most
// 0.8 is asserted for it.
func TestOverloadSustainedClosed(t *testing.T) {
	sc := scenario(t, "sustained_closed")
	for _, seed := range findingSeeds {
		none := RunOverload(sc, policy(t, "none"), seed).Amplification
		for i, e := range Lab() {
			if i%invariantStride != 0 {
				continue
			}
			most := 0.75
			if e.Name == "sawtooth" {
				most = 0.8
			}
			if a := RunOverload(sc, policy(t, e.Name), seed).Amplification; a > most*none {
				t.Errorf("seed %d: %s: amplification %.3f, want at most %v of none's %.3f", seed, e.Name, a, most, none)
			}
		}
	}
}

// Finding (d): after the storm, immediate retries without a budget keep the
// server in metastable overload to the end of the horizon; full jitter with
// a budget recovers.
func TestOverloadStorm(t *testing.T) {
	sc := scenario(t, "storm")
	for _, seed := range findingSeeds {
		if r := RunOverload(sc, policy(t, "none"), seed); r.Recovered {
			t.Errorf("seed %d: none recovers from the storm in %v s", seed, r.Recovery)
		}
		if r := RunOverload(sc, policy(t, "full_jitter+budget"), seed); !r.Recovered || r.Recovery > 15 {
			t.Errorf("seed %d: full_jitter+budget: recovered %v in %v s, want within 15 s", seed, r.Recovered, r.Recovery)
		}
	}
}

func TestRecovery(t *testing.T) {
	off := []float64{10, 10, 10, 10, 10, 10, 10, 10}
	tests := []struct {
		good []float64
		want float64
		ok   bool
	}{
		{[]float64{0, 0, 10, 10, 10, 10, 10, 10}, 2, true},
		{[]float64{0, 0, 0, 0, 0, 0, 0, 9}, 0, false},
		{[]float64{10, 10, 10, 10, 10, 10, 10, 10}, 0, true},
		{[]float64{10, 10, 10, 10, 0, 0, 10, 10}, 0, false}, // relapse: not recovered
	}
	for _, tt := range tests {
		got, ok := recovery(off, tt.good, 0)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("recovery(%v) = %v, %v; want %v, %v", tt.good, got, ok, tt.want, tt.ok)
		}
	}
}

// BenchmarkOverload is one default `backoff-lab overload`: every scenario
// under every policy.
func BenchmarkOverload(b *testing.B) {
	scs, ps := Scenarios(), OverloadPolicies()
	var o Overload
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for _, sc := range scs {
			for _, p := range ps {
				o.Run(sc, p, uint64(i))
			}
		}
	}
}

// BenchmarkOverloadStorm is one run of the storm under full jitter.
func BenchmarkOverloadStorm(b *testing.B) {
	sc, p := Scenarios()[1], OverloadPolicies()[6]
	var o Overload
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		o.Run(sc, p, uint64(i))
	}
}

func TestOverloadRejectsBadScenario(t *testing.T) {
	sc := scenario(t, "storm")
	sc.Queue = 0
	defer func() {
		if recover() == nil {
			t.Error("a scenario with no queue ran")
		}
	}()
	RunOverload(sc, policy(t, "none"), 1)
}

// TestScenarioValidate: each rule names the field it checks, and the
// scenarios of Scenarios pass.
func TestScenarioValidate(t *testing.T) {
	for _, sc := range Scenarios() {
		if err := sc.Validate(); err != nil {
			t.Errorf("%s: %v", sc.Name, err)
		}
	}
	tests := []struct {
		set  func(*Scenario)
		want string
	}{
		{func(sc *Scenario) { sc.Queue = 0 }, "Queue 0: want 1 to 1000000 attempts"},
		{func(sc *Scenario) { sc.Retries = 21 }, "Retries 21: want 0 to 20"},
		{func(sc *Scenario) { sc.Rate = math.NaN() }, "Rate NaN: want a load above 0"},
		{func(sc *Scenario) { sc.Deadline = 5 }, "Deadline 5 needs RTT above 0"},
		{func(sc *Scenario) { sc.Horizon = math.Inf(1) }, "Horizon +Inf"},
		{func(sc *Scenario) { sc.Clients, sc.Think = 10, 0 }, "want no clients (open loop), or up to 100000 with a think time"},
		{func(sc *Scenario) { sc.Rate, sc.Deadline, sc.RTT = 100, 60, 0.01 }, "storm would hold about"},
	}
	for _, tt := range tests {
		sc := scenario(t, "storm")
		tt.set(&sc)
		err := sc.Validate()
		var se *ScenarioError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate() = %v, want a *ScenarioError saying %q", err, tt.want)
		}
	}
}

// recheck moves the findings to other seeds: `go test ./herdsim -run
// Overload -recheck` (or make lab-recheck) checks them on seeds 6..10, which
// they were not tuned on.
var recheck = flag.Bool("recheck", false, "check the findings on seeds 6..10 instead of 1..5")

func TestMain(m *testing.M) {
	flag.Parse()
	if *recheck {
		findingSeeds = []uint64{6, 7, 8, 9, 10}
	}
	os.Exit(m.Run())
}
