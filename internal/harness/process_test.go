package harness_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/internal/harness"
)

// reqLine is a request from c1 to n1 with the given body, as a raw line.
func reqLine(body string) string { return `{"src":"c1","dest":"n1","body":` + body + `}` }

// TestBadInput sends one bad line to a real node process, then a good echo,
// and checks that the bad line got what the contract says (nothing, or an
// error with the right code whose text names the field), that it was
// logged if skipped, and that the echo was still answered.
func TestBadInput(t *testing.T) {
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	tests := []struct {
		name  string
		line  string
		code  int64  // 0: the line is logged and skipped, no reply
		field string // the error text must name it
	}{
		{"not JSON", "not json at all", 0, ""},
		{"blank line", "   ", 0, ""},
		{"array", `[1,2,3]`, 0, ""},
		{"string", `"echo"`, 0, ""},
		{"no body", `{"src":"c1","dest":"n1"}`, 0, ""},
		{"body is a string", `{"src":"c1","dest":"n1","body":"echo"}`, 0, ""},
		{"body without type", reqLine(`{"msg_id":5}`), 0, ""},
		{"type is a number", reqLine(`{"type":7,"msg_id":5}`), 0, ""},
		{"truncated", reqLine(`{"type":"echo","msg_id":5`), 0, ""},
		{"trailing garbage", reqLine(`{"type":"echo","msg_id":5}`) + " x", 0, ""},
		{"invalid UTF-8", reqLine(`{"type":"echo","msg_id":5,"echo":"` + "\xff\xfe" + `"}`), 0, ""},
		{"nested 100000 deep", reqLine(`{"type":"echo","msg_id":5,"echo":` + deep + `}`), 0, ""},
		{"src is a number", `{"src":5,"dest":"n1","body":{"type":"echo","msg_id":5}}`, 0, ""},
		{"NaN literal", reqLine(`{"type":"echo","msg_id":5,"x":NaN}`), 0, ""},
		{"reply to nothing", `{"src":"n2","dest":"n1","body":{"type":"read_ok","in_reply_to":77}}`, 0, ""},
		{"in_reply_to not an integer", `{"src":"n2","dest":"n1","body":{"type":"read_ok","in_reply_to":"x"}}`, 0, ""},
		{"unknown type", reqLine(`{"type":"frobnicate","msg_id":5}`), 10, "frobnicate"},
		{"msg_id a string", reqLine(`{"type":"echo","msg_id":"abc"}`), 12, "msg_id"},
		{"max_retries a word", reqLine(`{"type":"compute_backoff","msg_id":5,"max_retries":"five"}`), 12, "max_retries"},
		{"max_retries 1e9", reqLine(`{"type":"compute_backoff","msg_id":5,"max_retries":1e9}`), 12, "max_retries"},
		{"max_retries fractional", reqLine(`{"type":"compute_backoff","msg_id":5,"max_retries":2.5}`), 12, "max_retries"},
		{"max_retries negative", reqLine(`{"type":"compute_backoff","msg_id":5,"max_retries":-1}`), 12, "max_retries"},
		{"base_delay negative", reqLine(`{"type":"compute_backoff","msg_id":5,"base_delay":-1}`), 12, "base_delay"},
		{"base_delay below 1 ms", reqLine(`{"type":"compute_backoff","msg_id":5,"base_delay":0.0001}`), 12, "base_delay"},
		{"base_delay overflows", reqLine(`{"type":"compute_backoff","msg_id":5,"base_delay":1e400}`), 12, "base_delay"},
		{"base_delay a bool", reqLine(`{"type":"compute_backoff","msg_id":5,"base_delay":true}`), 12, "base_delay"},
		{"max_delay below base", reqLine(`{"type":"compute_backoff","msg_id":5,"base_delay":1,"max_delay":0.5}`), 12, "max_delay"},
		{"max_delay over a day", reqLine(`{"type":"compute_backoff","msg_id":5,"max_delay":86401}`), 12, "max_delay"},
		{"jitter above 1", reqLine(`{"type":"compute_backoff","msg_id":5,"jitter":1.5}`), 12, "jitter"},
		{"jitter a string", reqLine(`{"type":"compute_backoff","msg_id":5,"jitter":"x"}`), 12, "jitter"},
		{"seed negative", reqLine(`{"type":"compute_backoff","msg_id":5,"seed":-1}`), 12, "seed"},
		{"seed above 2^53", reqLine(`{"type":"compute_backoff","msg_id":5,"seed":9007199254740993}`), 12, "seed"},
		{"seed fractional", reqLine(`{"type":"compute_backoff","msg_id":5,"seed":1.5}`), 12, "seed"},
		{"strategy unknown", reqLine(`{"type":"compute_backoff","msg_id":5,"strategy":"fibonacci"}`), 12, "strategy"},
		{"strategy a number", reqLine(`{"type":"compute_backoff","msg_id":5,"strategy":5}`), 12, "strategy"},
		{"relay without target", reqLine(`{"type":"backoff_relay","msg_id":5,"payload":{"type":"read"}}`), 12, "target"},
		{"relay empty target", reqLine(`{"type":"backoff_relay","msg_id":5,"target":"","payload":{"type":"read"}}`), 12, "target"},
		{"relay without payload", reqLine(`{"type":"backoff_relay","msg_id":5,"target":"n2"}`), 12, "payload"},
		{"relay payload without type", reqLine(`{"type":"backoff_relay","msg_id":5,"target":"n2","payload":{"v":1}}`), 12, "payload"},
		{"relay payload is a reply", reqLine(`{"type":"backoff_relay","msg_id":5,"target":"n2","payload":{"type":"read_ok","in_reply_to":3}}`), 12, "payload"},
		{"relay payload an array", reqLine(`{"type":"backoff_relay","msg_id":5,"target":"n2","payload":[1]}`), 12, "payload"},
		{"relay attempt_timeout 0", reqLine(`{"type":"backoff_relay","msg_id":5,"target":"n2","payload":{"type":"read"},"attempt_timeout":0}`), 12, "attempt_timeout"},
		{"relay attempt_timeout 61", reqLine(`{"type":"backoff_relay","msg_id":5,"target":"n2","payload":{"type":"read"},"attempt_timeout":61}`), 12, "attempt_timeout"},
		{"relay bad schedule field", reqLine(`{"type":"backoff_relay","msg_id":5,"target":"n2","payload":{"type":"read"},"jitter":-0.1}`), 12, "jitter"},
	}
	if len(tests) < 25 {
		t.Fatalf("only %d bad inputs; the contract's list asks for at least 25", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			net := harness.New(t, harness.Config{})
			n1 := net.AddNode("n1", backoffNode)
			net.Start()
			c := net.Client("c1").Lenient() // the bad line's reply, if any, answers no call of c1's
			net.Inject("n1", []byte(tt.line))
			echo, err := c.RPC("n1", map[string]any{"type": "echo", "echo": "still alive"}, replyTimeout)
			if err != nil || echo.Type != "echo_ok" {
				t.Fatalf("after the bad line the echo got %v, %v; want echo_ok", echo, err)
			}
			strays := c.Strays()
			if tt.code == 0 {
				if len(strays) != 0 {
					t.Errorf("replies %v, want none", strays)
				}
				if logs := n1.Stderr(); strings.TrimSpace(tt.line) != "" && !strings.Contains(logs, "skipped") && !strings.Contains(logs, "ignored") {
					t.Errorf("the skipped line was not logged; stderr:\n%s", logs)
				}
				return
			}
			if len(strays) != 1 {
				t.Fatalf("replies %v, want one error", strays)
			}
			m := strays[0]
			var b struct {
				Code int64  `json:"code"`
				Text string `json:"text"`
			}
			if err := json.Unmarshal(m.Body, &b); err != nil || m.Type != "error" || b.Code != tt.code || !strings.Contains(b.Text, tt.field) || m.Src != "n1" || m.Dest != "c1" {
				t.Errorf("reply = %s, want an error from n1 to c1 with code %d naming %q", m, tt.code, tt.field)
			}
			if m.HasInReplyTo != (tt.field != "msg_id") {
				t.Errorf("reply = %s: in_reply_to present = %v, want %v", m, m.HasInReplyTo, !m.HasInReplyTo)
			}
		})
	}
}

