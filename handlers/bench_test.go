package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/internal/benchbase"
)

// The node's request handling against minimal programs that decode each
// line with encoding/json and write the reply's bytes (internal/benchbase;
// make bench compares them with benchstat -col /impl): in-process
// (BenchmarkEcho, BenchmarkCompute), and as processes, by CPU time
// (BenchmarkProcess).

// echoInputs are the bench inputs: one line each, sent benchLines times.
func echoInputs() map[string]string {
	obj := map[string]any{}
	for i := 0; len(fmt.Sprint(obj)) < 10<<10; i++ {
		obj[fmt.Sprintf("key%04d", i)] = []any{i, "value " + strconv.Itoa(i), map[string]any{"n": i * 7, "ok": i%2 == 0}}
	}
	b, _ := json.Marshal(obj)
	return map[string]string{
		"small":       `"Please echo 35"`,
		"string1KiB":  strconv.Quote(strings.Repeat("backoff ", 128)),
		"object10KiB": string(b),
	}
}

const benchLines = 10_000 // enough that setting a node up (buffers, goroutine) is not what is measured

func echoScript(value string) []byte {
	var in bytes.Buffer
	in.WriteString(`{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}` + "\n")
	for i := range benchLines {
		fmt.Fprintf(&in, `{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":%d,"echo":%s}}`+"\n", i+2, value)
	}
	return in.Bytes()
}

// runNodeBench runs script through an in-process node; one op is one line.
func runNodeBench(b *testing.B, script []byte) {
	b.ReportAllocs()
	for b.Loop() {
		n := newNode(bytes.NewReader(script), io.Discard, io.Discard, rand.New(rand.NewPCG(1, 2)))
		if err := n.Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchLines), "ns/line")
}

func BenchmarkEcho(b *testing.B) {
	for name, v := range echoInputs() {
		script := echoScript(v)
		b.Run("input="+name+"/impl=node", func(b *testing.B) { runNodeBench(b, script) })
		b.Run("input="+name+"/impl=encoding_json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := benchbase.Echo(bytes.NewReader(script), io.Discard); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchLines), "ns/line")
		})
	}
}

func computeScript(retries int) []byte {
	var in bytes.Buffer
	in.WriteString(`{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}` + "\n")
	for i := range benchLines {
		fmt.Fprintf(&in, `{"src":"c1","dest":"n1","body":{"type":"compute_backoff","msg_id":%d,"max_retries":%d,"seed":%d}}`+"\n", i+2, retries, i)
	}
	return in.Bytes()
}

func BenchmarkCompute(b *testing.B) {
	for _, retries := range []int{5, 10000} {
		script := computeScript(retries)
		b.Run(fmt.Sprintf("max_retries=%d/impl=node", retries), func(b *testing.B) { runNodeBench(b, script) })
		b.Run(fmt.Sprintf("max_retries=%d/impl=encoding_json", retries), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := benchbase.Compute(bytes.NewReader(script), io.Discard); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchLines), "ns/line")
		})
	}
}

// processLines is how many requests BenchmarkProcess pipes into a process:
// enough that starting one is not what is measured.
const processLines = 100_000

// BenchmarkProcess runs the node's binary and benchbase's program as
// processes, stdin a file of requests and stdout /dev/null, and reports
// the CPU time (user and system) a line that the process took, beside the
// wall time. Each process is pinned to one core with taskset, if there is
// one (Go then runs it with GOMAXPROCS 1): CPU time counts the node's
// reader and handler alike, where wall time on several cores credits the
// second. Input from a file never makes the reader wait, so it reads as
// far ahead as the node lets it: the hardest case for the node's memory.
//
//	go test -run XXX -bench Process -count 6 ./handlers
func BenchmarkProcess(b *testing.B) {
	dir := b.TempDir()
	node, baseline := filepath.Join(dir, "backoff-node"), filepath.Join(dir, "jsonbaseline")
	for bin, pkg := range map[string]string{node: "..", baseline: "../internal/benchbase/cmd/jsonbaseline"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	inputs := echoInputs()
	cases := []struct {
		name, prog string
		line       func(i int) string
	}{
		{"echo_small", "echo", func(i int) string { return echoLine(i, inputs["small"]) }},
		{"echo_string1KiB", "echo", func(i int) string { return echoLine(i, inputs["string1KiB"]) }},
		{"compute_defaults", "compute", func(i int) string {
			return fmt.Sprintf(`{"src":"c1","dest":"n1","body":{"type":"compute_backoff","msg_id":%d,"max_retries":5,"seed":%d}}`, i+2, i)
		}},
	}
	for _, c := range cases {
		var script bytes.Buffer
		script.WriteString(`{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}` + "\n")
		for i := range processLines {
			script.WriteString(c.line(i) + "\n")
		}
		in := filepath.Join(dir, c.name+".jsonl")
		if err := os.WriteFile(in, script.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
		b.Run("input="+c.name+"/impl=node", func(b *testing.B) { runProcess(b, in, node) })
		b.Run("input="+c.name+"/impl=encoding_json", func(b *testing.B) { runProcess(b, in, baseline, c.prog) })
	}
}

func echoLine(i int, value string) string {
	return fmt.Sprintf(`{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":%d,"echo":%s}}`, i+2, value)
}

// runProcess runs the program on the file in, once an op, and reports its
// CPU time and wall time a line.
func runProcess(b *testing.B, in, prog string, args ...string) {
	if taskset, err := exec.LookPath("taskset"); err == nil {
		// taskset execs the program: the process measured is the program.
		prog, args = taskset, append([]string{"-c", "0", prog}, args...)
	} else {
		b.Logf("no taskset: the process runs on every core")
	}
	var cpu time.Duration
	for b.Loop() {
		stdin, err := os.Open(in)
		if err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(prog, args...)
		cmd.Stdin = stdin // Stdout and Stderr nil: /dev/null
		err = cmd.Run()
		stdin.Close()
		if err != nil {
			b.Fatalf("%s: %v", prog, err)
		}
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	lines := float64(b.N * (processLines + 1))
	b.ReportMetric(float64(cpu.Nanoseconds())/lines, "cpu-ns/line")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/lines, "ns/line")
}
