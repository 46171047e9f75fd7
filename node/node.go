// Package node runs a Maelstrom node: it reads one JSON message per line from
// stdin, dispatches requests to handlers registered by type, matches replies
// to the calls it made, and writes one JSON message per line to stdout.
//
// It keeps the shape of the maelstrom library's demo node (Handle a type,
// then Run) and its error codes, and mends what that node gets wrong for us:
//   - a malformed line, an over-long line or an unknown type never stops the
//     node: the line is logged and skipped, or answered with error 10;
//   - init is handled before any later line, so init_ok is written before
//     any later reply and every message carries src;
//   - one msg_id counter, from 0, numbers everything the node sends;
//   - an error body always carries its code, also when it is 0;
//   - a reply counts only if it comes from the node the call went to, and a
//     call's callback is removed when its caller forgets it, so a reply that
//     comes late or forged finds nothing and leaks nothing;
//   - lines are written as Python's json.dumps writes them, in wire order;
//   - a stop (Stop, on SIGTERM) answers every request in flight instead of
//     dropping it, and logging is best effort: a broken log never stops it.
//
// # Reading, and replies first
//
// A reader goroutine reads and parses lines into a queue; the handling
// goroutine takes replies to the node's calls ahead of requests it has not
// handled yet. Under a burst of requests that each make a call (a relay),
// the replies would otherwise wait behind the burst, their calls would time
// out, and the node would retry into its own backlog. Requests are handled
// in the order they came, each one at a time, on the handling goroutine,
// which keeps replies to them in request order and makes echo cheap; a
// handler whose work takes time (a relay) replies later with Reply, inside
// a Track.
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
	"time"

	"github.com/backoff-node/backoff-node/internal/jsonwire"
	maelstrom "github.com/jepsen-io/maelstrom/demo/go"
)

// MaxLine is the longest line the node reads whole (docs/SPEC.md): 1 MiB,
// not counting the newline. Longer lines are logged and skipped.
const MaxLine = 1 << 20

// Bounds on what the node holds. The queue bound lets a burst of tens of
// thousands of ordinary requests be read at once (so the replies behind
// them are read too), while a flood cannot take unbounded memory: past it
// the reader waits until the handler catches up, and the sender's pipe
// fills.
const (
	maxHeldBytes  = 16 << 20 // requests held until init
	maxQueueBytes = 64 << 20 // lines read but not yet handled
)

// stopGrace bounds how long Stop waits for tracked work to answer after it
// was aborted, so that the node exits within a second of a SIGTERM.
const stopGrace = 500 * time.Millisecond

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
	Members []jsonwire.Member
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
// (crash). A handler that replies later itself returns (nil, nil). A body
// it returns belongs to the node from then on: the node reuses it.
type HandlerFunc func(req *Request) (*Body, error)

// Node is one Maelstrom node. Create it with New, register handlers with
// Handle, then call Run. Reply, Call, Forget, Track and Stop are safe for
// concurrent use.
type Node struct {
	in      io.Reader
	logs    *log.Logger
	logSink *batchWriter // logs' output, batched from Stop on

	// Verbose logs every line received and sent, as the demo node does.
	// Off by default: at high rates logging every message costs more than
	// handling it.
	Verbose bool

	handlers  map[string]HandlerFunc
	held      []*item // requests that came before init
	heldBytes int

	mu       sync.Mutex // guards id, out, nextID, writeErr and the order of lines
	id       string     // written by the handling goroutine only, under mu
	out      *bufio.Writer
	nextID   int64
	writeErr error

	pmu     sync.Mutex // guards pending, aborts and nextWork
	pending map[int64]call
	aborts  map[int64]func()
	nextWk  int64
	work    sync.WaitGroup // tracked work in flight

	q        queue
	slab     slab         // the reader's
	scratch  parseScratch // the reader's
	stopOnce sync.Once
	stopped  chan struct{} // closed by Stop
}

// call is a pending call: where it went and what to run on its reply.
type call struct {
	dest    string
	onReply func(*Request)
}

