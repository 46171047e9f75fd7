// Package node runs a Maelstrom node: it reads one JSON message per line from
// stdin, dispatches requests to handlers registered by type, matches replies
// to the calls it made, and writes one JSON message per line to stdout.
//
// It keeps the shape of the maelstrom library's demo node (Handle a type,
// then Run) and its error codes, and mends what that node gets wrong for us:
//   - a malformed line, an over-long line or an unknown type never stops the
//     node: the line is logged and skipped, or answered with error 10;
//   - init is handled before the next line is read, so init_ok is written
//     before any later reply and every message carries src;
//   - one msg_id counter, from 0, numbers everything the node sends;
//   - an error body always carries its code, also when it is 0;
//   - a call's callback is removed when its caller forgets it, so a reply
//     that comes late finds nothing and leaks nothing;
//   - lines are written as Python's json.dumps writes them, in wire order.
//
// Handlers run on the reading goroutine, one message at a time, which keeps
// replies in request order and makes the common case (echo) cheap; a handler
// whose work takes time (a relay) replies later with Reply, inside a Track.
package node

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"

	maelstrom "github.com/jepsen-io/maelstrom/demo/go"
)

// MaxLine is the longest line the node reads whole (SPEC.md): 1 MiB, not
// counting the newline. Longer lines are logged and skipped.
const MaxLine = 1 << 20

// maxBacklog bounds the requests held while the node waits for init.
const maxBacklog = 1024

// A Request is a message addressed to this node: a request by type, or a
// reply to one of its calls. It is valid only while the handler or callback
// that receives it runs; copy what must outlive that.
type Request struct {
	Src, Dest string
	Type      string
	// MsgID is the body's msg_id; HasMsgID tells whether there was one.
	MsgID    int64
	HasMsgID bool
	// Members are all members of the body, in wire order, type and msg_id
	// included.
	Members []Member
	// Body is the body as it came, encoded.
	Body []byte
}

// Field returns the encoded value of body member key, if present.
func (r *Request) Field(key string) ([]byte, bool) {
	for _, m := range r.Members {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

// Origin returns where a reply to r goes.
func (r *Request) Origin() Origin {
	return Origin{Dest: r.Src, InReplyTo: r.MsgID, HasInReplyTo: r.HasMsgID}
}

// Origin is the address of a reply: the requester and the msg_id it used.
type Origin struct {
	Dest         string
	InReplyTo    int64
	HasInReplyTo bool
}

// A HandlerFunc answers a request. It returns the reply body, or an error:
// a *maelstrom.RPCError is sent with its code, any other error as code 13
// (crash). A handler that replies later itself returns (nil, nil).
type HandlerFunc func(req *Request) (*Body, error)

// Node is one Maelstrom node. Create it with New, register handlers with
// Handle, then call Run. Reply, Call, Forget and Track are safe for
// concurrent use.
type Node struct {
	in   io.Reader
	logs *log.Logger

	// Verbose logs every line received and sent, as the demo node does.
	// Off by default: at high rates logging every message costs more than
	// handling it.
	Verbose bool

	handlers map[string]HandlerFunc
	backlog  []heldLine // requests that came before init

	mu       sync.Mutex // guards id, ids, out, nextID, writeErr and the order of lines
	id       string     // written by the reading goroutine only, under mu
	ids      []string
	out      *bufio.Writer
	nextID   int64
	writeErr error

	pmu     sync.Mutex // guards pending
	pending map[int64]func(*Request)

	work sync.WaitGroup // tracked work in flight
}

// New returns a node that reads from in, writes protocol lines to out and
// logs to logs.
func New(in io.Reader, out, logs io.Writer) *Node {
	return &Node{
		in:       in,
		out:      bufio.NewWriterSize(out, 64<<10),
		logs:     log.New(logs, "", log.Lmicroseconds|log.LUTC),
		handlers: make(map[string]HandlerFunc),
		pending:  make(map[int64]func(*Request)),
	}
}

// Handle registers h for requests of type typ. It panics if typ already has a
// handler or is "init", which the node answers itself.
func (n *Node) Handle(typ string, h HandlerFunc) {
	if _, dup := n.handlers[typ]; dup || typ == "init" {
		panic(fmt.Sprintf("node: handler for %q registered twice", typ))
	}
	n.handlers[typ] = h
}

// ID returns the node's id, "" before init.
func (n *Node) ID() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.id
}

// NodeIDs returns the ids of all nodes in the cluster, as init gave them.
func (n *Node) NodeIDs() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ids
}

// Logf writes a log line to the node's log (stderr).
func (n *Node) Logf(format string, args ...any) {
	n.logs.Printf(format, args...)
}

