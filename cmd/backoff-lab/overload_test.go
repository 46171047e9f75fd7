package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/backoff-node/backoff-node/herdsim"
)

func TestOverload_JSON(t *testing.T) {
	code, stdout, stderr := runLab(t, "overload", "--format", "json", "--scenario", "storm,spike", "--policy", "none,full_jitter+budget")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4 (2 scenarios × 2 policies)", len(rows))
	}
	want := []string{"amplification", "clients", "error_rate", "goodput_ratio", "p99_latency_s", "policy", "recovery_s", "scenario", "success_rate"}
	for _, row := range rows {
		var keys []string
		for k := range row {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, want) {
			t.Errorf("row keys %v, want %v", keys, want)
		}
	}
	// The storm: immediate retries never recover (null); full jitter with a budget does.
	if rows[0]["scenario"] != "storm" || rows[0]["policy"] != "none" || rows[0]["recovery_s"] != nil {
		t.Errorf("first row %v, want storm/none with recovery_s null", rows[0])
	}
	if r, ok := rows[1]["recovery_s"].(float64); !ok || r <= 0 {
		t.Errorf("storm/full_jitter+budget recovery_s = %v, want a positive number", rows[1]["recovery_s"])
	}
}

// TestOverload_CSV: one scenario (all of them is 104 runs, seconds under
// the race detector), every policy.
func TestOverload_CSV(t *testing.T) {
	code, stdout, stderr := runLab(t, "overload", "--format", "csv", "--scenario", "sustained_closed")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ","); got != "scenario,policy,clients,error_rate,recovery_s,amplification,success_rate,goodput_ratio,p99_latency_s" {
		t.Errorf("header %q", got)
	}
	if want := 1 + len(herdsim.OverloadPolicies()); len(recs) != want {
		t.Errorf("%d records, want %d", len(recs), want)
	}
	for _, rec := range recs[1:] {
		if rec[0] != "sustained_closed" || rec[2] == "never" {
			t.Errorf("record %v: want scenario sustained_closed and an empty or numeric recovery_s", rec)
		}
	}
}

func TestOverload_UsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"overload", "--scenario", "flood"}, `unknown scenario "flood"; valid: steady, spike, storm, sustained_open, sustained_closed`},
		{[]string{"overload", "--policy", "none,jitter"}, `--policy "jitter": unknown strategy "jitter"`},
		{[]string{"overload", "--format", "yaml"}, `--format "yaml"`},
		{[]string{"overload", "--seed", "-1"}, `invalid value "-1" for flag -seed`},
		{[]string{"overload", "storm"}, `unexpected argument "storm"`},
		{[]string{"overload", "--queue", "0"}, `--queue 0: want 1 to 1000000 attempts`},
		{[]string{"overload", "--retries", "21"}, `--retries 21: want 0 to 20`},
		{[]string{"overload", "--retries", "-1"}, `--retries -1: want 0 to 20`},
		{[]string{"overload", "--normal", "0"}, `--normal 0: want a load above 0`},
		{[]string{"overload", "--normal", "NaN"}, `--normal NaN: want a load above 0`},
		{[]string{"overload", "--normal", "1001"}, `at most 1000 requests/s`},
		{[]string{"overload", "--reject-cost", "-0.1"}, `--reject-cost -0.1: want 0 to 10`},
		{[]string{"overload", "--reject-cost", "Inf"}, `--reject-cost +Inf: want 0 to 10`},
		{[]string{"overload", "--deadline", "10"}, `--deadline 10 needs --rtt above 0`},
		{[]string{"overload", "--deadline", "-1", "--rtt", "0.1"}, `--deadline -1: want 0 (none) to 3600 seconds`},
		{[]string{"overload", "--rtt", "NaN"}, `--rtt NaN: want 0 to 10 seconds`},
		{[]string{"overload", "--clients", "0"}, `--clients 0: want 1 to 100000 clients`},
		{[]string{"overload", "--clients", "100001"}, `--clients 100001: want 1 to 100000 clients`},
		{[]string{"overload", "--error-rate", "1.5"}, `--error-rate 1.5: want 0 to 1`},
		{[]string{"overload", "--error-rate", "NaN"}, `--error-rate NaN: want 0 to 1`},
		{[]string{"overload", "--error-rate", "-0.1"}, `--error-rate -0.1: want 0 to 1`},
		{[]string{"overload", "--policy", "full_jitter+retry"}, `--policy "full_jitter+retry": unknown control "+retry"`},
		{[]string{"overload", "--ask", "later"}, `--ask "later": want failure or retry`},
		{[]string{"overload", "--deadline", "100", "--rtt", "0.001"}, `allows 100000 retries a request; want at most 10000`},
		{[]string{"overload", "--deadline", "60", "--rtt", "0.01", "--normal", "100"}, `want at most 20000000: lower --normal, --retries or --deadline, or raise --rtt`},
		{[]string{"errors", "--rates", "0,1.5"}, `--rates: 1.5 is not an error rate from 0 to 1`},
		{[]string{"errors", "--rates", "0:1:0"}, `--rates "0:1:0": want numbers`},
		{[]string{"errors", "--rates", "0:1e9:1"}, `at most 1000`},
		{[]string{"errors", "--rates", "x"}, `--rates "x"`},
		{[]string{"fleet", "--fleets", "0"}, `--fleets: 0 is not a number of clients from 1 to 100000`},
		{[]string{"fleet", "--fleets", "2.5"}, `--fleets: 2.5 is not a number of clients`},
		{[]string{"fleet", "--fleets", "1e6"}, `--fleets: 1e+06 is not a number of clients`},
		{[]string{"fleet", "--clients", "-3"}, `--clients -3: want 1 to 100000 clients`},
		{[]string{"fleet", "--policy", "full_jitter+nope"}, `unknown control "+nope"`},
		{[]string{"errors", "--error-rate", "2"}, `--error-rate 2: want 0 to 1`},
	}
	for _, tt := range tests {
		code, stdout, stderr := runLab(t, tt.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", tt.args, code, stdout, stderr, exitUsage, tt.want)
		}
	}
}