// New returns a node that reads from in, writes protocol lines to out and
// logs to logs. Writing to logs is best effort: its errors are ignored.
func New(in io.Reader, out, logs io.Writer) *Node {
	sink := &batchWriter{w: logs}
	n := &Node{
		in:       in,
		out:      bufio.NewWriterSize(out, 64<<10),
		logs:     log.New(sink, "", log.Lmicroseconds|log.LUTC),
		logSink:  sink,
		handlers: make(map[string]HandlerFunc),
		pending:  make(map[int64]call),
		aborts:   make(map[int64]func()),
		stopped:  make(chan struct{}),
	}
	n.q.init()
	return n
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

// Logf writes a log line to the node's log (stderr).
func (n *Node) Logf(format string, args ...any) {
	n.logs.Printf(format, args...)
}

// Run reads and handles messages until the end of input, then waits for
// tracked work to finish and returns; or, once Stop is called, stops
// reading, answers what it holds and returns. It returns an error only if
// reading or writing failed.
func (n *Node) Run() error {
	go n.read()
	var readErr error
	for {
		it, err, ok := n.q.next(n.flush)
		if !ok {
			readErr = err
			break
		}
		if !n.handle(it) {
			recycle(it)
		}
	}
	if len(n.held) > 0 {
		n.logs.Printf("input ended before init: %d held requests never answered (no node id to answer from)", len(n.held))
		n.held = nil
	}
	n.flush()
	n.finishWork()
	n.flush()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.writeErr != nil {
		return n.writeErr
	}
	if readErr != nil && !n.isStopped() {
		return fmt.Errorf("read: %w", readErr)
	}
	return nil
}

// Stop makes Run return promptly: the node stops reading, answers every
// request it has read but not handled with error 11 (node shutting down),
// aborts every tracked work (which answers, see Track), waits for it up to
// half a second, and flushes. It is safe to call more than once and from
// any goroutine. The reader goroutine stays in its read of the input until
// the input ends or the process exits, which is what main does next.
func (n *Node) Stop() {
	n.stopOnce.Do(func() {
		close(n.stopped)
		n.q.stop()
	})
}

func (n *Node) isStopped() bool {
	select {
	case <-n.stopped:
		return true
	default:
		return false
	}
}

// finishWork waits for tracked work: all of it at the end of input, unless
// Stop comes first; after Stop, it answers unhandled requests, aborts the
// work and waits a bounded time.
func (n *Node) finishWork() {
	idle := make(chan struct{})
	go func() { n.work.Wait(); close(idle) }()
	select {
	case <-idle:
		if !n.isStopped() {
			return
		}
	case <-n.stopped:
	}
	// From here on, answers and log lines go out in batches: a flush and
	// a write to stderr each would cost more than the second Stop has
	// with a hundred thousand relays in flight.
	n.logSink.batch()
	defer n.logSink.flush()
	unhandled := n.q.drain()
	n.pmu.Lock()
	aborts := make([]func(), 0, len(n.aborts))
	for _, a := range n.aborts {
		aborts = append(aborts, a)
	}
	n.pmu.Unlock()
	n.logs.Printf("stop: answering %d lines read but not handled and %d works in flight with error 11", len(unhandled), len(aborts))
	for _, it := range unhandled {
		if it.req != nil && it.req.HasMsgID && !it.reply && n.id != "" {
			n.replyError(it.req.Origin(), maelstrom.NewRPCError(maelstrom.TemporarilyUnavailable, "node shutting down"))
		}
	}
	for _, a := range aborts {
		a()
	}
	select {
	case <-idle:
	case <-time.After(stopGrace):
		n.logs.Printf("stop: tracked work still running after %v, not waited for", stopGrace)
	}
}

// read is the reader goroutine: it splits the input into lines, parses
// them and queues them for the handling goroutine.
func (n *Node) read() {
	r := bufio.NewReaderSize(n.in, 64<<10)
	var long []byte  // assembles a line longer than r's buffer
	tooLong := false // the line being read is over MaxLine: drop it
	lineNo := 0
	for {
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
			} else if !isBlank(line) {
				if !n.q.put(n.parse(lineNo, line)) {
					return // stopped
				}
			}
		}
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			n.q.close(err)
			return
		}
	}
}

// An item is a line read and parsed, waiting to be handled.
type item struct {
	no    int
	line  []byte             // a copy, owned by the item
	req   *Request           // &msg if the line is a message, else nil
	err   error              // why not
	reply bool               // a reply to a call of this node
	msg   Request            // in the item, to save an allocation a line
	small [4]jsonwire.Member // msg.Members when the body has few, for the same reason
}

// size is what an item costs in memory: its line and, measured, about
// 640 bytes for the item with its parsed request.
func (it *item) size() int { return len(it.line) + 640 }

