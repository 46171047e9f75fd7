package main

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/backoff-node/backoff-node/herdsim"
)

// TestSweeps: errors and fleet run their scenario at each point under
// each contender, rows in contender order, and say so in the rows.
func TestSweeps(t *testing.T) {
	tests := []struct {
		args  []string
		rows  int
		check func(r herdsim.OverloadRow, i int) bool
	}{
		{[]string{"errors", "--rates", "0,0.5,1"}, 3 * len(herdsim.Contenders()),
			func(r herdsim.OverloadRow, i int) bool {
				return r.Scenario == "steady" && r.ErrorRate == []float64{0, 0.5, 1}[i%3]
			}},
		{[]string{"errors", "--rates", "0:1:0.25", "--policy", "none"}, 5,
			func(r herdsim.OverloadRow, i int) bool { return r.Policy == "none" && r.ErrorRate == float64(i)/4 }},
		{[]string{"fleet", "--fleets", "1,20"}, 2 * len(herdsim.Contenders()),
			func(r herdsim.OverloadRow, i int) bool {
				return r.Scenario == "storm" && r.Clients == []int{1, 20}[i%2]
			}},
	}
	for _, tt := range tests {
		code, stdout, stderr := runLab(t, append(tt.args, "--format", "json")...)
		if code != exitOK {
			t.Fatalf("%v: exit %d, stderr %q", tt.args, code, stderr)
		}
		var rows []herdsim.OverloadRow
		if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != tt.rows {
			t.Fatalf("%v: %d rows, want %d", tt.args, len(rows), tt.rows)
		}
		for i, r := range rows {
			if !tt.check(r, i) {
				t.Errorf("%v: row %d: %+v", tt.args, i, r)
				break
			}
		}
	}
}

// BenchmarkExperiments is each default experiment, as the command runs it
// (output discarded): the bar is under 2 s each on two cores.
func BenchmarkExperiments(b *testing.B) {
	for _, args := range [][]string{{"overload"}, {"errors"}, {"fleet"}, {"fleet", "--queue", "100", "--drop-stale", "--lifo"}} {
		b.Run(strings.Join(args, "_"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if code := run(args, io.Discard, io.Discard); code != exitOK {
					b.Fatalf("exit %d", code)
				}
			}
		})
	}
}
