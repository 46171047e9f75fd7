package main

import (
	"strconv"
	"strings"
	"testing"
)

const echoLine = `{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":1000,"echo":"still alive"}}`

func req(body string) string { return `{"src":"c1","dest":"n1","body":` + body + `}` }

// TestBadInput sends one bad line to a real node process, then a good echo,
// and checks that the bad line got what the contract says (nothing, or an
// error with the right code whose text names the field) and that the echo
// was still answered.
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
		{"body without type", req(`{"msg_id":5}`), 0, ""},
		{"type is a number", req(`{"type":7,"msg_id":5}`), 0, ""},
		{"truncated", req(`{"type":"echo","msg_id":5`), 0, ""},
		{"trailing garbage", req(`{"type":"echo","msg_id":5}`) + " x", 0, ""},
		{"invalid UTF-8", req(`{"type":"echo","msg_id":5,"echo":"` + "\xff\xfe" + `"}`), 0, ""},
		{"nested 100000 deep", req(`{"type":"echo","msg_id":5,"echo":` + deep + `}`), 0, ""},
		{"src is a number", `{"src":5,"dest":"n1","body":{"type":"echo","msg_id":5}}`, 0, ""},
		{"NaN literal", req(`{"type":"echo","msg_id":5,"x":NaN}`), 0, ""},
		{"reply to nothing", `{"src":"n2","dest":"n1","body":{"type":"read_ok","in_reply_to":77}}`, 0, ""},
		{"in_reply_to not an integer", `{"src":"n2","dest":"n1","body":{"type":"read_ok","in_reply_to":"x"}}`, 0, ""},
		{"unknown type", req(`{"type":"frobnicate","msg_id":5}`), 10, "frobnicate"},
		{"msg_id a string", req(`{"type":"echo","msg_id":"abc"}`), 12, "msg_id"},
		{"max_retries a word", req(`{"type":"compute_backoff","msg_id":5,"max_retries":"five"}`), 12, "max_retries"},
		{"max_retries 1e9", req(`{"type":"compute_backoff","msg_id":5,"max_retries":1e9}`), 12, "max_retries"},
		{"max_retries fractional", req(`{"type":"compute_backoff","msg_id":5,"max_retries":2.5}`), 12, "max_retries"},
		{"max_retries negative", req(`{"type":"compute_backoff","msg_id":5,"max_retries":-1}`), 12, "max_retries"},
		{"base_delay negative", req(`{"type":"compute_backoff","msg_id":5,"base_delay":-1}`), 12, "base_delay"},
		{"base_delay below 1 ms", req(`{"type":"compute_backoff","msg_id":5,"base_delay":0.0001}`), 12, "base_delay"},
		{"base_delay overflows", req(`{"type":"compute_backoff","msg_id":5,"base_delay":1e400}`), 12, "base_delay"},
		{"base_delay a bool", req(`{"type":"compute_backoff","msg_id":5,"base_delay":true}`), 12, "base_delay"},
		{"max_delay below base", req(`{"type":"compute_backoff","msg_id":5,"base_delay":1,"max_delay":0.5}`), 12, "max_delay"},
		{"max_delay over a day", req(`{"type":"compute_backoff","msg_id":5,"max_delay":86401}`), 12, "max_delay"},
		{"jitter above 1", req(`{"type":"compute_backoff","msg_id":5,"jitter":1.5}`), 12, "jitter"},
		{"jitter a string", req(`{"type":"compute_backoff","msg_id":5,"jitter":"x"}`), 12, "jitter"},
		{"seed negative", req(`{"type":"compute_backoff","msg_id":5,"seed":-1}`), 12, "seed"},
		{"seed above 2^53", req(`{"type":"compute_backoff","msg_id":5,"seed":9007199254740993}`), 12, "seed"},
		{"seed fractional", req(`{"type":"compute_backoff","msg_id":5,"seed":1.5}`), 12, "seed"},
		{"strategy unknown", req(`{"type":"compute_backoff","msg_id":5,"strategy":"fibonacci"}`), 12, "strategy"},
		{"strategy a number", req(`{"type":"compute_backoff","msg_id":5,"strategy":5}`), 12, "strategy"},
		{"relay without target", req(`{"type":"backoff_relay","msg_id":5,"payload":{"type":"read"}}`), 12, "target"},
		{"relay empty target", req(`{"type":"backoff_relay","msg_id":5,"target":"","payload":{"type":"read"}}`), 12, "target"},
		{"relay without payload", req(`{"type":"backoff_relay","msg_id":5,"target":"n2"}`), 12, "payload"},
		{"relay payload without type", req(`{"type":"backoff_relay","msg_id":5,"target":"n2","payload":{"v":1}}`), 12, "payload"},
		{"relay payload is a reply", req(`{"type":"backoff_relay","msg_id":5,"target":"n2","payload":{"type":"read_ok","in_reply_to":3}}`), 12, "payload"},
		{"relay payload an array", req(`{"type":"backoff_relay","msg_id":5,"target":"n2","payload":[1]}`), 12, "payload"},
		{"relay attempt_timeout 0", req(`{"type":"backoff_relay","msg_id":5,"target":"n2","payload":{"type":"read"},"attempt_timeout":0}`), 12, "attempt_timeout"},
		{"relay attempt_timeout 61", req(`{"type":"backoff_relay","msg_id":5,"target":"n2","payload":{"type":"read"},"attempt_timeout":61}`), 12, "attempt_timeout"},
		{"relay bad schedule field", req(`{"type":"backoff_relay","msg_id":5,"target":"n2","payload":{"type":"read"},"jitter":-0.1}`), 12, "jitter"},
	}
	if len(tests) < 25 {
		t.Fatalf("only %d bad inputs; the issue asks for at least 25", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startNode(t)
			p.send(initLine("n1", "n1", "n2"), tt.line, echoLine)
			if m := p.nextMsg(); m.Body["type"] != "init_ok" {
				t.Fatalf("first line = %v, want init_ok", m)
			}
			if tt.code != 0 {
				m := p.nextMsg()
				text, _ := m.Body["text"].(string)
				if m.Body["type"] != "error" || m.int(t, "code") != tt.code || !strings.Contains(text, tt.field) || m.Src != "n1" || m.Dest != "c1" {
					t.Errorf("reply = %v, want an error from n1 to c1 with code %d naming %q", m, tt.code, tt.field)
				}
				if _, ok := m.Body["in_reply_to"]; ok != (tt.field != "msg_id") {
					t.Errorf("reply = %v: in_reply_to present = %v, want %v", m, ok, !ok)
				}
			}
			if m := p.nextMsg(); m.Body["type"] != "echo_ok" || m.int(t, "in_reply_to") != 1000 {
				t.Errorf("after the bad line got %v, want the echo_ok to msg 1000", m)
			}
			rest, code := p.finish()
			if code != 0 || len(rest) != 0 {
				t.Errorf("exit code %d with %d more lines (%q), want 0 and none", code, len(rest), rest)
			}
			if tt.code == 0 && !strings.Contains(p.logs(), "skipped") && !strings.Contains(p.logs(), "ignored") && strings.TrimSpace(tt.line) != "" {
				t.Errorf("the skipped line was not logged; stderr:\n%s", p.logs())
			}
		})
	}
}

