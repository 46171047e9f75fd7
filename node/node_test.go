package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"

	maelstrom "github.com/jepsen-io/maelstrom/demo/go"
)

const initLine = `{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2"]}}`

// run feeds input to a node with an echo handler and returns its stdout
// lines, decoded, and its log.
func run(t testing.TB, input string, setup func(*Node)) ([]map[string]any, string) {
	t.Helper()
	var out, logs bytes.Buffer
	n := New(strings.NewReader(input), &out, &logs)
	n.Handle("echo", func(r *Request) (*Body, error) {
		v, _ := r.Field("echo")
		return NewBody("echo_ok").Raw("echo", v), nil
	})
	if setup != nil {
		setup(n)
	}
	if err := n.Run(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	var msgs []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("output line is not JSON (%v): %q", err, line)
		}
		msgs = append(msgs, m)
	}
	return msgs, logs.String()
}

func body(m map[string]any) map[string]any { b, _ := m["body"].(map[string]any); return b }

func TestNode_Run(t *testing.T) {
	t.Run("InitFirstThenSrcOnEveryLine", func(t *testing.T) {
		in := initLine + "\n" + `{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":2,"echo":1}}` + "\n"
		msgs, _ := run(t, in, nil)
		if len(msgs) != 2 || body(msgs[0])["type"] != "init_ok" || body(msgs[1])["type"] != "echo_ok" {
			t.Fatalf("got %v, want init_ok then echo_ok", msgs)
		}
		for _, m := range msgs {
			if m["src"] != "n1" {
				t.Errorf("line without src n1: %v", m)
			}
		}
	})
	t.Run("CRLFAndNoFinalNewline", func(t *testing.T) {
		in := initLine + "\r\n" + `{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":2,"echo":1}}`
		if msgs, _ := run(t, in, nil); len(msgs) != 2 {
			t.Fatalf("got %d replies, want 2: %v", len(msgs), msgs)
		}
	})
	t.Run("ErrorCodeZeroIsWritten", func(t *testing.T) {
		in := initLine + "\n" + `{"src":"c1","dest":"n1","body":{"type":"fail","msg_id":2}}` + "\n"
		msgs, _ := run(t, in, func(n *Node) {
			n.Handle("fail", func(*Request) (*Body, error) { return nil, maelstrom.NewRPCError(maelstrom.Timeout, "slow") })
		})
		if code, ok := body(msgs[1])["code"]; !ok || code != 0.0 {
			t.Errorf("error body %v, want code 0 present", body(msgs[1]))
		}
	})
	t.Run("PlainErrorIsCrash", func(t *testing.T) {
		in := initLine + "\n" + `{"src":"c1","dest":"n1","body":{"type":"fail","msg_id":2}}` + "\n"
		msgs, _ := run(t, in, func(n *Node) {
			n.Handle("fail", func(*Request) (*Body, error) { return nil, errors.New("boom") })
		})
		if b := body(msgs[1]); b["code"] != 13.0 || b["text"] != "boom" {
			t.Errorf("error body %v, want code 13 text boom", b)
		}
	})
	t.Run("PanicIsCrashNotExit", func(t *testing.T) {
		in := initLine + "\n" + `{"src":"c1","dest":"n1","body":{"type":"fail","msg_id":2}}` + "\n" +
			`{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":3,"echo":1}}` + "\n"
		msgs, logs := run(t, in, func(n *Node) {
			n.Handle("fail", func(*Request) (*Body, error) { panic("bug") })
		})
		if len(msgs) != 3 || body(msgs[1])["code"] != 13.0 || body(msgs[2])["type"] != "echo_ok" {
			t.Errorf("got %v, want error 13 for the panic, then the echo answered", msgs)
		}
		if !strings.Contains(logs, "panicked: bug") {
			t.Errorf("the panic was not logged:\n%s", logs)
		}
	})
	t.Run("InitWithoutNodeIDIsSkipped", func(t *testing.T) {
		in := `{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1}}` + "\n" + initLine + "\n"
		msgs, logs := run(t, in, nil)
		if len(msgs) != 1 || body(msgs[0])["in_reply_to"] != 1.0 || msgs[0]["src"] != "n1" {
			t.Errorf("got %v, want one init_ok from n1", msgs)
		}
		if !strings.Contains(logs, "init without a string node_id") {
			t.Errorf("log %q does not explain the skipped init", logs)
		}
	})
}

