package node

import (
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/backoff-node/backoff-node/internal/jsonwire"
	maelstrom "github.com/jepsen-io/maelstrom/demo/go"
)

// call is a pending call: where it went and what to run on its reply.
type call struct {
	dest    string
	onReply func(*Request)
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
		it.own()
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
		n.replyError(req.origin(), maelstrom.NewRPCError(maelstrom.MalformedRequest,
			fmt.Sprintf("msg_id must be an integer, got %s", snippet(raw))))
		return
	}
	h, ok := n.handlers[req.Type]
	if !ok {
		n.replyError(req.origin(), maelstrom.NewRPCError(maelstrom.NotSupported,
			fmt.Sprintf("unknown message type %q; this node handles: %s", req.Type, n.typeList())))
		return
	}
	body, err := n.call(h, req)
	switch {
	case err != nil:
		n.replyError(req.origin(), err)
	case body != nil:
		n.send(req.origin(), body, false, nil)
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
		n.replyError(req.origin(), maelstrom.NewRPCError(maelstrom.MalformedRequest,
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
	n.id = strings.Clone(id) // id is a view of the read buffer
	n.mu.Unlock()
	n.logs.Printf("node %s initialized, cluster %v", id, ids)
	n.send(req.origin(), NewBody("init_ok"), false, nil)

	held := n.held
	n.held, n.heldBytes = nil, 0
	for _, it := range held {
		n.handle(it)
		recycle(it)
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
	id := n.nextWork
	n.nextWork++
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