// TestLongLines: a line over bufio's usual 64 KiB and one of exactly 1 MiB
// are answered; a line one byte over 1 MiB is logged and skipped, and the
// node goes on.
func TestLongLines(t *testing.T) {
	echoOfLen := func(id, n int) string {
		head := req(`{"type":"echo","msg_id":` + strconv.Itoa(id) + `,"echo":"`)
		tail := `"}}`
		return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
	}
	p := startNode(t)
	p.send(initLine("n1", "n1"), echoOfLen(2, 100<<10), echoOfLen(3, 1<<20), echoOfLen(4, 1<<20+1), echoOfLen(5, 3<<20), echoLine)
	p.nextMsg()
	for _, want := range []int64{2, 3, 1000} {
		if m := p.nextMsg(); m.Body["type"] != "echo_ok" || m.int(t, "in_reply_to") != want {
			t.Fatalf("got %.200v, want the echo_ok to %d", m, want)
		}
	}
	if _, code := p.finish(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	if got := strings.Count(p.logs(), "longer than 1048576 bytes, skipped"); got != 2 {
		t.Errorf("%d over-long lines logged, want 2; stderr:\n%s", got, p.logs())
	}
}

// TestNoSrc: a message without src cannot be answered; it is skipped.
func TestNoSrc(t *testing.T) {
	p := startNode(t)
	p.send(initLine("n1", "n1"), `{"dest":"n1","body":{"type":"echo","msg_id":5,"echo":"x"}}`, echoLine)
	p.nextMsg()
	if m := p.nextMsg(); m.int(t, "in_reply_to") != 1000 {
		t.Errorf("got %v, want only the echo_ok to 1000", m)
	}
	if p.logCount("no src", 1) != 1 {
		t.Errorf("stderr does not explain the skipped line:\n%s", p.logs())
	}
}
