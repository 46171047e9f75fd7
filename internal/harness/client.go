package harness

import (
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"
)

// A Client sends requests to nodes and collects their replies, as a
// Maelstrom client does. Client links are never faulted. A second reply to
// one request fails the test, and so does a reply that matches no request
// or carries no in_reply_to, unless the client is Lenient; then such
// replies are kept as strays.
type Client struct {
	id  string
	net *Network

	mu      sync.Mutex
	next    int64
	calls   map[int64]*Call
	lenient bool
	strays  []*Message
}

// A Call is one request awaiting its reply.
type Call struct {
	ID   int64  // the request's msg_id
	Dest string // the node it went to
	Sent time.Time

	done  chan struct{}
	reply *Message
	at    time.Time
}

// ErrNoReply is returned by Wait when no reply came in time.
var ErrNoReply = errors.New("no reply")

// ID returns the client's id.
func (c *Client) ID() string { return c.id }

// Lenient makes replies that match nothing strays instead of failures; for
// hostile input whose replies cannot all be predicted.
func (c *Client) Lenient() *Client {
	c.mu.Lock()
	c.lenient = true
	c.mu.Unlock()
	return c
}

// Call sends body to dest with the client's next msg_id (body is not
// modified) and returns at once.
func (c *Client) Call(dest string, body map[string]any) *Call {
	b := maps.Clone(body)
	return c.send(dest, func(id int64) []byte {
		b["msg_id"] = id
		line, err := encode(c.id, dest, b)
		if err != nil {
			c.net.t.Errorf("harness: %s: encoding a request: %v", c.id, err)
		}
		return line
	})
}

// Raw sends a line built by line for the client's next msg_id, as it is:
// for requests that are malformed on purpose but expect a reply to that
// msg_id.
func (c *Client) Raw(dest string, line func(msgID int64) []byte) *Call {
	return c.send(dest, line)
}

func (c *Client) send(dest string, line func(int64) []byte) *Call {
	p := c.net.peer(dest)
	if p == nil {
		// Not Fatalf: a client may be used from any goroutine.
		c.net.violate("%s: request to unknown node %q", c.id, dest)
		return &Call{Dest: dest, done: make(chan struct{})}
	}
	c.mu.Lock()
	id := c.next
	c.next++
	call := &Call{ID: id, Dest: dest, Sent: time.Now(), done: make(chan struct{})}
	c.calls[id] = call
	c.mu.Unlock()
	m := &Message{Src: c.id, Dest: dest, line: line(id)}
	if p.proc != nil {
		p.proc.push(m.line)
		return call
	}
	parsed, err := ParseLine(m.line)
	if err != nil {
		c.net.violate("%s: a service cannot take %q: %v", c.id, m.line, err)
		return call
	}
	p.svc.accept(parsed)
	return call
}

// RPC sends body to dest and waits up to timeout for the reply.
func (c *Client) RPC(dest string, body map[string]any, timeout time.Duration) (*Message, error) {
	return c.Call(dest, body).Wait(timeout)
}

func (c *Client) receive(m *Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !m.HasInReplyTo {
		c.stray(m, "carries no in_reply_to")
		return
	}
	call := c.calls[m.InReplyTo]
	switch {
	case call == nil:
		c.stray(m, "answers no request")
	case call.reply != nil:
		c.net.violate("%s got a second reply to msg_id %d: %s (first: %s)", c.id, m.InReplyTo, m, call.reply)
	default:
		call.reply, call.at = m, time.Now()
		close(call.done)
	}
}

// stray keeps m. c.mu is held.
func (c *Client) stray(m *Message, why string) {
	c.strays = append(c.strays, m)
	if !c.lenient {
		c.net.violate("reply to %s %s: %s", c.id, why, m)
	}
}

// Strays returns the replies that matched no request.
func (c *Client) Strays() []*Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Message(nil), c.strays...)
}

// Done is closed when the reply has come.
func (c *Call) Done() <-chan struct{} { return c.done }

// Reply returns the reply and when it came, or nil before Done.
func (c *Call) Reply() (*Message, time.Time) {
	select {
	case <-c.done:
		return c.reply, c.at
	default:
		return nil, time.Time{}
	}
}

// Wait waits up to timeout for the reply.
func (c *Call) Wait(timeout time.Duration) (*Message, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-c.done:
		return c.reply, nil
	case <-t.C:
		return nil, fmt.Errorf("%w to msg_id %d to %s within %v", ErrNoReply, c.ID, c.Dest, timeout)
	}
}