// Run reads and handles messages until the end of input, then waits for
// tracked work to finish and returns. It returns an error only if reading
// or writing failed.
func (n *Node) Run() error {
	r := bufio.NewReaderSize(n.in, 64<<10)
	var long []byte  // assembles a line longer than r's buffer
	tooLong := false // the line being read is over MaxLine: drop it
	lineNo := 0
	for {
		if r.Buffered() == 0 {
			// About to block: whatever was answered so far goes out now.
			// Flushing per batch, not per line, is what makes echo fast.
			n.flush()
		}
		chunk, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long)+len(chunk) > MaxLine+2 { // +2: room for "\r\n"
				tooLong, long = true, nil
			} else if !tooLong {
				long = append(long, chunk...)
			}
			continue
		}
		line := chunk
		if tooLong || long != nil {
			if tooLong || len(long)+len(chunk) > MaxLine+2 {
				line = nil
				lineNo++
				n.logs.Printf("line %d: longer than %d bytes, skipped", lineNo, MaxLine)
			} else {
				line = append(long, chunk...)
			}
			tooLong, long = false, nil
		}
		if len(line) > 0 {
			lineNo++
			if line = trimEOL(line); len(line) > MaxLine {
				n.logs.Printf("line %d: longer than %d bytes, skipped", lineNo, MaxLine)
			} else {
				n.handleLine(lineNo, line)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			n.flush()
			n.work.Wait()
			return fmt.Errorf("read: %w", err)
		}
	}
	if len(n.backlog) > 0 {
		n.logs.Printf("end of input before init: %d requests never answered", len(n.backlog))
	}
	n.flush()
	n.work.Wait()
	n.flush()
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.writeErr
}

func trimEOL(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b
}

// handleLine parses one line and dispatches it. It never panics on input.
func (n *Node) handleLine(lineNo int, line []byte) {
	if n.Verbose {
		n.logs.Printf("recv %s", line)
	}
	if isBlank(line) {
		return
	}
	req, err := parseMessage(line)
	if err != nil {
		n.logs.Printf("line %d: %v, skipped: %s", lineNo, err, snippet(line))
		return
	}
	if irt, ok := req.Field("in_reply_to"); ok {
		n.dispatchReply(lineNo, req, irt)
		return
	}
	if n.id == "" && req.Type != "init" {
		if len(n.backlog) >= maxBacklog {
			n.logs.Printf("line %d: %q before init and %d already held, dropped", lineNo, req.Type, maxBacklog)
			return
		}
		n.logs.Printf("line %d: %q before init, held until init", lineNo, req.Type)
		n.backlog = append(n.backlog, heldLine{lineNo, slices.Clone(line)})
		return
	}
	if req.Type == "init" {
		n.handleInit(lineNo, req)
		return
	}
	n.dispatch(req)
}

func (n *Node) dispatch(req *Request) {
	if raw, ok := req.Field("msg_id"); ok && !req.HasMsgID {
		n.replyError(req.Origin(), maelstrom.NewRPCError(maelstrom.MalformedRequest,
			fmt.Sprintf("msg_id must be an integer, got %s", snippet(raw))))
		return
	}
	h, ok := n.handlers[req.Type]
	if !ok {
		n.replyError(req.Origin(), maelstrom.NewRPCError(maelstrom.NotSupported,
			fmt.Sprintf("unknown message type %q; this node handles: %s", req.Type, n.typeList())))
		return
	}
	body, err := n.call(h, req)
	switch {
	case err != nil:
		n.replyError(req.Origin(), err)
	case body != nil:
		n.send(req.Origin(), body, false)
	}
}

// call runs a handler. A panic, a bug the fuzzers missed, becomes a crash
// error (code 13) for that one request instead of the end of the node.
func (n *Node) call(h HandlerFunc, req *Request) (body *Body, err error) {
	defer func() {
		if p := recover(); p != nil {
			n.logs.Printf("handler for %q panicked: %v\n%s", req.Type, p, debug.Stack())
			body, err = nil, maelstrom.NewRPCError(maelstrom.Crash, fmt.Sprintf("internal error handling %q", req.Type))
		}
	}()
	return h(req)
}

func (n *Node) typeList() string {
	types := []string{"init"}
	for t := range n.handlers {
		types = append(types, t)
	}
	slices.Sort(types)
	return strings.Join(types, ", ")
}

// handleInit answers init. An init the node cannot act on (no node_id) is
// logged and skipped: a reply would have to go out without src.
func (n *Node) handleInit(lineNo int, req *Request) {
	if n.id != "" {
		n.replyError(req.Origin(), maelstrom.NewRPCError(maelstrom.MalformedRequest,
			fmt.Sprintf("init: node is already initialized as %q", n.id)))
		return
	}
	raw, _ := req.Field("node_id")
	id, ok := String(raw)
	if !ok || id == "" {
		n.logs.Printf("line %d: init without a string node_id, skipped: %s", lineNo, snippet(raw))
		return
	}
	var ids []string
	if raw, ok := req.Field("node_ids"); ok {
		var err error
		if ids, err = stringArray(raw); err != nil {
			n.logs.Printf("line %d: init: node_ids: %v, skipped", lineNo, err)
			return
		}
	}
	n.mu.Lock()
	n.id, n.ids = id, ids
	n.mu.Unlock()
	n.logs.Printf("node %s initialized, cluster %v", id, ids)
	n.send(req.Origin(), NewBody("init_ok"), false)

	backlog := n.backlog
	n.backlog = nil
	for _, h := range backlog {
		n.handleLine(h.no, h.line)
	}
}

