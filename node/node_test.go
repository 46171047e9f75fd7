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
	"testing/iotest"
	"testing/synctest"
	"unsafe"

	"github.com/backoff-node/backoff-node/internal/jsonwire"
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

// pipeNode runs a node with an echo handler on a pipe inside a synctest
// bubble; write feeds it one line and waits until the node has handled it.
type pipeNode struct {
	*Node
	t      *testing.T
	in     *io.PipeWriter
	out    *syncBuffer
	logs   *syncBuffer
	runErr chan error
}

func startPipeNode(t *testing.T, setup func(*Node)) *pipeNode {
	pr, pw := io.Pipe()
	p := &pipeNode{t: t, in: pw, out: &syncBuffer{}, logs: &syncBuffer{}, runErr: make(chan error, 1)}
	p.Node = New(pr, p.out, p.logs)
	p.Handle("echo", func(r *Request) (*Body, error) {
		v, _ := r.Field("echo")
		return NewBody("echo_ok").Raw("echo", v), nil
	})
	if setup != nil {
		setup(p.Node)
	}
	go func() { p.runErr <- p.Run() }()
	p.write(initLine)
	return p
}

func (p *pipeNode) write(line string) {
	p.t.Helper()
	if _, err := io.WriteString(p.in, line+"\n"); err != nil {
		p.t.Fatal(err)
	}
	synctest.Wait()
}

// end closes the input and returns Run's error.
func (p *pipeNode) end() error {
	p.in.Close()
	return <-p.runErr
}

// lines returns the output lines so far, decoded.
func (p *pipeNode) lines() []map[string]any {
	p.t.Helper()
	var msgs []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(p.out.String(), "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			p.t.Fatalf("output line is not JSON (%v): %q", err, line)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

// counts returns how many writes and bytes s has had.
func (s *syncBuffer) counts() (writes, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes, s.b.Len()
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestNode_Call checks that a reply reaches its callback once, that a
// forgotten call's reply matches nothing, and that a reply from a node the
// call did not go to is ignored while the genuine one still counts.
func TestNode_Call(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var got []string
		p := startPipeNode(t, nil)
		p.Handle("go", func(*Request) (*Body, error) {
			p.Call("n2", NewBody("read"), func(r *Request) { got = append(got, r.Type+" from "+r.Src) })
			id := p.Call("n2", NewBody("read"), func(r *Request) { t.Errorf("forgotten call got %s", r.Type) })
			p.Forget(id)
			return nil, nil
		})
		p.write(`{"src":"c1","dest":"n1","body":{"type":"go","msg_id":2}}`)
		p.write(`{"src":"c9","dest":"n1","body":{"type":"forged_ok","in_reply_to":1}}`)
		p.write(`{"src":"n3","dest":"n1","body":{"type":"error","code":11,"in_reply_to":1}}`)
		p.write(`{"src":"n2","dest":"n1","body":{"type":"read_ok","in_reply_to":1}}`)
		p.write(`{"src":"n2","dest":"n1","body":{"type":"read_ok","in_reply_to":1}}`)
		p.write(`{"src":"n2","dest":"n1","body":{"type":"read_ok","in_reply_to":2}}`)
		if err := p.end(); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0] != "read_ok from n2" {
			t.Errorf("callback got %v, want once, the reply from n2", got)
		}
		logs := p.logs.String()
		if c := strings.Count(logs, "matches nothing pending"); c != 2 {
			t.Errorf("%d unmatched replies logged, want 2 (the duplicate and the forgotten):\n%s", c, logs)
		}
		if c := strings.Count(logs, "but that call went to n2: ignored"); c != 2 {
			t.Errorf("%d foreign replies logged, want 2 (from c9 and n3):\n%s", c, logs)
		}
	})
}

// TestNode_RepliesFirst: replies that arrive behind a backlog of requests
// are handled before those requests.
func TestNode_RepliesFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var order []string
		block := make(chan struct{})
		p := startPipeNode(t, nil)
		p.Handle("slow", func(*Request) (*Body, error) {
			<-block // keeps the handling goroutine busy while lines queue up
			return NewBody("slow_ok"), nil
		})
		p.Handle("note", func(r *Request) (*Body, error) {
			order = append(order, "request")
			return nil, nil
		})
		p.Handle("go", func(*Request) (*Body, error) {
			p.Call("n2", NewBody("read"), func(*Request) { order = append(order, "reply") })
			return nil, nil
		})
		p.write(`{"src":"c1","dest":"n1","body":{"type":"go","msg_id":2}}`)
		p.write(`{"src":"c1","dest":"n1","body":{"type":"slow","msg_id":3}}`)
		for i := range 5 {
			p.write(fmt.Sprintf(`{"src":"c1","dest":"n1","body":{"type":"note","msg_id":%d}}`, 10+i))
		}
		p.write(`{"src":"n2","dest":"n1","body":{"type":"read_ok","in_reply_to":1}}`)
		close(block)
		synctest.Wait()
		if err := p.end(); err != nil {
			t.Fatal(err)
		}
		want := []string{"reply", "request", "request", "request", "request", "request"}
		if fmt.Sprint(order) != fmt.Sprint(want) {
			t.Errorf("handled %v, want %v", order, want)
		}
	})
}

