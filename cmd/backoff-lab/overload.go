package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/backoff-node/backoff-node/herdsim"
)

// overloadRow is one scenario under one policy. Recovery is null when the
// server never recovers within the horizon.
type overloadRow struct {
	Scenario      string   `json:"scenario"`
	Policy        string   `json:"policy"`
	Recovery      *float64 `json:"recovery_s"`
	Amplification float64  `json:"amplification"`
	SuccessRate   float64  `json:"success_rate"`
	GoodputRatio  float64  `json:"goodput_ratio"`
	P99Latency    float64  `json:"p99_latency_s"`
}

func overloadCmd(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("overload", "[flags]", stderr)
	seed := fs.Uint64("seed", defaultSeed, "seed of every run")
	scenario := fs.String("scenario", "", "comma-separated scenarios (default all)")
	policy := fs.String("policy", "", "comma-separated policies (default all)")
	format := fs.String("format", "table", "output format: table, json or csv")
	out := fs.String("out", "", "write DIR/overload.<format> instead of stdout")
	charts := fs.String("charts", "", "also write the time-series charts into DIR")
	normal := fs.Float64("normal", herdsim.OverloadNormal, "normal load of the open-loop scenarios, requests/s")
	queue := fs.Int("queue", herdsim.OverloadQueue, "attempts the server's queue holds")
	retries := fs.Int("retries", herdsim.OverloadRetries, "retries of each request after its first attempt")
	rejectCost := fs.Float64("reject-cost", 0, "server time a rejection takes, as a share of serving an attempt")
	drop := fs.Bool("drop", false, "a full queue drops attempts unanswered (clients learn at their timeout) instead of rejecting them")
	deadline := fs.Float64("deadline", 0, "clients retry until this many `seconds` after a request's first attempt, however many retries that takes, instead of --retries times (needs --rtt)")
	rtt := fs.Float64("rtt", 0, "`seconds` a rejection takes to reach its client")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkVariant(*normal, *queue, *retries, *rejectCost, *deadline, *rtt); err != nil {
		return err
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	scenarios, err := pickScenarios(*scenario)
	if err != nil {
		return err
	}
	for i := range scenarios {
		sc := &scenarios[i]
		if sc.Clients == 0 { // open loop; the storm's load during the fault is the normal one
			if sc.FaultRate == sc.Rate {
				sc.FaultRate = *normal
			}
			sc.Rate = *normal
		}
		sc.Queue, sc.Retries, sc.RejectCost, sc.Drop = *queue, *retries, *rejectCost, *drop
		sc.Deadline, sc.RTT = *deadline, *rtt
		if err := checkSize(*sc); err != nil {
			return err
		}
	}
	policies, err := pickPolicies(*policy)
	if err != nil {
		return err
	}

	var rows []overloadRow
	var o herdsim.Overload
	start := time.Now() // for progress only: the runs themselves use no clock
	for i, sc := range scenarios {
		if i > 0 && time.Since(start) > time.Second { // long variants report progress
			fmt.Fprintf(stderr, "backoff-lab overload: %d of %d scenarios done in %.1f s\n", i, len(scenarios), time.Since(start).Seconds())
		}
		for _, p := range policies {
			r := o.Run(sc, p, *seed)
			row := overloadRow{Scenario: sc.Name, Policy: p.Name, Amplification: r.Amplification,
				SuccessRate: r.SuccessRate, GoodputRatio: r.GoodputRatio, P99Latency: r.P99Latency}
			if r.Recovered {
				v := r.Recovery
				row.Recovery = &v
			}
			rows = append(rows, row)
		}
	}
	if *charts != "" {
		if err := overloadCharts(*charts, scenarios, *seed, stderr); err != nil {
			return err
		}
	}

	server := fmt.Sprintf("capacity %d/s, queue %d, timeout %d s", herdsim.OverloadCapacity, *queue, herdsim.OverloadTimeout)
	if *drop {
		server += ", full queue drops"
	}
	if *rejectCost > 0 {
		server += fmt.Sprintf(", a rejection costs %g of a service", *rejectCost)
	}
	if *rtt > 0 {
		server += fmt.Sprintf(", rejections reach clients in %g s", *rtt)
	}
	if *normal != herdsim.OverloadNormal {
		server += fmt.Sprintf(", normal load %g/s", *normal)
	}
	clients := fmt.Sprintf("%d retries", *retries)
	if *deadline > 0 {
		clients = fmt.Sprintf("retries until a %g s deadline", *deadline)
	}
	t := table{
		title: fmt.Sprintf("Overload and recovery (%s, %s, budget ratio %.1f + %d/s), seed %d",
			server, clients, herdsim.OverloadBudgetRatio, herdsim.OverloadBudgetFloor, *seed),
		cols: []string{"scenario", "policy", "recovery_s", "amplification", "success_rate", "goodput_ratio", "p99_latency_s"},
		json: rows,
	}
	for _, r := range rows {
		rec := "never"
		if *format == "csv" {
			rec = ""
		}
		if r.Recovery != nil {
			rec = strconv.FormatFloat(*r.Recovery, 'f', 0, 64)
		}
		t.rows = append(t.rows, []string{r.Scenario, r.Policy, rec,
			fmt.Sprintf("%.2f", r.Amplification), fmt.Sprintf("%.3f", r.SuccessRate),
			fmt.Sprintf("%.3f", r.GoodputRatio), fmt.Sprintf("%.2f", r.P99Latency)})
	}
	return emit(t, *out, "overload", *format, stdout, stderr)
}

// checkVariant rejects server and client parameters the model cannot run, or
// that would make a run take minutes rather than a second.
func checkVariant(normal float64, queue, retries int, rejectCost, deadline, rtt float64) error {
	switch {
	case !(rtt >= 0 && rtt <= 10):
		return fmt.Errorf("%w: --rtt %g: want 0 to 10 seconds", errUsage, rtt)
	case !(deadline >= 0 && deadline <= 3600):
		return fmt.Errorf("%w: --deadline %g: want 0 (none) to 3600 seconds", errUsage, deadline)
	case deadline > 0 && rtt == 0:
		return fmt.Errorf("%w: --deadline %g needs --rtt above 0: immediate retries of rejections that arrive at once would never end", errUsage, deadline)
	case deadline > 0 && deadline/math.Min(rtt, herdsim.OverloadTimeout) > maxDeadlineRetries:
		return fmt.Errorf("%w: --deadline %g with --rtt %g allows %.0f retries a request; want at most %d", errUsage, deadline, rtt, math.Ceil(deadline/math.Min(rtt, herdsim.OverloadTimeout)), maxDeadlineRetries)
	case !(normal > 0 && normal <= 10*herdsim.OverloadCapacity):
		return fmt.Errorf("%w: --normal %g: want a load above 0 and at most %d requests/s (10 times the capacity)", errUsage, normal, 10*herdsim.OverloadCapacity)
	case queue < 1 || queue > 1_000_000:
		return fmt.Errorf("%w: --queue %d: want 1 to 1000000 attempts", errUsage, queue)
	case retries < 0 || retries > 20:
		return fmt.Errorf("%w: --retries %d: want 0 to 20", errUsage, retries)
	case !(rejectCost >= 0 && rejectCost <= 10):
		return fmt.Errorf("%w: --reject-cost %g: want 0 to 10 (a share of one service time)", errUsage, rejectCost)
	}
	return nil
}

// Limits that keep a run's memory bounded: each request holds its delays,
// MaxRetries of them.
const (
	maxDeadlineRetries = 10_000
	maxOverloadDelays  = 20_000_000 // 160 MB of float64
)

// checkSize rejects a scenario whose requests' delays would not fit in
// maxOverloadDelays, from its expected number of requests.
func checkSize(sc herdsim.Scenario) error {
	requests := sc.Rate*sc.Horizon + (sc.FaultRate-sc.Rate)*(sc.FaultEnd-sc.FaultStart)
	if sc.Clients > 0 { // at most one request a client per think time or timeout
		requests = float64(max(sc.Clients, sc.FaultClients)) * sc.Horizon / math.Min(sc.Think, sc.Timeout)
	}
	if delays := requests * float64(sc.MaxRetries()); delays > maxOverloadDelays {
		return fmt.Errorf("%w: %s would hold about %.0f delays (%.0f requests × %d retries); want at most %d: lower --normal, --retries or --deadline, or raise --rtt",
			errUsage, sc.Name, delays, requests, sc.MaxRetries(), maxOverloadDelays)
	}
	return nil
}

// pickScenarios returns the scenarios named in list (all if it is empty).
func pickScenarios(list string) ([]herdsim.Scenario, error) {
	all := herdsim.Scenarios()
	if list == "" {
		return all, nil
	}
	var names []string
	for _, s := range all {
		names = append(names, s.Name)
	}
	var picked []herdsim.Scenario
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		i := indexOf(names, name)
		if i < 0 {
			return nil, fmt.Errorf("%w: unknown scenario %q; valid: %s", errUsage, name, strings.Join(names, ", "))
		}
		picked = append(picked, all[i])
	}
	return picked, nil
}

// pickPolicies returns the policies named in list (all if it is empty).
func pickPolicies(list string) ([]herdsim.Policy, error) {
	all := herdsim.OverloadPolicies()
	if list == "" {
		return all, nil
	}
	var names []string
	for _, p := range all {
		names = append(names, p.Name)
	}
	var picked []herdsim.Policy
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		i := indexOf(names, name)
		if i < 0 {
			return nil, fmt.Errorf("%w: unknown policy %q; valid: a strategy of the lab or none, optionally +budget (%s)", errUsage, name, strings.Join(names[:len(names)/2], ", "))
		}
		picked = append(picked, all[i])
	}
	return picked, nil
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

// recoveryText formats a recovery time for a chart title.
func recoveryText(r *herdsim.OverloadResult) string {
	if !r.Recovered || math.IsNaN(r.Recovery) {
		return "never recovers"
	}
	return fmt.Sprintf("recovers in %.0f s", r.Recovery)
}
