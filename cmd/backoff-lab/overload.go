package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

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
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	scenarios, err := pickScenarios(*scenario)
	if err != nil {
		return err
	}
	policies, err := pickPolicies(*policy)
	if err != nil {
		return err
	}

	var rows []overloadRow
	var o herdsim.Overload
	for _, sc := range scenarios {
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

	t := table{
		title: fmt.Sprintf("Overload and recovery (capacity %d/s, queue %d, timeout %d s, %d retries, budget ratio %.1f + %d/s), seed %d",
			herdsim.OverloadCapacity, herdsim.OverloadQueue, herdsim.OverloadTimeout, herdsim.OverloadRetries,
			herdsim.OverloadBudgetRatio, herdsim.OverloadBudgetFloor, *seed),
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