// TestLongLines: a line over bufio's usual 64 KiB and one of exactly 1 MiB
// are answered; lines over 1 MiB are logged and skipped, and the node goes
// on.
func TestLongLines(t *testing.T) {
	echoOfLen := func(id, n int) []byte {
		head := reqLine(`{"type":"echo","msg_id":` + strconv.Itoa(id) + `,"echo":"`)
		tail := `"}}`
		return []byte(head + strings.Repeat("x", n-len(head)-len(tail)) + tail)
	}
	net := harness.New(t, harness.Config{})
	n1 := net.AddNode("n1", backoffNode)
	net.Start()
	c := net.Client("c1")
	var calls []*harness.Call
	for _, n := range []int{100 << 10, 1 << 20, 1<<20 + 1, 3 << 20} {
		calls = append(calls, c.Raw("n1", func(id int64) []byte { return echoOfLen(int(id), n) }))
	}
	if m, err := c.RPC("n1", map[string]any{"type": "echo", "echo": "after"}, replyTimeout); err != nil || m.Type != "echo_ok" {
		t.Fatalf("echo after the long lines: %v, %v", m, err)
	}
	for i, call := range calls {
		m, _ := call.Reply()
		if answered := m != nil; answered != (i < 2) {
			t.Errorf("line %d answered = %v, want %v", i, answered, i < 2)
		}
	}
	if got := strings.Count(n1.Stderr(), "longer than 1048576 bytes, skipped"); got != 2 {
		t.Errorf("%d over-long lines logged, want 2; stderr:\n%s", got, n1.Stderr())
	}
}

