package harness_test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/internal/harness"
)

// The node under overload (issue 7): its own retries must never make it
// worse. These tests run real node processes.

// TestBurst sends a burst of relays at once to n1, whose target n2 is the
// same binary answering echo. Replies to n1's attempts must not wait behind
// the burst's unread requests (they are read first), so the attempts do
// not time out and retry: every relay is answered, with at most 1.2 sends a
// relay (the budget's bound even if they did time out). The short version
// sends 20,000; the soak version 100,000, the burst that once made 4.5
// sends a relay.
func TestBurst(t *testing.T) {
	start := time.Now()
	var sends atomic.Int64
	net, _ := seededNet(t, 7, harness.Config{Trace: func(e harness.Event) {
		if e.Msg.Src == "n1" && e.Msg.Dest == "n2" {
			sends.Add(1)
		}
	}})
	n1 := net.AddNode("n1", backoffNode)
	n2 := net.AddNode("n2", backoffNode)
	net.Start()
	c := net.Client("c1")

	n := size(20_000, 100_000)
	calls := make([]*harness.Call, n)
	for i := range calls {
		calls[i] = c.Call("n1", map[string]any{"type": "backoff_relay", "target": "n2",
			"payload": map[string]any{"type": "echo", "echo": i}, "seed": i})
	}
	if got := waitAll(calls, replyTimeout); got != n {
		t.Fatalf("%d of %d relays answered within %v", got, n, replyTimeout)
	}
	attempts, ok := 0, 0
	for _, call := range calls {
		m, _ := call.Reply()
		r := decodeRelay(t, m)
		attempts += r.Attempts
		if r.Type == "backoff_relay_ok" {
			ok++
		}
	}
	perRelay := float64(attempts) / float64(n)
	t.Logf("burst of %d relays: %d answered ok, %.3f sends a relay (network saw %d), %v",
		n, ok, perRelay, sends.Load(), time.Since(start).Round(time.Millisecond))
	if perRelay > 1.2 {
		t.Errorf("%.3f sends a relay, want at most 1.2", perRelay)
	}
	if int64(attempts) != sends.Load() {
		t.Errorf("replies count %d attempts, the network saw %d sends from n1 to n2", attempts, sends.Load())
	}
	record(t, row{scenario: "7 burst of relays", requests: n, faults: "none", answered: n}, start, n1, n2)
}

// TestNestedRelaysDepth6: a relay whose payload is a relay whose payload
// is a relay ... six deep, the last to a node that never answers. Each
// relay gives its nested payload a max_elapsed no longer than its own
// attempt's wait, so each inner relay gives up before the outer one stops
// waiting, and the dead node receives at most 1 + max_retries sends (the
// outermost relay's attempts), not (1 + max_retries)^6 = 729. The client
// hears back within the outermost relay's own schedule.
func TestNestedRelaysDepth6(t *testing.T) {
	waitBound(t)
	var toDead atomic.Int64
	net, _ := seededNet(t, 8, harness.Config{Trace: func(e harness.Event) {
		if e.Msg.Dest == "n7" {
			toDead.Add(1)
		}
	}})
	for i := 1; i <= 6; i++ {
		net.AddNode(fmt.Sprintf("n%d", i), backoffNode)
	}
	net.AddService("n7", func(*harness.Message) (map[string]any, time.Duration) { return nil, 0 })
	net.Start()
	c := net.Client("c1")

	const maxRetries, timeout, base = 2, 0.4, 0.01
	payload := map[string]any{"type": "read"}
	for depth := 6; depth >= 1; depth-- {
		payload = map[string]any{"type": "backoff_relay", "target": fmt.Sprintf("n%d", depth+1), "payload": payload,
			"max_retries": maxRetries, "attempt_timeout": timeout, "base_delay": base, "max_delay": base, "jitter": 0, "seed": depth}
	}
	start := time.Now()
	outer := payload["payload"].(map[string]any)
	outer["retry_policy"] = "none" // its retries are what is counted, whatever the node's default control
	m, err := c.Call("n1", outer).Wait(replyTimeout)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	r := decodeRelay(t, m)
	// Its own schedule: 1 + max_retries attempts of at most timeout each,
	// and max_retries delays of base.
	own := time.Duration(((1+maxRetries)*timeout + maxRetries*base) * float64(time.Second))
	t.Logf("depth 6: %d sends to the dead node (729 without deadlines), answer %s after %v (own schedule %v)",
		toDead.Load(), m, took.Round(time.Millisecond), own)
	if r.Type != "error" || r.Code == nil || *r.Code != 0 || r.Attempts != 1+maxRetries {
		t.Errorf("answer %s, want a give-up with code 0 after %d attempts", m, 1+maxRetries)
	}
	if got := toDead.Load(); got > 1+maxRetries {
		t.Errorf("%d sends to the dead node, want at most %d", got, 1+maxRetries)
	}
	// The client's wait is the outermost schedule plus delivery; a loaded
	// machine adds scheduling delay, which is what the slack allows.
	if took > own+2*time.Second {
		t.Errorf("answered after %v, want within the outermost relay's %v (+2 s slack)", took, own)
	}
}

