package handlers_test

import (
	"io"
	"strings"
	"testing"
	"testing/synctest"
)

// TestBadInput sends one bad line to an in-process node, then a good echo,
// and checks that the bad line got what the contract says: nothing, logged
// as skipped or ignored, or one error with the right code whose text names
// the field; and that the echo was still answered. (One real process gets
// a few of these lines too: internal/harness TestBadInputRealProcess.)
func TestBadInput(t *testing.T) {
	req := func(body string) string { return `{"src":"c1","dest":"n1","body":` + body + `}` }
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
		{"no src", `{"dest":"n1","body":{"type":"echo","msg_id":5,"echo":"x"}}`, 0, ""},
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
		t.Fatalf("only %d bad inputs; the contract's list asks for at least 25", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newSession(t)
				if _, err := io.WriteString(s.in, tt.line+"\n"); err != nil {
					t.Fatal(err)
				}
				s.send("c1", `{"type":"echo","msg_id":99,"echo":"still alive"}`)
				out := s.take()
				s.close()
				if len(out) == 0 || out[len(out)-1].Body["type"] != "echo_ok" || out[len(out)-1].int("in_reply_to") != 99 {
					t.Fatalf("after the bad line the node wrote %v; want it to end with the echo_ok", out)
				}
				out = out[:len(out)-1]
				if tt.code == 0 {
					if len(out) != 0 {
						t.Errorf("replies %v, want none", out)
					}
					if logs := s.logs.String(); strings.TrimSpace(tt.line) != "" && !strings.Contains(logs, "skipped") && !strings.Contains(logs, "ignored") {
						t.Errorf("the skipped line was not logged; stderr:\n%s", logs)
					}
					return
				}
				if len(out) != 1 {
					t.Fatalf("replies %v, want one error", out)
				}
				m := out[0]
				text, _ := m.Body["text"].(string)
				if m.Body["type"] != "error" || int64(m.int("code")) != tt.code || !strings.Contains(text, tt.field) || m.Src != "n1" || m.Dest != "c1" {
					t.Errorf("reply %v, want an error from n1 to c1 with code %d naming %q", m, tt.code, tt.field)
				}
				if _, has := m.Body["in_reply_to"]; has != (tt.field != "msg_id") {
					t.Errorf("reply %v: in_reply_to present = %v, want %v", m, has, !has)
				}
			})
		})
	}
}