// TestNoSrc: a message without src cannot be answered; it is skipped and
// logged.
func TestNoSrc(t *testing.T) {
	net := harness.New(t, harness.Config{})
	n1 := net.AddNode("n1", backoffNode)
	net.Start()
	c := net.Client("c1")
	net.Inject("n1", []byte(`{"dest":"n1","body":{"type":"echo","msg_id":5,"echo":"x"}}`))
	if m, err := c.RPC("n1", map[string]any{"type": "echo", "echo": "y"}, replyTimeout); err != nil || m.Type != "echo_ok" {
		t.Fatalf("echo: %v, %v", m, err)
	}
	if !strings.Contains(n1.Stderr(), "no src") {
		t.Errorf("stderr does not explain the skipped line:\n%s", n1.Stderr())
	}
}

// TestRelayDropsFirstAttempts: n2 ignores the first k attempts of a relay
// from n1. The relay must report k+1 attempts and sleep exactly the first k
// delays of the schedule compute_backoff gives for the same fields and
// seed; with k beyond max_retries it gives up with code 0.
func TestRelayDropsFirstAttempts(t *testing.T) {
	for _, k := range []int{0, 1, 3, 4, 5} {
		t.Run("drop "+strconv.Itoa(k), func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			dropped := 0
			net := harness.New(t, harness.Config{})
			n1 := net.AddNode("n1", backoffNode)
			net.AddService("n2", func(req *harness.Message) (map[string]any, time.Duration) {
				mu.Lock()
				defer mu.Unlock()
				if dropped < k {
					dropped++
					return nil, 0
				}
				return map[string]any{"type": "echo_ok", "echo": "hi"}, 0
			})
			net.Start()
			c := net.Client("c1")
			p := relayParams{maxRetries: 4, base: 0.02, max: 0.2, jitter: 0.5, seed: uint64(1000 + k), strategy: "exponential", timeout: 0.15}
			sched := schedules(t, c, "n1", []relayParams{p})[0]
			m, err := c.RPC("n1", p.request("n2", map[string]any{"type": "echo", "echo": "hi"}), replyTimeout)
			if err != nil {
				t.Fatal(err)
			}
			r := decodeRelay(t, m)
			if k <= 4 {
				if r.Type != "backoff_relay_ok" || r.Attempts != k+1 {
					t.Fatalf("reply %s, want backoff_relay_ok after %d attempts", m, k+1)
				}
			} else if r.Type != "error" || r.Code == nil || *r.Code != 0 || r.Attempts != 5 {
				t.Fatalf("reply %s, want error code 0 after 5 attempts", m)
			}
			want := sched[:min(k, len(sched))]
			if len(r.Delays) != len(want) {
				t.Fatalf("delays_ms = %v, want the first %d of schedule %v", r.Delays, k, sched)
			}
			for i := range want {
				if int64(r.Delays[i]) != want[i] {
					t.Errorf("delays_ms = %v, want the first %d of schedule %v", r.Delays, k, sched)
				}
			}
			if got := strings.Count(n1.Stderr(), "; retry "); got != min(k, 4) {
				t.Errorf("%d retries logged, want %d; stderr:\n%s", got, min(k, 4), n1.Stderr())
			}
		})
	}
}