// TestNode_Call checks that a reply reaches its callback once, and that a
// forgotten call's reply matches nothing.
func TestNode_Call(t *testing.T) {
	var got []string
	in := initLine + "\n" +
		`{"src":"c1","dest":"n1","body":{"type":"go","msg_id":2}}` + "\n" +
		`{"src":"n2","dest":"n1","body":{"type":"read_ok","in_reply_to":1}}` + "\n" +
		`{"src":"n2","dest":"n1","body":{"type":"read_ok","in_reply_to":1}}` + "\n" +
		`{"src":"n2","dest":"n1","body":{"type":"read_ok","in_reply_to":2}}` + "\n"
	_, logs := run(t, in, func(n *Node) {
		n.Handle("go", func(*Request) (*Body, error) {
			n.Call("n2", NewBody("read"), func(r *Request) { got = append(got, r.Type) })
			id := n.Call("n2", NewBody("read"), func(r *Request) { t.Errorf("forgotten call got %s", r.Type) })
			n.Forget(id)
			return nil, nil
		})
	})
	if len(got) != 1 {
		t.Errorf("callback ran %d times, want once", len(got))
	}
	if c := strings.Count(logs, "matches nothing pending"); c != 2 {
		t.Errorf("%d unmatched replies logged, want 2 (the duplicate and the forgotten):\n%s", c, logs)
	}
}

// TestNode_MsgIDsUnique sends from many goroutines at once: the ids on the
// wire are 0, 1, 2, ... in line order, none repeated.
func TestNode_MsgIDsUnique(t *testing.T) {
	const senders, each = 8, 200
	pr, pw := io.Pipe()
	var out bytes.Buffer
	n := New(pr, &out, io.Discard)
	done := make(chan error)
	go func() { done <- n.Run() }()
	fmt.Fprintln(pw, initLine)
	for n.ID() == "" {
		runtime.Gosched() // init_ok must be msg_id 0
	}
	var wg sync.WaitGroup
	for range senders {
		release := n.Track()
		wg.Go(func() {
			defer release()
			for range each {
				n.Reply(Origin{Dest: "c1"}, NewBody("note"))
			}
		})
	}
	wg.Wait()
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != senders*each+1 {
		t.Fatalf("%d lines, want %d", len(lines), senders*each+1)
	}
	for i, l := range lines {
		var m struct {
			Body struct {
				MsgID int `json:"msg_id"`
			}
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil || m.Body.MsgID != i {
			t.Fatalf("line %d has msg_id %d (%v), want %d", i, m.Body.MsgID, err, i)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestNode_WriteErrorIsReturned(t *testing.T) {
	var logs bytes.Buffer
	n := New(strings.NewReader(initLine+"\n"), failingWriter{}, &logs)
	if err := n.Run(); err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("Run = %v, want the write error", err)
	}
}

// FuzzLine feeds any line between init and an echo: the node must not panic
// or stop, every line it writes must be a JSON message from n1, and the echo
// must be answered last.
func FuzzLine(f *testing.F) {
	for _, s := range []string{
		`{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":5,"echo":"x"}}`,
		`{"src":"c1","dest":"n1","body":{"type":"nope","msg_id":5}}`,
		`{"src":"n2","dest":"n1","body":{"type":"read_ok","in_reply_to":1}}`,
		`{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":"x"}}`,
		`{"src":"c1","body":{"type":"echo","echo":[1,{"a":"\u00e9"}]}}`,
		initLine, `not json`, `{"a":[[[[`, `{"body":{"type":"echo","msg_id":1e400}}`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		line = bytes.ReplaceAll(line, []byte("\n"), []byte(" "))
		in := initLine + "\n" + string(line) + "\n" + `{"src":"c9","dest":"n1","body":{"type":"echo","msg_id":77,"echo":"last"}}` + "\n"
		msgs, _ := run(t, in, nil)
		if len(msgs) < 2 {
			t.Fatalf("%d lines out, want init_ok and the echo at least", len(msgs))
		}
		for _, m := range msgs {
			if m["src"] != "n1" {
				t.Fatalf("line without src n1: %v", m)
			}
		}
		if last := body(msgs[len(msgs)-1]); last["type"] != "echo_ok" || last["in_reply_to"] != 77.0 {
			t.Fatalf("last line %v, want the echo_ok to 77", last)
		}
	})
}
