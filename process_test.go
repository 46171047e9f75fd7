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
	"strings"
	"sync"
	"testing"
	"time"
)

// nodeBin is the node built once for the tests that start real processes.
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

// proc is a node running as a real process.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan []byte // stdout, line by line; closed at EOF
	mu     sync.Mutex
	stderr bytes.Buffer
}

func startNode(t *testing.T) *proc {
	t.Helper()
	p := &proc{t: t, cmd: exec.Command(nodeBin), lines: make(chan []byte, 1<<16)}
	p.cmd.Stderr = lockedWriter{&p.mu, &p.stderr}
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 8<<20)
		for sc.Scan() {
			p.lines <- bytes.Clone(sc.Bytes())
		}
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		p.cmd.Wait()
		for range p.lines { // let the reading goroutine finish
		}
		if t.Failed() {
			t.Logf("stderr of the node:\n%s", p.logs())
		}
	})
	return p
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// logCount waits until the node's stderr holds want copies of substr, or
// lineTimeout passes, and returns the count. stderr reaches the test through
// a copying goroutine, so it may trail stdout a little.
func (p *proc) logCount(substr string, want int) int {
	deadline := time.Now().Add(lineTimeout)
	for {
		got := strings.Count(p.logs(), substr)
		if got >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *proc) send(lines ...string) {
	p.t.Helper()
	for _, l := range lines {
		if _, err := io.WriteString(p.stdin, l+"\n"); err != nil {
			p.t.Fatalf("writing to the node: %v", err)
		}
	}
}

// next returns the next line the node writes, failing after lineTimeout.
func (p *proc) next() []byte {
	p.t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			p.t.Fatalf("node closed stdout while a line was expected")
		}
		return l
	case <-timeout():
		p.t.Fatalf("no line from the node in %v", lineTimeout)
	}
	return nil
}

// nextMsg returns the next line decoded.
func (p *proc) nextMsg() message {
	p.t.Helper()
	return decode(p.t, p.next())
}

// finish closes stdin, waits for the node to exit and returns its remaining
// output lines and its exit code.
func (p *proc) finish() ([][]byte, int) {
	p.t.Helper()
	p.stdin.Close()
	var rest [][]byte
	for l := range p.lines {
		rest = append(rest, l)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		p.t.Fatalf("node did not exit 30 s after end of input")
	}
	return rest, p.cmd.ProcessState.ExitCode()
}

// lineTimeout bounds every wait for a line: generous, because a 2-core CI
// machine running the race detector is slow, but finite.
const lineTimeout = 20 * time.Second

func timeout() <-chan time.Time { return time.After(lineTimeout) }

// message is a decoded protocol line.
type message struct {
	Src  string         `json:"src"`
	Dest string         `json:"dest"`
	Body map[string]any `json:"body"`
}

func decode(t *testing.T, line []byte) message {
	t.Helper()
	var m message
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("node wrote a line that is not a message (%v): %s", err, line)
	}
	return m
}

func (m message) int(t *testing.T, key string) int64 {
	t.Helper()
	n, ok := m.Body[key].(json.Number)
	if !ok {
		t.Fatalf("body field %s = %v, want a number, in %v", key, m.Body[key], m.Body)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("body field %s = %v, want an integer", key, n)
	}
	return i
}

func (m message) ints(t *testing.T, key string) []int64 {
	t.Helper()
	raw, ok := m.Body[key].([]any)
	if !ok {
		t.Fatalf("body field %s = %v, want an array, in %v", key, m.Body[key], m.Body)
	}
	out := make([]int64, len(raw))
	for i, v := range raw {
		n, err := v.(json.Number).Int64()
		if err != nil {
			t.Fatalf("%s[%d] = %v, want an integer", key, i, v)
		}
		out[i] = n
	}
	return out
}

func initLine(id string, ids ...string) string {
	b, _ := json.Marshal(ids)
	return fmt.Sprintf(`{"src":"c0","dest":%q,"body":{"type":"init","msg_id":1,"node_id":%q,"node_ids":%s}}`, id, id, b)
}

// TestReferenceSessions runs SPEC.md's two sample sessions through the real
// nodeBin; the first must match byte for byte.
func TestReferenceSessions(t *testing.T) {
	t.Run("echo", func(t *testing.T) {
		in, err := os.Open("testdata/reference/echo.in")
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		want, err := os.ReadFile("testdata/reference/echo.golden")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(nodeBin)
		cmd.Stdin = in
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("node failed: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("stdout differs byte for byte\n got: %q\nwant: %q", got, want)
		}
	})
	t.Run("compute_backoff", func(t *testing.T) {
		in, err := os.Open("testdata/reference/compute_backoff.in")
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		cmd := exec.Command(nodeBin)
		cmd.Stdin = in
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("node failed: %v", err)
		}
		lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
		if len(lines) != 2 {
			t.Fatalf("got %d lines, want 2:\n%s", len(lines), got)
		}
		if want := `{"src": "n1", "dest": "c0", "body": {"type": "init_ok", "in_reply_to": 1, "msg_id": 0}}`; lines[0] != want {
			t.Errorf("line 1 = %s\nwant     %s", lines[0], want)
		}
		m := decode(t, []byte(lines[1]))
		if m.Body["type"] != "compute_backoff_ok" || m.Src != "n1" || m.Dest != "c1" || m.int(t, "in_reply_to") != 2 || m.int(t, "msg_id") != 1 {
			t.Fatalf("line 2 = %s, want a compute_backoff_ok from n1 to c1 in reply to 2 with msg_id 1", lines[1])
		}
		s := m.ints(t, "schedule_ms")
		bounds := [][2]int64{{100, 110}, {200, 220}, {400, 440}}
		if len(s) != len(bounds) {
			t.Fatalf("schedule_ms = %v, want 3 delays", s)
		}
		for i, b := range bounds {
			if s[i] < b[0] || s[i] > b[1] {
				t.Errorf("schedule_ms[%d] = %d, want in [%d, %d]", i, s[i], b[0], b[1])
			}
		}
		if total := m.int(t, "total_ms"); total != s[0]+s[1]+s[2] {
			t.Errorf("total_ms = %d, want %d", total, s[0]+s[1]+s[2])
		}
	})
}