// heldLine is a request read before init, kept with its line number.
type heldLine struct {
	no   int
	line []byte
}

func (n *Node) dispatchReply(lineNo int, req *Request, irt []byte) {
	id, ok := Int(irt)
	if !ok {
		n.logs.Printf("line %d: in_reply_to is not an integer, skipped: %s", lineNo, snippet(irt))
		return
	}
	n.pmu.Lock()
	cb := n.pending[id]
	delete(n.pending, id)
	n.pmu.Unlock()
	if cb == nil {
		n.logs.Printf("line %d: reply %q from %s to msg_id %d matches nothing pending, ignored", lineNo, req.Type, req.Src, id)
		return
	}
	cb(req)
}

// Reply sends body to origin.
func (n *Node) Reply(to Origin, body *Body) { n.send(to, body, true) }

// errorBody returns the error body for err; see HandlerFunc. The code is
// always written, also when it is 0.
func errorBody(err error) *Body {
	var rpc *maelstrom.RPCError
	if !errors.As(err, &rpc) {
		rpc = maelstrom.NewRPCError(maelstrom.Crash, err.Error())
	}
	return NewBody("error").Int("code", int64(rpc.Code)).String("text", rpc.Text)
}

func (n *Node) replyError(to Origin, err error) {
	n.send(to, errorBody(err), false)
}

// Call sends body to dest with a fresh msg_id and arranges for onReply to
// run, on the reading goroutine, when a reply to it arrives. It returns the
// msg_id. The callback runs at most once; Forget removes it.
func (n *Node) Call(dest string, body *Body, onReply func(*Request)) int64 {
	return n.sendLocked(Origin{Dest: dest}, body, true, onReply)
}

// Forget drops the callbacks of the given calls: replies to them will match
// nothing.
func (n *Node) Forget(ids ...int64) {
	n.pmu.Lock()
	for _, id := range ids {
		delete(n.pending, id)
	}
	n.pmu.Unlock()
}

// Pending returns how many calls await a reply.
func (n *Node) Pending() int {
	n.pmu.Lock()
	defer n.pmu.Unlock()
	return len(n.pending)
}

// Track marks the start of work that Run must wait for at the end of input;
// call the returned function, once, when it is done.
func (n *Node) Track() (done func()) {
	n.work.Add(1)
	return sync.OnceFunc(n.work.Done)
}

func (n *Node) send(to Origin, body *Body, flush bool) {
	n.sendLocked(to, body, flush, nil)
}

// sendLocked numbers, encodes and writes one message. The id is taken under
// the same lock that orders the output, so ids rise line by line; a call's
// callback is registered before its line can be flushed, so a reply cannot
// overtake it.
func (n *Node) sendLocked(to Origin, body *Body, flush bool, onReply func(*Request)) int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	id := n.nextID
	n.nextID++
	if onReply != nil {
		n.pmu.Lock()
		n.pending[id] = onReply
		n.pmu.Unlock()
	}
	buf := n.out.AvailableBuffer()
	buf = append(buf, `{"src": `...)
	buf = appendString(buf, n.id)
	buf = append(buf, `, "dest": `...)
	buf = appendString(buf, to.Dest)
	buf = append(buf, `, "body": {"type": `...)
	buf = appendString(buf, body.typ)
	buf = append(buf, body.fields...)
	if to.HasInReplyTo {
		buf = append(buf, `, "in_reply_to": `...)
		buf = strconv.AppendInt(buf, to.InReplyTo, 10)
	}
	buf = append(buf, `, "msg_id": `...)
	buf = strconv.AppendInt(buf, id, 10)
	buf = append(buf, "}}\n"...)
	if n.Verbose {
		n.logs.Printf("send %s", buf[:len(buf)-1])
	}
	if n.writeErr == nil {
		if _, err := n.out.Write(buf); err != nil {
			n.writeErr = fmt.Errorf("write: %w", err)
			n.logs.Printf("writing stdout failed, replies are lost from here on: %v", err)
		} else if flush {
			n.flushLocked()
		}
	}
	return id
}

func (n *Node) flush() {
	n.mu.Lock()
	n.flushLocked()
	n.mu.Unlock()
}

func (n *Node) flushLocked() {
	if n.writeErr != nil {
		return
	}
	if err := n.out.Flush(); err != nil {
		n.writeErr = fmt.Errorf("write: %w", err)
		n.logs.Printf("writing stdout failed, replies are lost from here on: %v", err)
	}
}
