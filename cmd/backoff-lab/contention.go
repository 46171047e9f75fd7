package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/backoff-node/backoff-node/herdsim"
)

// contentionRow is one point of the contention experiment.
type contentionRow struct {
	Experiment string  `json:"experiment"` // "aws": a published point; "ours": our strategy
	Strategy   string  `json:"strategy"`
	Clients    int     `json:"clients"`
	Calls      float64 `json:"calls"`
	Time       float64 `json:"time_ms"`
	AWSCalls   float64 `json:"aws_calls,omitempty"`
	AWSTime    float64 `json:"aws_time_ms,omitempty"`
	// The serial lower bound: every client's one write succeeds, one after
	// another, each after at least a read reply and a write request (two
	// network delays of the mean); and each strategy's ratio to it.
	CallsBound float64 `json:"calls_bound"`
	TimeBound  float64 `json:"time_bound_ms"`
	CallsRatio float64 `json:"calls_ratio"`
	TimeRatio  float64 `json:"time_ratio"`
}

func contentionCmd(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("contention", "[flags]", stderr)
	runs := fs.Int("runs", herdsim.AWSRuns, "runs to average per point")
	clientList := fs.String("clients", "10,50,100,190", "comma-separated client counts")
	seed := fs.Uint64("seed", defaultSeed, "seed of every point")
	format := fs.String("format", "table", "output format: table, json or csv")
	out := fs.String("out", "", "write DIR/contention.<format> instead of stdout")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkRange("runs", *runs, 1_000_000); err != nil {
		return err
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	var clients []int
	for _, s := range strings.Split(*clientList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 || n > 10000 {
			return fmt.Errorf("%w: --clients %q: want positive counts up to 10000, separated by commas", errUsage, *clientList)
		}
		clients = append(clients, n)
	}

	var rows []contentionRow
	point := func(experiment string, e herdsim.Entry, n int) {
		fmt.Fprintf(stderr, "contention: %s, %d clients, %d runs\n", e.Name, n, *runs)
		r := herdsim.Contend(e.Strategy, n, *runs, *seed)
		row := contentionRow{Experiment: experiment, Strategy: e.Name, Clients: n, Calls: r.Calls, Time: r.Time}
		row.CallsBound, row.TimeBound = herdsim.ContentionBound(n)
		row.CallsRatio, row.TimeRatio = r.Calls/row.CallsBound, r.Time/row.TimeBound
		if fig, ok := herdsim.AWSFigures[e.Name][n]; ok && experiment == "aws" {
			row.AWSCalls, row.AWSTime = fig[0], fig[1]
		}
		rows = append(rows, row)
	}
	for _, e := range herdsim.AWSStrategies() {
		for _, n := range clients {
			point("aws", e, n)
		}
	}
	for _, e := range herdsim.OurContenders() {
		for _, n := range clients {
			point("ours", e, n)
		}
	}

	t := table{
		title: fmt.Sprintf("AWS's contention experiment (times in simulated ms), mean of %d runs, seed %d", *runs, *seed),
		cols:  []string{"experiment", "strategy", "clients", "calls", "time_ms", "aws_calls", "aws_time_ms", "calls_vs_aws", "time_vs_aws", "calls_bound", "time_bound_ms", "calls_ratio", "time_ratio"},
		json:  rows,
	}
	for _, r := range rows {
		cells := []string{r.Experiment, r.Strategy, strconv.Itoa(r.Clients), fmt.Sprintf("%.0f", r.Calls), fmt.Sprintf("%.0f", r.Time), "", "", "", "",
			fmt.Sprintf("%.0f", r.CallsBound), fmt.Sprintf("%.0f", r.TimeBound), fmt.Sprintf("%.2f", r.CallsRatio), fmt.Sprintf("%.2f", r.TimeRatio)}
		if r.AWSCalls > 0 {
			cells[5], cells[6] = fmt.Sprintf("%.0f", r.AWSCalls), fmt.Sprintf("%.0f", r.AWSTime)
			cells[7] = fmt.Sprintf("%+.1f%%", 100*(r.Calls/r.AWSCalls-1))
			cells[8] = fmt.Sprintf("%+.1f%%", 100*(r.Time/r.AWSTime-1))
		}
		t.rows = append(t.rows, cells)
	}

	return emit(t, *out, "contention", *format, stdout, stderr)
}
