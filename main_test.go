package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/internal/golden"
)

// The tests of the binary itself: the reference sessions of docs/SPEC.md,
// the end of input, seeds across processes. Every other real-process test
// runs on internal/harness.

// nodeBin is the node, built once.
var nodeBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "backoff-node-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	nodeBin = filepath.Join(dir, "backoff-node")
	if out, err := exec.Command("go", "build", "-o", nodeBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the node: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// readFile returns the contents of path; a test input that cannot be read
// fails the test rather than running as empty input.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// runNode pipes input into the binary and returns its stdout; it must exit 0.
func runNode(t *testing.T, input string) []byte {
	t.Helper()
	cmd := exec.Command(nodeBin)
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	return out
}

type body map[string]any

// bodies decodes the body of each line of out.
func bodies(t *testing.T, out []byte) []body {
	t.Helper()
	var bs []body
	for _, l := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		var m struct{ Body body }
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		bs = append(bs, m.Body)
	}
	return bs
}

func (b body) int(key string) int { f, _ := b[key].(float64); return int(f) }

func (b body) ints(key string) []int {
	var out []int
	for _, v := range b[key].([]any) {
		out = append(out, int(v.(float64)))
	}
	return out
}

// TestReferenceSessions runs docs/SPEC.md's two sample sessions through the
// binary; the first must match its golden file byte for byte, the second's
// delays lie in their intervals (no seed: its bytes vary). The files are
// the task's own: each must stand verbatim in a code block of SPEC.md
// (checked last, after make golden may have rewritten echo.golden), so that
// an update cannot quietly accept a change to the expected output.
func TestReferenceSessions(t *testing.T) {
	t.Run("echo", func(t *testing.T) {
		got := runNode(t, readFile(t, "testdata/reference/echo.in"))
		golden.Check(t, "testdata/reference/echo.golden", got, nil)
	})
	t.Run("compute_backoff", func(t *testing.T) {
		got := runNode(t, readFile(t, "testdata/reference/compute_backoff.in"))
		lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
		if want := `{"src": "n1", "dest": "c0", "body": {"type": "init_ok", "in_reply_to": 1, "msg_id": 0}}`; len(lines) != 2 || lines[0] != want {
			t.Fatalf("stdout %q, want %s and a compute_backoff_ok", got, want)
		}
		b := bodies(t, got)[1]
		if b["type"] != "compute_backoff_ok" || b.int("in_reply_to") != 2 || b.int("msg_id") != 1 {
			t.Fatalf("line 2 = %s, want a compute_backoff_ok in reply to 2 with msg_id 1", lines[1])
		}
		s := b.ints("schedule_ms")
		bounds := [][2]int{{100, 110}, {200, 220}, {400, 440}}
		if len(s) != len(bounds) {
			t.Fatalf("schedule_ms = %v, want 3 delays", s)
		}
		for i, bd := range bounds {
			if s[i] < bd[0] || s[i] > bd[1] {
				t.Errorf("schedule_ms[%d] = %d, want in [%d, %d]", i, s[i], bd[0], bd[1])
			}
		}
		if b.int("total_ms") != s[0]+s[1]+s[2] {
			t.Errorf("total_ms = %d, want %d", b.int("total_ms"), s[0]+s[1]+s[2])
		}
	})
	t.Run("as in SPEC.md", func(t *testing.T) {
		spec := readFile(t, "docs/SPEC.md")
		for _, f := range []string{"echo.in", "echo.golden", "compute_backoff.in"} {
			if b := readFile(t, "testdata/reference/"+f); !strings.Contains(spec, "```\n"+b+"```\n") {
				t.Errorf("testdata/reference/%s is not a code block of docs/SPEC.md:\n%s", f, b)
			}
		}
	})
}

const initN1 = `{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2"]}}` + "\n"

// TestEndOfInputFinishesRelays: input ends right after a relay starts; the
// node still sends every attempt and the final reply, then exits 0.
func TestEndOfInputFinishesRelays(t *testing.T) {
	out := runNode(t, initN1+`{"src":"c1","dest":"n1","body":{"type":"backoff_relay","msg_id":2,"target":"n2","payload":{"type":"read"},"max_retries":2,"base_delay":0.01,"attempt_timeout":0.05,"seed":3,"retry_policy":"none"}}`+"\n")
	bs := bodies(t, out)
	if len(bs) != 5 {
		t.Fatalf("%d lines, want init_ok, 3 attempts and the give-up:\n%s", len(bs), out)
	}
	if last := bs[4]; last["type"] != "error" || last.int("code") != 0 || last.int("attempts") != 3 {
		t.Errorf("last line %v, want the give-up error code 0 after 3 attempts", last)
	}
	var ids []int
	for _, b := range bs {
		ids = append(ids, b.int("msg_id"))
	}
	if !slices.Equal(ids, []int{0, 1, 2, 3, 4}) {
		t.Errorf("msg_ids %v, want 0..4: one counter for every message", ids)
	}
}

