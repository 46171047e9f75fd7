package node

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/backoff-node/backoff-node/internal/jsonwire"
	maelstrom "github.com/jepsen-io/maelstrom/demo/go"
)

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
