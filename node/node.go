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
	"fmt"
	"io"
	"log"
	"sync"
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

// A HandlerFunc answers a request. It returns the reply body, or an error:
// a *maelstrom.RPCError is sent with its code, any other error as code 13
// (crash). A handler that replies later itself returns (nil, nil). A body
// it returns belongs to the node from then on: the node reuses it.
type HandlerFunc func(req *Request) (*Body, error)

// Node is one Maelstrom node. Create it with New, register handlers with
// Handle, then call Run. Reply, Call, Forget, Track and Stop are safe for
// concurrent use.
//
// Who owns what. Three kinds of goroutine touch a Node: the reader (read),
// the handling goroutine (the one in Run: handlers, reply callbacks,
// aborts), and any other (a relay's timers, main's signal handler).
//   - in and scratch are the reader's alone; handlers and Verbose
//     are set before Run and only read after.
//   - held and heldBytes are the handling goroutine's alone; so is reading
//     id, which only it writes (under mu, for ID and send on others).
//   - mu guards id, out, nextID and writeErr, and orders the lines: a line
//     is numbered and written under it. pmu guards pending, aborts and
//     nextWork. q has its own lock; logSink too, taken last.
//
// Lock order: mu before pmu (send registers a call's callback under both,
// so that its reply cannot come before it is registered). Users of the
// node may hold their own lock when they call it (a relay holds its mu
// around Call, Forget and Reply), so the node never calls out, to a
// callback or an abort, while it holds mu or pmu.
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

	mu       sync.Mutex // guards id (writes), out, nextID, writeErr and the order of lines
	id       string
	out      *bufio.Writer
	nextID   int64
	writeErr error

	pmu      sync.Mutex // guards pending, aborts and nextWork
	pending  map[int64]call
	aborts   map[int64]func()
	nextWork int64
	work     sync.WaitGroup // tracked work in flight

	q        queue
	scratch  parseScratch // the reader's
	stopOnce sync.Once
	stopped  chan struct{} // closed by Stop
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
