package harness_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/backoff-node/backoff-node/internal/harness"
)

// reqLine is a request from c1 to n1 with the given body, as a raw line.
func reqLine(body string) string { return `{"src":"c1","dest":"n1","body":` + body + `}` }

// TestBadInputRealProcess: a real node process, given bad lines of every
// kind (not a message, no src, an unknown type, a msg_id that is not an
// integer, a bad field), logs and skips the first, answers the others with
// the error the contract names, in order, and still answers an echo. The
// full table of bad lines runs in-process: handlers TestBadInput.
func TestBadInputRealProcess(t *testing.T) {
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	net := harness.New(t, harness.Config{})
	n1 := net.AddNode("n1", backoffNode)
	net.Start()
	c := net.Client("c1").Lenient() // the errors answer no call of c1's
	for _, l := range []string{
		"not json at all",
		reqLine(`{"type":"echo","msg_id":1000001,"echo":` + deep + `}`),
		reqLine(`{"type":"echo","msg_id":1000002,"echo":"` + "\xff\xfe" + `"}`),
		`{"dest":"n1","body":{"type":"echo","msg_id":1000003,"echo":"x"}}`,
		reqLine(`{"type":"frobnicate","msg_id":1000004}`),
		reqLine(`{"type":"echo","msg_id":"abc"}`),
		reqLine(`{"type":"compute_backoff","msg_id":1000006,"max_retries":"five"}`),
	} {
		net.Inject("n1", []byte(l))
	}
	echo, err := c.RPC("n1", map[string]any{"type": "echo", "echo": "still alive"}, replyTimeout)
	if err != nil || echo.Type != "echo_ok" {
		t.Fatalf("after the bad lines the echo got %v, %v; want echo_ok", echo, err)
	}
	want := []struct {
		code      int64
		inReplyTo int64 // -1: none
		field     string
	}{{10, 1000004, "frobnicate"}, {12, -1, "msg_id"}, {12, 1000006, "max_retries"}}
	strays := c.Strays()
	if len(strays) != len(want) {
		t.Fatalf("replies %v, want %d errors", strays, len(want))
	}
	for i, w := range want {
		m := strays[i]
		var b struct {
			Code int64  `json:"code"`
			Text string `json:"text"`
		}
		if err := m.Decode(&b); err != nil || m.Type != "error" || b.Code != w.code || !strings.Contains(b.Text, w.field) ||
			m.HasInReplyTo != (w.inReplyTo >= 0) || m.HasInReplyTo && m.InReplyTo != w.inReplyTo {
			t.Errorf("reply %d = %s, want error %d naming %q in reply to %d", i, m, w.code, w.field, w.inReplyTo)
		}
	}
	if logs := n1.Stderr(); strings.Count(logs, "skipped")+strings.Count(logs, "ignored") < 4 || !strings.Contains(logs, "no src") {
		t.Errorf("the four skipped lines were not all logged (the one without src saying so); stderr:\n%s", logs)
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
