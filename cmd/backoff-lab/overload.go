package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backoff-node/backoff-node/herdsim"
)

// overloadFlags are the flags of `backoff-lab overload`.
type overloadFlags struct {
	seed                              *uint64
	scenario, policy, format          *string
	out, charts                       *string
	normal, rejectCost, deadline, rtt *float64
	queue, retries, clients           *int
	errorRate                         *float64
	ask                               *string
	drop, dropStale, lifo             *bool
}

func addOverloadFlags(fs *flag.FlagSet) overloadFlags {
	return overloadFlags{
		seed:       fs.Uint64("seed", defaultSeed, "seed of every run"),
		scenario:   fs.String("scenario", "", "comma-separated scenarios (default all)"),
		policy:     fs.String("policy", "", "comma-separated policies (default all)"),
		format:     fs.String("format", "table", "output format: table, json or csv"),
		out:        fs.String("out", "", "write DIR/overload.<format> instead of stdout"),
		charts:     fs.String("charts", "", "also write the time-series charts into DIR"),
		normal:     fs.Float64("normal", herdsim.OverloadNormal, "normal load of the open-loop scenarios, requests/s"),
		queue:      fs.Int("queue", herdsim.OverloadQueue, "attempts the server's queue holds"),
		retries:    fs.Int("retries", herdsim.OverloadRetries, "retries of each request after its first attempt"),
		rejectCost: fs.Float64("reject-cost", 0, "server time a rejection takes, as a share of serving an attempt"),
		drop:       fs.Bool("drop", false, "a full queue drops attempts unanswered (clients learn at their timeout) instead of rejecting them"),
		deadline:   fs.Float64("deadline", 0, "clients retry until this many `seconds` after a request's first attempt, however many retries that takes, instead of --retries times (needs --rtt)"),
		rtt:        fs.Float64("rtt", 0, "`seconds` a rejection takes to reach its client"),
		dropStale:  fs.Bool("drop-stale", false, "the server skips, at no cost, attempts whose client has given up by their turn"),
		lifo:       fs.Bool("lifo", false, "the server serves the newest attempt first"),
		clients:    fs.Int("clients", 1, "`K` clients share the load evenly, each with its own policy state"),
		errorRate:  fs.Float64("error-rate", 0, "chance `X` that an attempt the server serves fails all the same (a transient error)"),
		ask:        fs.String("ask", "retry", "when a control is asked for a retry: at the `failure` or when the retry is due (retry)"),
	}
}

// flagNames maps the Scenario fields the flags set to the flags' names, for
// herdsim's validation errors.
var flagNames = map[string]string{
	"Rate": "--normal", "Queue": "--queue", "Retries": "--retries", "RejectCost": "--reject-cost",
	"Deadline": "--deadline", "RTT": "--rtt", "Fleet": "--clients", "ErrorRate": "--error-rate",
}

func overloadCmd(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("overload", "[flags]", stderr)
	f := addOverloadFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkFormat(*f.format); err != nil {
		return err
	}
	scenarios, err := f.scenarios()
	if err != nil {
		return err
	}
	policies, err := pickPolicies(*f.policy, *f.ask)
	if err != nil {
		return err
	}
	rows := overloadRows(scenarios, policies, *f.seed, stderr)
	if *f.charts != "" {
		if err := overloadCharts(*f.charts, scenarios, *f.seed, stderr); err != nil {
			return err
		}
	}
	return emit(f.table(rows), *f.out, "overload", *f.format, stdout, stderr)
}

// scenarios returns the scenarios picked, with the flags applied, each
// checked by herdsim's own rule.
func (f overloadFlags) scenarios() ([]herdsim.Scenario, error) {
	scenarios, err := pick("scenario", *f.scenario, herdsim.Scenarios(), func(s herdsim.Scenario) string { return s.Name }, "")
	if err != nil {
		return nil, err
	}
	for i := range scenarios {
		sc := &scenarios[i]
		if sc.Clients == 0 { // open loop; the storm's load during the fault is the normal one
			if sc.FaultRate == sc.Rate {
				sc.FaultRate = *f.normal
			}
			sc.Rate = *f.normal
		}
		sc.Queue, sc.Retries, sc.RejectCost, sc.Drop = *f.queue, *f.retries, *f.rejectCost, *f.drop
		sc.Deadline, sc.RTT = *f.deadline, *f.rtt
		sc.Fleet, sc.ErrorRate, sc.DropStale, sc.LIFO = *f.clients, *f.errorRate, *f.dropStale, *f.lifo
		if err := sc.Validate(); err != nil {
			var se *herdsim.ScenarioError
			if errors.As(err, &se) {
				return nil, fmt.Errorf("%w: %s", errUsage, se.Text(flagNames))
			}
			return nil, err
		}
	}
	return scenarios, nil
}

