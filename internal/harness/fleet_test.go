package harness_test

import (
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/herdsim"
	"github.com/backoff-node/backoff-node/internal/harness"
)

// The fleet experiment (issue 16, item 3): K node processes relaying to
// one capacity-limited target, through a storm and a sustained overload,
// next to what the lab's model (herdsim) predicts for the same parameters.
// `make fleet` runs it (-fleet); `make test` runs only TestFleetSmoke.

var (
	fleetFlag  = flag.Bool("fleet", false, "run the fleet experiment (minutes) and print its table")
	fleetTable = flag.String("fleet-table", "", "with -fleet: also write the fleet table, as Markdown, to this file")
)

// TestFleetSmoke: five nodes relay to a target that stops for a second,
// with no retry budget, so that every relay may make all its attempts.
// Whatever the machine's speed: every relay is answered; none makes more
// than 1 + max_retries sends to the target; the attempts the replies
// report are exactly the requests the target received; the target's queue
// never holds more than its bound, and the storm fills it.
func TestFleetSmoke(t *testing.T) {
	seed, _ := seeded(t, 16)
	const maxRetries, queue = 2, 20
	res := harness.RunFleet(t, harness.FleetConfig{
		Seed: seed, Nodes: 5, Node: backoffNode,
		Target: harness.TargetConfig{Rate: 200, Queue: queue},
		Rate:   40, FaultRate: 40, Storm: true,
		FaultStart: 500 * time.Millisecond, FaultEnd: 1500 * time.Millisecond, Horizon: 2500 * time.Millisecond,
		Relay: map[string]any{"max_retries": maxRetries, "attempt_timeout": 0.3, "base_delay": 0.05, "max_delay": 0.2,
			"retry_budget": false},
		Drain: replyTimeout,
	})
	t.Logf("%d relays, %d answered, %d ok, %.2f sends a relay (most %d), target %+v",
		res.Relays, res.Answered, res.OK, res.SendsPerRelay(), res.MostSends, res.Target)
	if res.Relays < 20 || res.Answered != res.Relays {
		t.Errorf("%d of %d relays answered, want all of at least 20", res.Answered, res.Relays)
	}
	if res.MostSends > 1+maxRetries {
		t.Errorf("a relay made %d sends to the target, want at most 1 + max_retries = %d", res.MostSends, 1+maxRetries)
	}
	if int64(res.Attempts) != res.Target.Received {
		t.Errorf("the replies report %d attempts, the target received %d requests", res.Attempts, res.Target.Received)
	}
	st := res.Target
	if st.MaxQueue != queue || st.Rejected == 0 || st.Accepted+st.Rejected != st.Received {
		t.Errorf("target %+v: want the storm to fill the queue of %d (and no more), some rejected, every request accepted or rejected", st, queue)
	}
	if res.OK == 0 {
		t.Error("no relay succeeded, though the target serves 200 a second outside the storm")
	}
}

// A fleetScenario is a fault, as the lab's overload scenarios are.
type fleetScenario struct {
	name                          string
	rate, faultRate               float64
	faultStart, faultEnd, horizon time.Duration
	storm                         bool
}

// A fleetPolicy is a relay's retry control: the request's retry_budget,
// and the lab policy that models it, if one does.
type fleetPolicy struct {
	name   string
	budget any
	model  *herdsim.Policy
}

// The fleet experiment's parameters: the lab's server (100 a second, a
// 3 s queue), clients that wait 1 s and retry 3 times, normal load half
// the capacity; the node's default schedule (exponential, base 0.1 s, cap
// 2 s, jitter 0.1). Faults are shorter than the lab's so that `make
// fleet` takes minutes: a 10 s storm, 15 s at 1.5 times the capacity.
const (
	fleetCapacity = 100
	fleetQueue    = 300
	fleetTimeout  = 1.0
	fleetRetries  = 3
	fleetNormal   = 50
	fleetSeeds    = 20 // model runs averaged per prediction
	fleetLabFloor = 1  // retries a second: the floor of the lab's former shared budget
)