// TestSeedReproducibleAcrossProcesses: two processes give the same schedule
// for the same request and seed; a request without a seed gets one back
// that reproduces its schedule, and two processes choose different seeds.
func TestSeedReproducibleAcrossProcesses(t *testing.T) {
	ask := func(b string) body {
		return bodies(t, runNode(t, initN1+`{"src":"c1","dest":"n1","body":`+b+`}`+"\n"))[1]
	}
	a := ask(`{"type":"compute_backoff","msg_id":2,"max_retries":20,"seed":123456789}`)
	b := ask(`{"type":"compute_backoff","msg_id":2,"max_retries":20,"seed":123456789}`)
	if !slices.Equal(a.ints("schedule_ms"), b.ints("schedule_ms")) {
		t.Errorf("same seed, different schedules: %v and %v", a.ints("schedule_ms"), b.ints("schedule_ms"))
	}
	r := ask(`{"type":"compute_backoff","msg_id":2,"max_retries":20}`)
	seed, _ := r["seed"].(float64)
	again := ask(fmt.Sprintf(`{"type":"compute_backoff","msg_id":2,"max_retries":20,"seed":%.0f}`, seed))
	if !slices.Equal(r.ints("schedule_ms"), again.ints("schedule_ms")) {
		t.Errorf("the returned seed %.0f does not reproduce %v (got %v)", seed, r.ints("schedule_ms"), again.ints("schedule_ms"))
	}
	if r2 := ask(`{"type":"compute_backoff","msg_id":2,"max_retries":20}`); r2["seed"] == r["seed"] {
		t.Errorf("two processes chose the same seed %v: seeds must come from the OS, not a constant", r["seed"])
	}
}

// TestDELEscaped: a raw DEL byte (0x7f), which JSON allows in a string, is
// written \u007f, as Python's json.dumps writes it, in an echo reply and in
// the payload a relay sends alike.
func TestDELEscaped(t *testing.T) {
	out := runNode(t, initN1+
		"{\"src\":\"c1\",\"dest\":\"n1\",\"body\":{\"type\":\"echo\",\"msg_id\":2,\"echo\":\"a\x7fb\",\"k\x7f\":[\"\x7f\"]}}\n"+
		"{\"src\":\"c1\",\"dest\":\"n1\",\"body\":{\"type\":\"backoff_relay\",\"msg_id\":3,\"target\":\"n2\",\"max_retries\":0,\"attempt_timeout\":0.01,"+
		"\"payload\":{\"type\":\"write\",\"value\":\"x\x7f\"}}}\n")
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	want := []string{
		`{"src": "n1", "dest": "c1", "body": {"type": "echo_ok", "echo": "a\u007fb", "k\u007f": ["\u007f"], "in_reply_to": 2, "msg_id": 1}}`,
		`{"src": "n1", "dest": "n2", "body": {"type": "write", "value": "x\u007f", "msg_id": 2}}`,
	}
	if len(lines) != 4 || lines[1] != want[0] || lines[2] != want[1] {
		t.Errorf("stdout:\n%s\nwant lines 2 and 3:\n%s", out, strings.Join(want, "\n"))
	}
}

