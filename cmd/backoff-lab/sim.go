package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/backoff-node/backoff-node/herdsim"
)

// simRecord is one retry, as sim prints it.
type simRecord struct {
	Job   int     `json:"job"`
	Retry int     `json:"retry"`
	Time  float64 `json:"time_s"`
}

func simCmd(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("sim", "--strategy NAME [flags]", stderr)
	name := fs.String("strategy", "staggered", "strategy to simulate: "+strings.Join(labNames(), ", "))
	hf := addHerdFlags(fs)
	jobs, retries, seed := hf.jobs, hf.retries, hf.seed
	format := fs.String("format", "csv", "output format: csv, json or table")
	out := fs.String("out", "", "write DIR/sim.<format> instead of stdout")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := hf.check(); err != nil {
		return err
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	e, ok := labEntry(*name)
	if !ok {
		return fmt.Errorf("%w: unknown strategy %q; valid: %s", errUsage, *name, strings.Join(labNames(), ", "))
	}

	var h herdsim.Herd
	herdsim.Simulate(&h, e.Strategy, *jobs, *retries, *seed)
	t := table{cols: []string{"job", "retry", "time_s"}}
	records := make([]simRecord, 0, len(h.T))
	for j := 0; j < h.Jobs; j++ {
		for k := 0; k < h.Retries; k++ {
			records = append(records, simRecord{j, k, h.At(j, k)})
			t.rows = append(t.rows, []string{strconv.Itoa(j), strconv.Itoa(k), strconv.FormatFloat(h.At(j, k), 'g', -1, 64)})
		}
	}
	t.json = records

	return emit(t, *out, "sim", *format, stdout, stderr)
}

// labEntry returns the lab's strategy of the given name.
func labEntry(name string) (herdsim.Entry, bool) {
	for _, e := range herdsim.Lab() {
		if e.Name == name {
			return e, true
		}
	}
	return herdsim.Entry{}, false
}

func labNames() []string {
	var names []string
	for _, e := range herdsim.Lab() {
		names = append(names, e.Name)
	}
	return names
}