var (
	fleetSizes     = []int{1, 5, 25}
	fleetScenarios = []fleetScenario{
		{name: "storm", rate: fleetNormal, faultRate: fleetNormal, storm: true,
			faultStart: 5 * time.Second, faultEnd: 15 * time.Second, horizon: 30 * time.Second},
		{name: "sustained", rate: fleetNormal, faultRate: 1.5 * fleetCapacity,
			faultStart: 5 * time.Second, faultEnd: 20 * time.Second, horizon: 30 * time.Second},
	}
	fleetStrategy = backoff.Exponential{Base: 0.1, Max: 2, Jitter: 0.1}
)

func fleetPolicies() []fleetPolicy {
	plain := herdsim.Policy{Name: "exponential", Strategy: herdsim.Of(fleetStrategy)}
	budget := plain
	budget.Name = "exponential+budget"
	budget.Control = func() backoff.Control { // one budget for all the load, as the lab's was
		return backoff.NewBudget(backoff.DefaultBudgetRatio, fleetLabFloor, backoff.DefaultBudgetWindow)
	}
	return []fleetPolicy{
		{name: "no budget", budget: false, model: &plain},
		{name: "budget 0.2 + 10/s (node default)", budget: true},
		{name: "budget 0.2 + 1/s (the lab's)", budget: map[string]any{"ratio": backoff.DefaultBudgetRatio,
			"min_per_second": fleetLabFloor}, model: &budget},
	}
}

// A fleetRow is one run next to its prediction.
type fleetRow struct {
	sc     fleetScenario
	k      int
	policy string
	res    harness.FleetResult
	model  *prediction
}

// TestFleet runs every scenario, fleet size and policy once (-fleet; it
// takes about three minutes), prints the table and checks only what holds
// whatever the numbers: every relay answered, at most 1 + max_retries
// sends each. The comparison with the model is for people to read.
func TestFleet(t *testing.T) {
	if !*fleetFlag {
		t.Skip("the fleet experiment takes minutes: run it with -fleet (make fleet)")
	}
	seed, _ := seeded(t, 16)
	var mu sync.Mutex
	var rows []fleetRow
	for _, k := range fleetSizes {
		// One size at a time; its runs at once, each on its own network.
		t.Run(fmt.Sprintf("K=%d", k), func(t *testing.T) {
			for _, sc := range fleetScenarios {
				for _, p := range fleetPolicies() {
					t.Run(sc.name+"/"+p.name, func(t *testing.T) {
						t.Parallel()
						res := harness.RunFleet(t, fleetConfig(seed, k, sc, p))
						checkFleet(t, res)
						row := fleetRow{sc: sc, k: k, policy: p.name, res: res}
						if p.model != nil {
							row.model = predict(sc, *p.model)
						}
						mu.Lock()
						rows = append(rows, row)
						mu.Unlock()
					})
				}
			}
		})
	}
	out := fleetMarkdown(rows)
	fmt.Print(out)
	if *fleetTable != "" {
		if err := os.WriteFile(*fleetTable, []byte(out), 0o644); err != nil {
			t.Error(err)
		}
	}
}

func fleetConfig(seed uint64, k int, sc fleetScenario, p fleetPolicy) harness.FleetConfig {
	return harness.FleetConfig{
		Seed: seed, Nodes: k, Node: backoffNode,
		Target: harness.TargetConfig{Rate: fleetCapacity, Queue: fleetQueue},
		Rate:   sc.rate, FaultRate: sc.faultRate, Storm: sc.storm,
		FaultStart: sc.faultStart, FaultEnd: sc.faultEnd, Horizon: sc.horizon,
		Relay: map[string]any{"max_retries": fleetRetries, "attempt_timeout": fleetTimeout,
			"base_delay": fleetStrategy.Base, "max_delay": fleetStrategy.Max, "jitter": fleetStrategy.Jitter,
			"strategy": "exponential", "retry_budget": p.budget},
		Drain: replyTimeout,
	}
}