// overloadRows runs every scenario under every policy.
func overloadRows(scenarios []herdsim.Scenario, policies []herdsim.Policy, seed uint64, stderr io.Writer) []herdsim.OverloadRow {
	var rows []herdsim.OverloadRow
	var o herdsim.Overload
	start := time.Now() // for progress only: the runs themselves use no clock
	for i, sc := range scenarios {
		if i > 0 && time.Since(start) > time.Second { // long variants report progress
			fmt.Fprintf(stderr, "backoff-lab overload: %d of %d scenarios done in %.1f s\n", i, len(scenarios), time.Since(start).Seconds())
		}
		for _, p := range policies {
			rows = append(rows, herdsim.NewOverloadRow(sc, p.Name, o.Run(sc, p, seed)))
		}
	}
	return rows
}

// table lays the rows out under a title that states the model's settings.
func (f overloadFlags) table(rows []herdsim.OverloadRow) table {
	server := fmt.Sprintf("capacity %d/s, queue %d, timeout %d s", herdsim.OverloadCapacity, *f.queue, herdsim.OverloadTimeout)
	if *f.drop {
		server += ", full queue drops"
	}
	if *f.dropStale {
		server += ", stale attempts skipped"
	}
	if *f.lifo {
		server += ", LIFO"
	}
	if *f.rejectCost > 0 {
		server += fmt.Sprintf(", a rejection costs %g of a service", *f.rejectCost)
	}
	if *f.rtt > 0 {
		server += fmt.Sprintf(", rejections reach clients in %g s", *f.rtt)
	}
	if *f.normal != herdsim.OverloadNormal {
		server += fmt.Sprintf(", normal load %g/s", *f.normal)
	}
	clients := fmt.Sprintf("%d retries", *f.retries)
	if *f.deadline > 0 {
		clients = fmt.Sprintf("retries until a %g s deadline", *f.deadline)
	}
	clients += ", controls per client at their defaults, asked when the retry is due"
	if *f.ask == "failure" {
		clients = strings.Replace(clients, "when the retry is due", "at the failure", 1)
	}
	t := table{
		title: fmt.Sprintf("Overload and recovery (%s; %s), seed %d", server, clients, *f.seed),
		cols:  []string{"scenario", "policy", "clients", "error_rate", "recovery_s", "amplification", "success_rate", "goodput_ratio", "p99_latency_s"},
		json:  rows,
	}
	for _, r := range rows {
		rec := "never"
		if *f.format == "csv" {
			rec = ""
		}
		if r.Recovery != nil {
			rec = strconv.FormatFloat(*r.Recovery, 'f', 0, 64)
		}
		t.rows = append(t.rows, []string{r.Scenario, r.Policy, strconv.Itoa(r.Clients), strconv.FormatFloat(r.ErrorRate, 'g', -1, 64), rec,
			fmt.Sprintf("%.2f", r.Amplification), fmt.Sprintf("%.3f", r.SuccessRate),
			fmt.Sprintf("%.3f", r.GoodputRatio), fmt.Sprintf("%.2f", r.P99Latency)})
	}
	return t
}

// pickPolicies returns the policies named in list (the default table's if
// it is empty): each a strategy, optionally with +control.
func pickPolicies(list, ask string) ([]herdsim.Policy, error) {
	if ask != "failure" && ask != "retry" {
		return nil, fmt.Errorf("%w: --ask %q: want failure or retry", errUsage, ask)
	}
	if list == "" {
		return askAt(herdsim.OverloadPolicies(), ask), nil
	}
	var out []herdsim.Policy
	for _, name := range strings.Split(list, ",") {
		p, err := herdsim.ParsePolicy(strings.TrimSpace(name))
		if err != nil {
			var strategies, controls []string
			for _, e := range herdsim.Strategies() {
				strategies = append(strategies, e.Name)
			}
			for _, c := range herdsim.Controls() {
				controls = append(controls, "+"+c.Name)
			}
			return nil, fmt.Errorf("%w: --policy %q: %v; want a strategy (%s), optionally with one control (%s), then optionally @failure",
				errUsage, name, err, strings.Join(strategies, ", "), strings.Join(controls, ", "))
		}
		out = append(out, p)
	}
	return askAt(out, ask), nil
}

// askAt makes every control of ps asked at the failure if ask says so.
func askAt(ps []herdsim.Policy, ask string) []herdsim.Policy {
	for i := range ps {
		if ask == "failure" && ps[i].Control != nil {
			ps[i].AskAtFailure = true
		}
	}
	return ps
}

// pick returns the items of all named in the comma-separated list (all of
// them if it is empty); an unknown name is a usage error that lists the
// valid ones (or says hint, if set).
func pick[T any](kind, list string, all []T, name func(T) string, hint string) ([]T, error) {
	if list == "" {
		return all, nil
	}
	var picked []T
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		i := slices.IndexFunc(all, func(x T) bool { return name(x) == n })
		if i < 0 {
			if hint == "" {
				var names []string
				for _, x := range all {
					names = append(names, name(x))
				}
				hint = strings.Join(names, ", ")
			}
			return nil, fmt.Errorf("%w: unknown %s %q; valid: %s", errUsage, kind, n, hint)
		}
		picked = append(picked, all[i])
	}
	return picked, nil
}

// recoveryText formats a recovery time for a chart title.
func recoveryText(r *herdsim.OverloadResult) string {
	if !r.Recovered || math.IsNaN(r.Recovery) {
		return "never recovers"
	}
	return fmt.Sprintf("recovers in %.0f s", r.Recovery)
}