func TestOverload_Charts(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runLab(t, "overload", "--scenario", "storm", "--policy", "none", "--charts", dir)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runLab(t, "fleet", "--fleets", "1,10", "--policy", "none,full_jitter+credit", "--charts", dir)
	if code != exitOK {
		t.Fatalf("fleet: exit %d, stderr %q", code, stderr)
	}
	for _, name := range []string{"overload-storm.png", "overload-storm.svg", "fleet.png", "fleet.svg"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 1000 {
			t.Errorf("%s: %d bytes", name, len(b))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "overload-spike.png")); err == nil {
		t.Error("--scenario storm wrote a chart of spike")
	}
}

func TestOverload_Table(t *testing.T) {
	code, stdout, stderr := runLab(t, "overload", "--scenario", "storm", "--policy", "none", "--seed", "3")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "seed 3") || !strings.HasPrefix(lines[2], "scenario") {
		t.Fatalf("table:\n%s", stdout)
	}
	if f := strings.Fields(lines[3]); len(f) != 9 || f[0] != "storm" || f[1] != "none" || f[2] != "1" || f[3] != "0" || f[4] != "never" {
		t.Errorf("row %q, want storm none 1 0 never ...", lines[3])
	}
}

// TestOverload_Variant: the server and load flags reach the model and the
// title says which variant ran. At 20 requests/s with dropped attempts the
// spike leaves nothing metastable behind: both policies recover, none sooner.
func TestOverload_Variant(t *testing.T) {
	code, stdout, stderr := runLab(t, "overload", "--scenario", "spike", "--policy", "none,full_jitter", "--normal", "20", "--drop", "--queue", "200", "--retries", "2")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	for _, want := range []string{"queue 200", "full queue drops", "normal load 20/s", "2 retries"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("title %q does not say %q", lines[0], want)
		}
	}
	if len(lines) != 5 {
		t.Fatalf("table:\n%s", stdout)
	}
	var rec [2]float64
	for i, line := range lines[3:] {
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			t.Fatalf("row %q: recovery %q, want a number", line, f[4])
		}
		rec[i] = v
	}
	if rec[0] >= rec[1] {
		t.Errorf("none recovers in %v s, full_jitter in %v s; want none sooner in this variant", rec[0], rec[1])
	}
	_, plain, _ := runLab(t, "overload", "--scenario", "spike", "--policy", "none,full_jitter", "--normal", "20")
	if plain == stdout || strings.Contains(plain, "drops") {
		t.Error("--drop changes nothing in the output")
	}
}

// TestOverload_Deadline: with a deadline the title says so, and immediate
// retries chatter: hundreds of attempts a request against a few with
// jittered backoff (finding (a)'s variant, TestOverloadSpikeDeadline).
func TestOverload_Deadline(t *testing.T) {
	if raceBuild {
		t.Skip("hundreds of attempts a request: make lab-findings runs it without the race detector")
	}
	code, stdout, stderr := runLab(t, "overload", "--scenario", "spike", "--policy", "none,full_jitter", "--normal", "20", "--deadline", "10", "--rtt", "0.02", "--format", "json")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var rows []herdsim.OverloadRow
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Amplification < 100 || rows[1].Amplification > 10 || rows[0].Recovery != nil || rows[1].Recovery == nil {
		t.Errorf("rows %+v: want none chattering (over 100 attempts a request) and never recovering, full_jitter under 10 and recovering", rows)
	}
	_, table, _ := runLab(t, "overload", "--scenario", "spike", "--policy", "none", "--normal", "20", "--deadline", "10", "--rtt", "0.02")
	if !strings.Contains(table, "retries until a 10 s deadline") || !strings.Contains(table, "rejections reach clients in 0.02 s") {
		t.Errorf("title does not name the deadline and the rtt:\n%s", table)
	}
}