// parse copies and parses one line off the reader's buffer.
func (n *Node) parse(lineNo int, line []byte) *item {
	it := items.Get().(*item)
	it.no, it.line = lineNo, n.slab.copy(line)
	if it.err = n.scratch.parseMessage(&it.msg, it.line, it.small[:]); it.err == nil {
		it.req = &it.msg
		_, it.reply = it.req.Field("in_reply_to")
	}
	return it
}

// items recycles the items the handling side is done with: most lines
// then cost no allocation.
var items = sync.Pool{New: func() any { return new(item) }}

// recycle clears it, so that it keeps nothing alive, and returns it to the
// pool.
func recycle(it *item) {
	*it = item{}
	items.Put(it)
}

// A slab hands out copies of lines from larger blocks, one allocation per
// block instead of one per line. A block stays alive while any line cut
// from it does.
type slab []byte

const slabSize = 64 << 10

func (s *slab) copy(line []byte) []byte {
	if len(line) > slabSize/4 {
		return slices.Clone(line)
	}
	if cap(*s)-len(*s) < len(line) {
		*s = make([]byte, 0, slabSize)
	}
	start := len(*s)
	*s = append(*s, line...)
	return (*s)[start:len(*s):len(*s)]
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

// handle handles one parsed line. It never panics on input. It reports
// whether it kept the item (a request held until init); if not, the item
// may be reused, which the Request's documented lifetime allows.
func (n *Node) handle(it *item) (kept bool) {
	if n.Verbose {
		n.logs.Printf("recv %s", it.line)
	}
	if it.err != nil {
		n.logs.Printf("line %d: %v, skipped: %s", it.no, it.err, snippet(it.line))
		return false
	}
	req := it.req
	if it.reply {
		n.dispatchReply(it.no, req)
		return false
	}
	if n.id == "" && req.Type != "init" {
		if n.heldBytes+it.size() > maxHeldBytes {
			n.logs.Printf("line %d: %q before init and %d bytes already held, dropped unanswered: %s",
				it.no, req.Type, n.heldBytes, snippet(it.line))
			return false
		}
		n.logs.Printf("line %d: %q before init, held until init", it.no, req.Type)
		n.held = append(n.held, it)
		n.heldBytes += it.size()
		return true
	}
	if req.Type == "init" {
		n.handleInit(it.no, req)
		return false
	}
	n.dispatch(req)
	return false
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
		n.send(req.Origin(), body, false, nil)
		body.recycle()
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
	id, ok := jsonwire.String(raw)
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
	n.id = id
	n.mu.Unlock()
	n.logs.Printf("node %s initialized, cluster %v", id, ids)
	n.send(req.Origin(), NewBody("init_ok"), false, nil)

	held := n.held
	n.held, n.heldBytes = nil, 0
	for _, it := range held {
		n.handle(it)
	}
}

// dispatchReply runs the callback of the call a reply answers, if the reply
// comes from the node that call went to. A reply from anyone else, forged
// or misrouted, is logged and ignored, and the call stays pending, so the
// genuine reply still counts.
func (n *Node) dispatchReply(lineNo int, req *Request) {
	irt, _ := req.Field("in_reply_to")
	id, ok := jsonwire.Int(irt)
	if !ok {
		n.logs.Printf("line %d: in_reply_to is not an integer, skipped: %s", lineNo, snippet(irt))
		return
	}
	n.pmu.Lock()
	c, found := n.pending[id]
	if found && c.dest == req.Src {
		delete(n.pending, id)
	}
	n.pmu.Unlock()
	switch {
	case !found:
		n.logs.Printf("line %d: reply %q from %s to msg_id %d matches nothing pending, ignored", lineNo, req.Type, req.Src, id)
	case c.dest != req.Src:
		n.logs.Printf("line %d: reply %q to msg_id %d comes from %s, but that call went to %s: ignored", lineNo, req.Type, id, req.Src, c.dest)
	default:
		c.onReply(req)
	}
}

// Reply sends body to origin and flushes; once the node is stopping, the
// flush waits for Run's, so that the answers go out in batches. The body
// belongs to the node from then on, as a handler's does: it is reused.
func (n *Node) Reply(to Origin, body *Body) {
	n.send(to, body, !n.isStopped(), nil)
	body.recycle()
}

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
	n.send(to, errorBody(err), false, nil)
}