func checkFleet(t *testing.T, res harness.FleetResult) {
	t.Helper()
	if res.Answered != res.Relays {
		t.Errorf("%d of %d relays answered", res.Answered, res.Relays)
	}
	if res.MostSends > 1+fleetRetries {
		t.Errorf("a relay made %d sends to the target, want at most %d", res.MostSends, 1+fleetRetries)
	}
	if st := res.Target; st.MaxQueue > fleetQueue {
		t.Errorf("the target held %d requests, want at most %d", st.MaxQueue, fleetQueue)
	}
}

// A prediction is the model's mean over fleetSeeds seeds.
type prediction struct {
	amplification, success float64
	recovery               float64 // mean over the seeds that recover
	recovered              int     // how many of fleetSeeds do
}

// predict runs herdsim on the scenario's parameters. The model has one
// client (one budget for all the load): K = 1.
func predict(sc fleetScenario, p herdsim.Policy) *prediction {
	hs := herdsim.Scenario{Name: sc.name, Capacity: fleetCapacity, Queue: fleetQueue, Timeout: fleetTimeout,
		Retries: fleetRetries, Horizon: sc.horizon.Seconds(), FaultStart: sc.faultStart.Seconds(),
		FaultEnd: sc.faultEnd.Seconds(), Rate: sc.rate, FaultRate: sc.faultRate, Down: sc.storm, Fleet: 1}
	var pr prediction
	var o herdsim.Overload
	for s := uint64(1); s <= fleetSeeds; s++ {
		r := o.Run(hs, p, s)
		pr.amplification += r.Amplification / fleetSeeds
		pr.success += r.SuccessRate / fleetSeeds
		if r.Recovered {
			pr.recovered++
			pr.recovery += r.Recovery
		}
	}
	if pr.recovered > 0 {
		pr.recovery /= float64(pr.recovered)
	}
	return &pr
}

// fleetMarkdown is the table of the runs, in the order of the loops. The
// model's values are in bold where the run's differ by more than 15 %.
func fleetMarkdown(rows []fleetRow) string {
	var b strings.Builder
	fmt.Fprintln(&b, "| scenario | K | policy | sends/relay | model | success | on time | model | recovery | on time | model |")
	fmt.Fprintln(&b, "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, sc := range fleetScenarios {
		for _, k := range fleetSizes {
			for _, p := range fleetPolicies() {
				for _, r := range rows {
					if r.sc.name == sc.name && r.k == k && r.policy == p.name {
						fmt.Fprintln(&b, r.markdown())
					}
				}
			}
		}
	}
	return b.String()
}

func (r fleetRow) markdown() string {
	amp, succ, rec := "n/a", "n/a", "n/a"
	if m := r.model; m != nil {
		amp = flagged(r.res.SendsPerRelay(), m.amplification, "%.2f")
		succ = flagged(r.res.OnTimeShare(), m.success, "%.3f")
		rec = "never"
		if m.recovered > 0 {
			rec = fmt.Sprintf("%.1f s (%d/%d)", m.recovery, m.recovered, fleetSeeds)
		}
	}
	return fmt.Sprintf("| %s | %d | %s | %.2f | %s | %.3f | %.3f | %s | %s | %s | %s |", r.sc.name, r.k, r.policy,
		r.res.SendsPerRelay(), amp, r.res.Success(), r.res.OnTimeShare(), succ,
		seconds(r.res.Recovery(r.sc.faultEnd)), seconds(r.res.OnTimeRecovery(r.sc.faultEnd)), rec)
}

// seconds formats a recovery time.
func seconds(s float64, ok bool) string {
	if !ok {
		return "never"
	}
	return fmt.Sprintf("%.0f s", s)
}

// flagged formats the model's value, in bold where the run's differs from
// it by more than 15 %.
func flagged(real, model float64, format string) string {
	s := fmt.Sprintf(format, model)
	if math.Abs(real-model) > 0.15*model {
		return "**" + s + "**"
	}
	return s
}
