package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"github.com/backoff-node/backoff-node/herdsim"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runLab runs the program with args and returns its exit code and outputs.
func runLab(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRun_UsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no command", nil, "usage: backoff-lab <command>"},
		{"unknown command", []string{"benchmark"}, `unknown command "benchmark"`},
		{"bad format", []string{"compare", "--format", "xml"}, `--format "xml"; valid: table, json, csv`},
		{"bad flag", []string{"compare", "--jobz", "3"}, "flag provided but not defined: -jobz"},
		{"bad flag value", []string{"compare", "--seeds", "1..20"}, `invalid value "1..20" for flag -seeds`},
		{"zero jobs", []string{"compare", "--jobs", "0"}, "--jobs 0; want a positive number up to 1000000"},
		{"too many times", []string{"compare", "--jobs", "100000", "--retries", "1000"}, "is 100000000 retry times; want at most 10000000"},
		{"explicit zero median", []string{"compare", "--equal-median", "0"}, "--equal-median 0: want a number of seconds from 0.001 to 1e9"},
		{"too many runs", []string{"contention", "--runs", "10000000"}, "--runs 10000000; want a positive number up to 1000000"},
		{"stray argument", []string{"sim", "buckets"}, `unexpected argument "buckets"`},
		{"unknown strategy", []string{"sim", "--strategy", "fibonacci"}, `unknown strategy "fibonacci"; valid: exponential, constant`},
		{"bad clients", []string{"contention", "--clients", "10,x"}, `--clients "10,x"`},
		{"plot unknown strategy", []string{"plot", "--strategies", "buckets,nope", "--out", "unused"}, `unknown strategy "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runLab(t, tt.args...)
			if code != exitUsage {
				t.Errorf("exit code = %d, want %d", code, exitUsage)
			}
			if n := strings.Count(stderr, tt.want); n != 1 {
				t.Errorf("stderr = %q, want it to say %q once (%d times)", stderr, tt.want, n)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}

func TestRun_Help(t *testing.T) {
	if code, stdout, _ := runLab(t, "help"); code != exitOK || !strings.Contains(stdout, "contention") {
		t.Errorf("help: exit %d, stdout %q", code, stdout)
	}
	if code, _, stderr := runLab(t, "compare", "-h"); code != exitOK || !strings.Contains(stderr, "-seeds") {
		t.Errorf("compare -h: exit %d, stderr %q", code, stderr)
	}
}

func TestCompare_Formats(t *testing.T) {
	code, stdout, stderr := runLab(t, "compare", "--seeds", "2", "--jobs", "30")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"30 jobs × 10 retries, no cap; mean over seeds 1..2", "herd_peak", "staggered_random_ids", "decorrelated_jitter_v2"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}

	_, stdout, _ = runLab(t, "compare", "--seeds", "2", "--format", "json")
	var rows []struct {
		Strategy string  `json:"strategy"`
		Herd     float64 `json:"herd_peak"`
		Idle     float64 `json:"idle_fraction"`
	}
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("json: %v\n%s", err, stdout)
	}
	if n := len(herdsim.Lab()); len(rows) != n || rows[0].Strategy != "exponential" || rows[1].Herd != 1 {
		t.Errorf("json rows = %+v, want %d starting with exponential, constant with herd_peak 1", rows, n)
	}

	_, stdout, _ = runLab(t, "compare", "--seeds", "1", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ","); got != "strategy,herd_peak,idle_fraction,wait_cv,peak_to_mean,p50_s,p99_s,scale" {
		t.Errorf("csv header = %s", got)
	}
	// constant at 5 min: the 10th retry of every job is at 3000 s.
	if recs[2][0] != "constant" || recs[2][5] != "3000" || recs[2][6] != "3000" {
		t.Errorf("csv constant row = %v, want p50 = p99 = 3000 s", recs[2])
	}
}

func TestSim_CSV(t *testing.T) {
	code, stdout, stderr := runLab(t, "sim", "--strategy", "constant", "--jobs", "2", "--retries", "3")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "job,retry,time_s\n0,0,300\n0,1,600\n0,2,900\n1,0,300\n1,1,600\n1,2,900\n"
	if stdout != want {
		t.Errorf("sim csv =\n%s\nwant\n%s", stdout, want)
	}
	// Same seed, same times; the default strategy is ours.
	_, a, _ := runLab(t, "sim", "--seed", "9", "--format", "json")
	_, b, _ := runLab(t, "sim", "--seed", "9", "--format", "json")
	if a != b || !strings.Contains(a, `"time_s"`) {
		t.Errorf("sim --seed 9 is not reproducible or not JSON")
	}
}

func TestOut_WritesFile(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runLab(t, "sim", "--strategy", "buckets", "--jobs", "1", "--retries", "1", "--out", dir)
	if code != exitOK || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	got, err := os.ReadFile(filepath.Join(dir, "sim.csv"))
	if err != nil || !strings.HasPrefix(string(got), "job,retry,time_s\n0,0,") {
		t.Errorf("sim.csv = %q, %v", got, err)
	}
}

func TestPlot_WritesCharts(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runLab(t, "plot", "--jobs", "20", "--retries", "4", "--strategies", "buckets,staggered", "--out", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, name := range []string{"retries.png", "retries.svg", "windows.png", "windows.svg"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(name) {
		case ".png":
			if !bytes.HasPrefix(b, []byte("\x89PNG")) {
				t.Errorf("%s is not a PNG", name)
			}
		case ".svg":
			for _, want := range []string{"<svg", "retries per window", "time since the failure", "staggered"} {
				if name == "retries.svg" && want == "retries per window" {
					want = "retry 3" // the legend
				}
				if !bytes.Contains(b, []byte(want)) {
					t.Errorf("%s lacks %q", name, want)
				}
			}
		}
	}
}

func TestContention_Short(t *testing.T) {
	code, stdout, stderr := runLab(t, "contention", "--runs", "5", "--clients", "10", "--format", "csv")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// 5 AWS strategies and 8 of ours, at one client count, each with the
	// serial bound (10 calls, 200 ms at 10 clients) and its ratio to it.
	if len(recs) != 1+13 || recs[1][0] != "aws" || recs[1][1] != "none" || recs[1][5] != "50" || recs[6][0] != "ours" || recs[6][1] != "paced" || recs[8][1] != "anchored" || recs[13][1] != "sawtooth" {
		t.Errorf("contention csv = %v", recs)
	}
	if recs[0][9] != "calls_bound" || recs[1][9] != "10" || recs[1][10] != "200" {
		t.Errorf("contention csv lacks the bound: header %v, first row %v", recs[0], recs[1])
	}
	if !strings.Contains(stderr, "contention: full_jitter, 10 clients, 5 runs") {
		t.Errorf("no progress on stderr: %q", stderr)
	}
}