// Call sends body to dest with a fresh msg_id and arranges for onReply to
// run, on the handling goroutine, when a reply from dest to it arrives. It
// returns the msg_id. The callback runs at most once; Forget removes it.
func (n *Node) Call(dest string, body *Body, onReply func(*Request)) int64 {
	return n.send(Origin{Dest: dest}, body, true, onReply)
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
// call the returned function, once, when it is done. If the node is
// stopped first (Stop), it calls abort, once, from the goroutine that runs
// Run: the work must then answer whoever waits for it and call done
// promptly. abort may be nil for work that needs no warning.
func (n *Node) Track(abort func()) (done func()) {
	n.work.Add(1)
	n.pmu.Lock()
	id := n.nextWk
	n.nextWk++
	if abort != nil {
		n.aborts[id] = sync.OnceFunc(abort)
	}
	n.pmu.Unlock()
	return sync.OnceFunc(func() {
		n.pmu.Lock()
		delete(n.aborts, id)
		n.pmu.Unlock()
		n.work.Done()
	})
}

// send numbers, encodes and writes one message, and flushes if asked. The
// id is taken under the same lock that orders the output, so ids rise line
// by line; a call's callback is registered before its line can be flushed,
// so a reply cannot overtake it.
func (n *Node) send(to Origin, body *Body, flush bool, onReply func(*Request)) int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	id := n.nextID
	n.nextID++
	if onReply != nil {
		n.pmu.Lock()
		n.pending[id] = call{dest: to.Dest, onReply: onReply}
		n.pmu.Unlock()
	}
	// The head and tail are built in the writer's free space; the fields,
	// which may be long (a schedule of 10,000 delays), are written as they
	// are rather than copied there first.
	head := n.out.AvailableBuffer()
	head = append(head, `{"src": `...)
	head = jsonwire.AppendString(head, n.id)
	head = append(head, `, "dest": `...)
	head = jsonwire.AppendString(head, to.Dest)
	head = append(head, `, "body": {"type": `...)
	head = jsonwire.AppendString(head, body.typ)
	n.write(head)
	n.write(body.fields)
	tail := n.out.AvailableBuffer()
	if to.HasInReplyTo {
		tail = append(tail, `, "in_reply_to": `...)
		tail = strconv.AppendInt(tail, to.InReplyTo, 10)
	}
	tail = append(tail, `, "msg_id": `...)
	tail = strconv.AppendInt(tail, id, 10)
	tail = append(tail, "}}\n"...)
	n.write(tail)
	if n.Verbose {
		n.logs.Printf("send to %s: %s ... msg_id %d", to.Dest, body.typ, id)
	}
	if flush {
		n.flushLocked()
	}
	return id
}

// write writes part of a line. n.mu is held.
func (n *Node) write(b []byte) {
	if n.writeErr != nil {
		return
	}
	if _, err := n.out.Write(b); err != nil {
		n.writeErr = fmt.Errorf("write: %w", err)
		n.logs.Printf("writing stdout failed, replies are lost from here on: %v", err)
	}
}

func (n *Node) flush() {
	n.mu.Lock()
	n.flushLocked()
	n.mu.Unlock()
}

// flushLocked writes out what is buffered. n.mu is held.
func (n *Node) flushLocked() {
	if n.writeErr != nil || n.out.Buffered() == 0 {
		return
	}
	if err := n.out.Flush(); err != nil {
		n.writeErr = fmt.Errorf("write: %w", err)
		n.logs.Printf("writing stdout failed, replies are lost from here on: %v", err)
	}
}

// A batchWriter passes writes through until batch is called; from then on
// it gathers them and writes them 64 KiB at a time, and on flush. Errors
// are ignored: it carries the log, which is best effort.
type batchWriter struct {
	mu       sync.Mutex
	w        io.Writer
	batching bool
	buf      []byte
}

func (b *batchWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.batching {
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) >= 64<<10 {
		b.flushLocked()
	}
	return len(p), nil
}

func (b *batchWriter) batch() {
	b.mu.Lock()
	b.batching = true
	b.mu.Unlock()
}

func (b *batchWriter) flush() {
	b.mu.Lock()
	b.flushLocked()
	b.mu.Unlock()
}

func (b *batchWriter) flushLocked() {
	if len(b.buf) > 0 {
		_, _ = b.w.Write(b.buf)
		b.buf = b.buf[:0]
	}
}