// TestNode_FlushWithPartialLine: a reply goes out while part of the next
// line sits unread, not when that line completes.
func TestNode_FlushWithPartialLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := startPipeNode(t, nil)
		io.WriteString(p.in, `{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":2,"echo":"x"}}`+"\n"+`{"src":"c1","dest":"n1","bo`)
		synctest.Wait()
		if msgs := p.lines(); len(msgs) != 2 || body(msgs[1])["type"] != "echo_ok" {
			t.Errorf("output %v, want init_ok and echo_ok before the next line is complete", msgs)
		}
		p.write(`dy":{"type":"echo","msg_id":3,"echo":"y"}}`)
		if err := p.end(); err != nil {
			t.Fatal(err)
		}
		if msgs := p.lines(); len(msgs) != 3 {
			t.Errorf("%d lines, want 3", len(msgs))
		}
	})
}

// TestNode_Stop: Stop answers the requests read but not handled with error
// 11, aborts tracked work, which answers, and Run returns nil.
func TestNode_Stop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		block := make(chan struct{})
		p := startPipeNode(t, nil)
		p.Handle("slow", func(*Request) (*Body, error) {
			<-block
			return NewBody("slow_ok"), nil
		})
		p.Handle("work", func(r *Request) (*Body, error) {
			o := r.Origin()
			var done func()
			done = p.Track(func() {
				p.Reply(o, NewBody("error").Int("code", 11).String("text", "node shutting down"))
				done()
			})
			return nil, nil
		})
		p.write(`{"src":"c1","dest":"n1","body":{"type":"work","msg_id":2}}`)
		p.write(`{"src":"c1","dest":"n1","body":{"type":"slow","msg_id":3}}`)
		p.write(`{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":4,"echo":1}}`)
		p.Stop()
		close(block)
		if err := <-p.runErr; err != nil {
			t.Fatalf("Run = %v, want nil after Stop", err)
		}
		p.in.Close() // the reader stays in its read until the input ends
		got := map[float64]string{}
		for _, m := range p.lines()[1:] {
			b := body(m)
			got[b["in_reply_to"].(float64)] = fmt.Sprint(b["type"], " ", b["code"])
		}
		want := map[float64]string{2: "error 11", 3: "slow_ok <nil>", 4: "error 11"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("answers %v, want %v", got, want)
		}
	})
}

// TestNode_StopAnswersInBatches: the answers Stop makes tracked work give,
// and the log lines it writes meanwhile, go out in batches of 64 KiB, not
// a write each: with 100,000 relays in flight, a write each took longer
// than the second a stop may take (main's TestTerminateManyRelays).
func TestNode_StopAnswersInBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := startPipeNode(t, nil)
		p.Handle("work", func(r *Request) (*Body, error) {
			o := r.Origin()
			var done func()
			done = p.Track(func() {
				p.Logf("work for %s#%d: stopping", o.Dest, o.InReplyTo)
				p.Reply(o, NewBody("error").Int("code", 11).String("text", "node shutting down"))
				done()
			})
			return nil, nil
		})
		const works = 5000
		var in strings.Builder
		for i := range works {
			fmt.Fprintf(&in, `{"src":"c1","dest":"n1","body":{"type":"work","msg_id":%d}}`+"\n", i+2)
		}
		io.WriteString(p.in, in.String())
		synctest.Wait()
		outWrites, outBytes := p.out.counts()
		logWrites, logBytes := p.logs.counts()
		p.Stop()
		if err := <-p.runErr; err != nil {
			t.Fatalf("Run = %v, want nil after Stop", err)
		}
		p.in.Close()
		if got := strings.Count(p.out.String(), `"node shutting down"`); got != works {
			t.Fatalf("%d answers, want %d", got, works)
		}
		w, b := p.out.counts()
		if w-outWrites > (b-outBytes)/(64<<10)+2 {
			t.Errorf("%d writes to stdout for %d answers (%d bytes), want them in batches of 64 KiB", w-outWrites, works, b-outBytes)
		}
		w, b = p.logs.counts()
		if w-logWrites > (b-logBytes)/(64<<10)+2 {
			t.Errorf("%d writes to the log for %d lines (%d bytes), want them in batches of 64 KiB", w-logWrites, works, b-logBytes)
		}
	})
}