// TestTerminateAnswersInFlight: on SIGTERM the node answers every relay in
// flight with error 11 "node shutting down", with its attempts and delays
// so far, and exits 0 within a second.
func TestTerminateAnswersInFlight(t *testing.T) {
	var received atomic.Int64
	net, _ := seededNet(t, 9, harness.Config{})
	n1 := net.AddNode("n1", backoffNode)
	net.AddService("n2", func(*harness.Message) (map[string]any, time.Duration) {
		received.Add(1)
		return nil, 0 // never answers
	})
	net.Start()
	c := net.Client("c1")
	const relays = 50
	calls := make([]*harness.Call, relays)
	for i := range calls {
		calls[i] = c.Call("n1", map[string]any{"type": "backoff_relay", "target": "n2", "payload": map[string]any{"type": "read"},
			"max_retries": 5, "attempt_timeout": 30, "seed": i})
	}
	for deadline := time.Now().Add(replyTimeout); received.Load() < relays; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d first attempts reached n2", received.Load(), relays)
		}
	}
	took := n1.Terminate()
	if got := waitAll(calls, 5*time.Second); got != relays {
		t.Fatalf("%d of %d relays answered after SIGTERM", got, relays)
	}
	for _, call := range calls {
		m, _ := call.Reply()
		r := decodeRelay(t, m)
		if r.Type != "error" || r.Code == nil || *r.Code != 11 || r.Text != "node shutting down" || r.Attempts != 1 || r.DelaysMS == nil {
			t.Errorf("answer %s, want error 11 node shutting down after 1 attempt, with delays_ms", m)
		}
	}
	if took > time.Second {
		t.Errorf("the node took %v to exit after SIGTERM, want at most 1 s", took)
	}
}

// TestClosedStderr: the node's log is best effort. With stderr closed
// (writes fail with EPIPE) it answers everything and exits 0, where a Go
// program would by default die of SIGPIPE at its first log line.
func TestClosedStderr(t *testing.T) {
	cmd := exec.Command(backoffNode.Path)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // nobody reads: every write to w fails
	cmd.Stderr = w
	cmd.Stdin = strings.NewReader(`{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}` + "\n" +
		"not json, which the node logs\n" +
		`{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":2,"echo":"still here"}}` + "\n")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	out, _ := io.ReadAll(stdout)
	if err := cmd.Wait(); err != nil {
		t.Errorf("node with a closed stderr: %v, want exit 0", err)
	}
	if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) != 2 || !strings.Contains(lines[1], `"echo": "still here"`) {
		t.Errorf("stdout %q, want init_ok and the echo", out)
	}
}

// BenchmarkBurst times a burst of relays, as TestBurst sends it, at 30,000
// and 100,000 (make bench): the time a relay should stay about the same,
// where retries that feed on themselves would make the larger burst slower
// than linear. It reports sends a relay beside ns/op.
func BenchmarkBurst(b *testing.B) {
	for _, n := range []int{30_000, 100_000} {
		b.Run(fmt.Sprintf("relays=%d", n), func(b *testing.B) {
			attempts := 0
			for b.Loop() {
				b.StopTimer()
				net := harness.New(b, harness.Config{Seed: 7})
				net.AddNode("n1", backoffNode)
				net.AddNode("n2", backoffNode)
				net.Start()
				c := net.Client("c1")
				b.StartTimer()
				calls := make([]*harness.Call, n)
				for i := range calls {
					calls[i] = c.Call("n1", map[string]any{"type": "backoff_relay", "target": "n2",
						"payload": map[string]any{"type": "echo", "echo": i}, "seed": i})
				}
				if got := waitAll(calls, replyTimeout); got != n {
					b.Fatalf("%d of %d relays answered", got, n)
				}
				b.StopTimer()
				for _, call := range calls {
					m, _ := call.Reply()
					attempts += decodeRelay(b, m).Attempts
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(attempts)/float64(b.N*n), "sends/relay")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/relay")
		})
	}
}
