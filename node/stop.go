package node

import (
	"io"
	"sync"
	"time"

	maelstrom "github.com/jepsen-io/maelstrom/demo/go"
)

// stopGrace bounds how long Stop waits for tracked work to answer after it
// was aborted, so that the node exits within a second of a SIGTERM.
const stopGrace = 500 * time.Millisecond

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
			n.replyError(it.req.origin(), maelstrom.NewRPCError(maelstrom.TemporarilyUnavailable, "node shutting down"))
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