// TestRequest_Owned: an owned copy keeps every field when the line it was
// read from is overwritten (the node reuses its read buffers), and shares
// no memory with it.
func TestRequest_Owned(t *testing.T) {
	line := []byte(`{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":7,"echo":"x","k\u00e9y":[1, 2],"plain":"a"}}`)
	var ps parseScratch
	var req Request
	var small [4]jsonwire.Member
	if err := ps.parseMessage(&req, line, small[:]); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%+v", req)
	o, origin := req.Owned(), req.Origin()
	if got := fmt.Sprintf("%+v", *o); got != want {
		t.Fatalf("Owned() = %s, want %s", got, want)
	}
	for i := range line {
		line[i] = '#'
	}
	if got := fmt.Sprintf("%+v", *o); got != want {
		t.Errorf("after the line is overwritten, Owned() = %s, want %s", got, want)
	}
	if v, ok := o.Field("k\u00e9y"); !ok || string(v) != "[1, 2]" {
		t.Errorf("owned Field(kéy) = %s, %v; want [1, 2]", v, ok)
	}
	if origin.Dest != "c1" || within(unsafe.StringData(origin.Dest), 2, line) {
		t.Errorf("Origin() = %+v: a view of the line, want a copy", origin)
	}
}

// TestNode_HeldBytesBounded: before init the node holds at most 16 MiB of
// requests; the rest are logged as dropped, and what was held is answered.
func TestNode_HeldBytesBounded(t *testing.T) {
	var in strings.Builder
	pad := strings.Repeat("x", 1<<19) // 512 KiB a request
	const sent = 40                   // 20 MiB
	for i := range sent {
		fmt.Fprintf(&in, `{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":%d,"echo":"%s"}}`+"\n", i+10, pad)
	}
	in.WriteString(initLine + "\n")
	msgs, logs := run(t, in.String(), nil)
	answered, dropped := len(msgs)-1, strings.Count(logs, "dropped unanswered")
	if answered+dropped != sent || answered < 30 || answered > 32 {
		t.Errorf("%d answered and %d dropped of %d, want about 16 MiB (31) answered and the rest logged", answered, dropped, sent)
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
		release := n.Track(nil)
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

// TestLineReader: lines come out whole and unchanged however the input is
// cut into reads, across blocks and in blocks grown for a long line; a
// line over MaxLine is reported once and skipped to its end; the last
// line needs no end of line.
func TestLineReader(t *testing.T) {
	long := strings.Repeat("l", 3*blockSize+17) // longer than a block, within MaxLine
	lines := []string{"a", "", "b\r", long, strings.Repeat("x", MaxLine), strings.Repeat("y", MaxLine+1), "c", strings.Repeat("z", MaxLine+5) + "\r", "last"}
	want := []string{"a", "", "b", long, strings.Repeat("x", MaxLine), "(too long)", "c", "(too long)", "last"}
	input := strings.Join(lines, "\n") // no final end of line
	readers := map[string]func(io.Reader) io.Reader{
		"whole":   func(r io.Reader) io.Reader { return r },
		"half":    iotest.HalfReader,
		"dataErr": iotest.DataErrReader,
		"odd":     func(r io.Reader) io.Reader { return &chopReader{r: r} },
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			r := lineReader{in: wrap(strings.NewReader(input)), blk: newBlock(blockSize)}
			var got []string
			for {
				line, _, tooLong, ok := r.next(func() {})
				if !ok {
					break
				}
				if tooLong {
					got = append(got, "(too long)")
				} else {
					got = append(got, string(line))
				}
			}
			if r.err != io.EOF {
				t.Errorf("err = %v, want EOF", r.err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d lines, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("line %d: %.20q (%d bytes), want %.20q (%d bytes)", i, got[i], len(got[i]), want[i], len(want[i]))
				}
			}
		})
	}
}

// chopReader returns reads of 1, 2, 3, ... 4096 bytes, then again.
type chopReader struct {
	r io.Reader
	n int
}

func (c *chopReader) Read(p []byte) (int, error) {
	c.n = c.n%4096 + 1
	return c.r.Read(p[:min(len(p), c.n)])
}