// TestTerminateManyRelays: SIGTERM with 100,000 relays in flight (each
// waiting for its first attempt's reply) answers every one with error 11
// and exits 0 within a second, as docs/SPEC.md promises: the answers are
// written in batches, not a flush each.
func TestTerminateManyRelays(t *testing.T) {
	const relays = 100_000
	cmd := exec.Command(nodeBin)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	// The node writes to a file, not a pipe, so that its stop never waits
	// for the test: draining 26 MB from a pipe in this -race binary took
	// 1.4 to 1.8 s of the test's CPU (the race runtime checks every byte
	// copied), during which the node sat blocked in write. Files, not Go's
	// copying goroutines, also make Wait return when the process exits.
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	logs, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	go func() {
		w := bufio.NewWriterSize(stdin, 1<<20)
		w.WriteString(initN1)
		for i := range relays {
			fmt.Fprintf(w, `{"src":"c1","dest":"n1","body":{"type":"backoff_relay","msg_id":%d,"target":"n2","payload":{"type":"read"},"attempt_timeout":60,"seed":%d}}`+"\n", i+2, i)
		}
		w.Flush() // stdin stays open: the node is stopped, not at the end of input
	}()
	if !waitLines(t, out.Name(), 1+relays, 2*time.Minute) { // init_ok and the first attempts
		cmd.Process.Kill()
		t.Fatalf("the node did not send %d first attempts within 2 minutes", relays)
	}
	start := time.Now()
	startCPU := cpuTime(t, cmd.Process.Pid)
	exited := make(chan struct{})
	sampled := make(chan [2]int, 1)
	go func() { sampled <- sampleRunnable(cmd.Process.Pid, exited) }()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	hung := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	err = cmd.Wait()
	took := time.Since(start)
	hung.Stop()
	close(exited)
	s := <-sampled
	if err != nil {
		t.Errorf("exit after SIGTERM: %v, want 0", err)
	}
	stopCPU := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime() - startCPU

	// Every relay exactly once (msg_ids 2 to relays+1), in any order.
	answered := make([]bool, relays)
	got := 0
	for line := range bytes.Lines([]byte(readFile(t, out.Name()))) {
		if !bytes.Contains(line, []byte(`"dest": "c1"`)) || bytes.Contains(line, []byte(`"type": "init_ok"`)) {
			continue
		}
		if !bytes.Contains(line, []byte(`"type": "error", "code": 11, "text": "node shutting down", "attempts": 1, "total_delay_ms": 0, "delays_ms": []`)) {
			t.Fatalf("answer %s, want error 11 node shutting down after 1 attempt", line)
		}
		_, after, _ := bytes.Cut(line, []byte(`"in_reply_to": `))
		end := bytes.IndexByte(after, ',')
		id, err := strconv.Atoi(string(after[:max(end, 0)]))
		if i := id - 2; err != nil || i < 0 || i >= relays || answered[i] {
			t.Fatalf("answer %s: in_reply_to not one of the relays' msg_ids, or answered twice", line)
		} else {
			answered[i] = true
		}
		got++
	}
	if got != relays {
		t.Fatalf("%d of %d relays answered after SIGTERM", got, relays)
	}
	// The wall time to exit is not the node's alone: beside other suites
	// it waits for a CPU most of it (0.3 s of CPU took 1.1 to 1.8 s beside
	// a suite and two busy loops). What is the node's is the CPU it uses
	// and the time it spends blocked, with no thread running or waiting
	// for a CPU (sampled every 10 ms): a sleep or a wait for a pipe shows
	// there. Together they must stay within the second SPEC.md allows.
	idle := took
	if s[0] > 0 {
		idle = took * time.Duration(s[0]-s[1]) / time.Duration(s[0])
	}
	t.Logf("%d relays answered; exit %v after SIGTERM, of which %v of CPU and %v blocked (%d of %d samples)",
		got, took.Round(time.Millisecond), stopCPU.Round(time.Millisecond), idle.Round(time.Millisecond), s[0]-s[1], s[0])
	if stopCPU+idle > time.Second {
		t.Errorf("the node took %v to exit after SIGTERM: %v of CPU and %v blocked, want at most 1 s together",
			took.Round(time.Millisecond), stopCPU.Round(time.Millisecond), idle.Round(time.Millisecond))
	}
}

// waitLines reports whether the file at path, which a node is writing,
// holds n lines within the given time.
func waitLines(t *testing.T, path string, n int, within time.Duration) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(within)
	for n > 0 {
		k, err := f.Read(buf)
		n -= bytes.Count(buf[:k], []byte{'\n'})
		switch {
		case err == io.EOF && time.Now().After(deadline):
			return false
		case err == io.EOF:
			time.Sleep(5 * time.Millisecond)
		case err != nil:
			t.Fatal(err)
		}
	}
	return true
}

// sampleRunnable looks at process pid's threads every 10 ms until done is
// closed or the process has exited, and returns how many times it looked
// and how many of those a thread was running or waiting for a CPU (state
// R, or D: in the kernel, writing).
func sampleRunnable(pid int, done <-chan struct{}) [2]int {
	var n [2]int
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return n
		case <-tick.C:
		}
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		if err != nil {
			return n
		}
		busy := false
		for _, task := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
			i := bytes.LastIndexByte(b, ')')
			if err != nil || i < 0 || i+2 >= len(b) {
				continue
			}
			switch b[i+2] { // the state, after the command name in parentheses
			case 'Z', 'X':
				return n // exited
			case 'R', 'D':
				busy = true
			}
		}
		n[0]++
		if busy {
			n[1]++
		}
	}
}

// cpuTime is the CPU time (user and system) process pid has used so far,
// from /proc (in clock ticks of 10 ms).
func cpuTime(t *testing.T, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The fields after the command name, which is in parentheses: utime
	// and stime are the 12th and 13th.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	var ticks int64
	for _, s := range f[11:13] {
		var v int64
		fmt.Sscan(s, &v)
		ticks += v
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}
