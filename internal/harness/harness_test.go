package harness_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/internal/harness"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		line string
		bad  string // what the error must mention; "" for a valid line
	}{
		{`{"src":"n1","dest":"c1","body":{"type":"echo_ok","in_reply_to":3,"msg_id":0}}`, ""},
		{`{"src": "n1", "dest": "n2", "body": {"type": "read"}}`, ""},
		{`not json`, "not a JSON object"},
		{`[1]`, "not a JSON object"},
		{`null`, "not a JSON object"},
		{`{"src":"n1","dest":"c1","body":{"type":"x"}} x`, "not a JSON object"},
		{`{"dest":"c1","body":{"type":"x"}}`, "no src"},
		{`{"src":"n1","body":{"type":"x"}}`, "no dest"},
		{`{"src":"","dest":"c1","body":{"type":"x"}}`, "src"},
		{`{"src":5,"dest":"c1","body":{"type":"x"}}`, "src"},
		{`{"src":"n1","dest":"c1"}`, "no body"},
		{`{"src":"n1","dest":"c1","body":{"type":"x"},"id":4}`, `extra top-level key "id"`},
		{`{"src":"n1","dest":"c1","body":"x"}`, "body is not an object"},
		{`{"src":"n1","dest":"c1","body":{"msg_id":1}}`, "no string type"},
		{`{"src":"n1","dest":"c1","body":{"type":"x","msg_id":1.5}}`, "msg_id"},
		{`{"src":"n1","dest":"c1","body":{"type":"x","in_reply_to":"3"}}`, "in_reply_to"},
	}
	for _, tt := range tests {
		m, err := harness.ParseLine([]byte(tt.line))
		switch {
		case tt.bad == "" && err != nil:
			t.Errorf("ParseLine(%s) = %v, want a message", tt.line, err)
		case tt.bad != "" && (err == nil || !strings.Contains(err.Error(), tt.bad)):
			t.Errorf("ParseLine(%s) = %v, %v; want an error about %s", tt.line, m, err, tt.bad)
		}
	}
}

// The latencies draw only from the generator they are given, within their
// bounds.
func TestLatency(t *testing.T) {
	for _, l := range []harness.Latency{
		harness.Constant(5 * time.Millisecond),
		harness.Uniform(time.Millisecond, 9*time.Millisecond),
		harness.Exponential(3 * time.Millisecond),
	} {
		a, b := rand.New(rand.NewPCG(7, 7)), rand.New(rand.NewPCG(7, 7))
		var sum time.Duration
		const n = 10000
		for range n {
			d := l.Sample(a)
			if d != l.Sample(b) {
				t.Fatalf("%v: same seed, different delays", l)
			}
			if d < 0 {
				t.Fatalf("%v: negative delay %v", l, d)
			}
			sum += d
		}
		if mean := sum / n; mean < 2*time.Millisecond || mean > 8*time.Millisecond {
			t.Errorf("%v: mean %v over %d draws", l, mean, n)
		}
	}
}

// recorder stands in for a test to catch what the network reports.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

// A node that writes what Maelstrom rejects fails the test: here a shell
// script that answers init, then writes a line with an extra key, one to
// an unknown dest, one that is not JSON, and a second reply to init.
func TestNetworkRejectsBadOutput(t *testing.T) {
	r := &recorder{TB: t}
	script := `read line
echo '{"src":"n1","dest":"c0","body":{"type":"init_ok","in_reply_to":0,"msg_id":0}}'
echo '{"src":"n1","dest":"c0","body":{"type":"x","msg_id":1},"extra":1}'
echo '{"src":"n1","dest":"n7","body":{"type":"x","msg_id":2}}'
echo 'oops'
echo '{"src":"n1","dest":"c0","body":{"type":"init_ok","in_reply_to":0,"msg_id":3}}'
echo '{"src":"n1","dest":"c0","body":{"type":"x","msg_id":5}}'
cat >/dev/null`
	t.Run("net", func(t *testing.T) {
		r.TB = t
		net := harness.New(r, harness.Config{})
		n1 := net.AddNode("n1", harness.Program{Name: "sh", Path: "/bin/sh", Args: []string{"-c", script}, Strict: true})
		net.Start()
		deadline := time.Now().Add(replyTimeout)
		for len(net.Violations()) < 5 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		n1.Stop()
	})
	r.mu.Lock()
	got := strings.Join(r.errs, "\n")
	r.mu.Unlock()
	for _, want := range []string{`extra top-level key "extra"`, `unknown dest "n7"`, "not a JSON object", "second reply", "msg_id 5, want 4"} {
		if !strings.Contains(got, want) {
			t.Errorf("the network did not reject what it should (%s); it reported:\n%s", want, got)
		}
	}
}
