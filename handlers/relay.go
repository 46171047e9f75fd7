package handlers

import (
	"fmt"
	"sync"
	"time"

	"github.com/backoff-node/backoff-node/internal/jsonwire"
	"github.com/backoff-node/backoff-node/node"
	maelstrom "github.com/jepsen-io/maelstrom/demo/go"
)

// backoffRelay validates a backoff_relay request and starts the relay; the
// relay replies when the target answers or when it gives up.
func (h *handlers) backoffRelay(req *node.Request) (*node.Body, error) {
	v, _ := field(req, "target")
	target, ok := jsonwire.String(v)
	if !ok || target == "" {
		return nil, badField("target", "a non-empty node id string", orMissing(v))
	}
	payload, err := decodePayload(req)
	if err != nil {
		return nil, err
	}
	p, err := h.decodeSchedule(req)
	if err != nil {
		return nil, err
	}
	timeout, err := timeoutField(req)
	if err != nil {
		return nil, err
	}
	r := &relay{
		node:     h.node,
		origin:   req.Origin(),
		target:   target,
		payload:  payload,
		schedule: schedule(p),
		timeout:  time.Duration(timeout * float64(time.Second)),
		done:     h.node.Track(nil),
	}
	r.start()
	return nil, nil
}

func orMissing(v []byte) []byte {
	if v == nil {
		return []byte("nothing")
	}
	return v
}

// decodePayload checks that payload is a request body (an object with a
// string type and no in_reply_to) and builds the body to send. The payload's
// own msg_id, if any, is dropped: each attempt gets a fresh one.
func decodePayload(req *node.Request) (*node.Body, error) {
	const want = "an object with a string type and no in_reply_to"
	v, _ := field(req, "payload")
	if jsonwire.Kind(v) != "object" {
		return nil, badField("payload", want, orMissing(v))
	}
	members, err := jsonwire.ParseObject(v, nil)
	if err != nil {
		return nil, badField("payload", want, v)
	}
	var typ string
	hasType := false
	for _, m := range members {
		switch m.Key {
		case "type":
			typ, hasType = jsonwire.String(m.Value)
		case "in_reply_to":
			return nil, badField("payload", want, v)
		}
	}
	if !hasType {
		return nil, badField("payload", want, v)
	}
	body := node.NewBody(typ)
	for _, m := range members {
		if m.Key != "type" && m.Key != "msg_id" {
			body.Raw(m.Key, m.Value)
		}
	}
	return body, nil
}

// A relay delivers one payload with retries. It is a small state machine
// driven by three events: a reply arrives (on the node's reading goroutine),
// an attempt times out, a backoff sleep ends (both on timer goroutines). No
// goroutine waits for it: between events it is only timers, and when it
// finishes it stops its timer and forgets its calls, so nothing of it
// outlives it, whatever arrives late.
type relay struct {
	node     *node.Node
	origin   node.Origin
	target   string
	payload  *node.Body
	schedule []int64 // ms; len is max_retries
	timeout  time.Duration
	done     func()

	mu       sync.Mutex
	attempts int     // sends so far
	current  int64   // msg_id of the latest attempt
	waiting  bool    // the latest attempt has neither failed nor been answered
	ids      []int64 // msg_ids of every attempt, to forget at the end
	slept    []int64 // delays slept in full, ms; len(slept) == attempts-1
	timer    *time.Timer
	finished bool
}

func (r *relay) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.send()
}

// send makes the next attempt. r.mu is held.
func (r *relay) send() {
	r.attempts++
	id := r.node.Call(r.target, r.payload, r.onReply)
	r.current, r.waiting = id, true
	r.ids = append(r.ids, id)
	r.timer = time.AfterFunc(r.timeout, func() { r.timedOut(id) })
}

func (r *relay) timedOut(id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished || id != r.current || !r.waiting {
		return
	}
	r.fail(fmt.Sprintf("timed out after %v", r.timeout))
}

func (r *relay) onReply(rep *node.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	if code, ok := transient(rep); ok {
		irt, _ := rep.Field("in_reply_to")
		if id, _ := jsonwire.Int(irt); id == r.current && r.waiting {
			r.timer.Stop()
			r.fail(fmt.Sprintf("failed with transient error %d (%s)", code, maelstrom.ErrorCodeText(code)))
		} else {
			r.node.Logf("%s: transient error %d to an attempt that already failed, ignored", r, code)
		}
		return
	}
	r.finish(node.NewBody("backoff_relay_ok").
		Int("attempts", int64(r.attempts)).
		Int("total_delay_ms", sum(r.slept)).
		Ints("delays_ms", r.slept).
		Raw("result", rep.Body))
}

// fail ends the current attempt and either sleeps before the next or gives
// up. r.mu is held.
func (r *relay) fail(why string) {
	r.waiting = false
	if r.attempts > len(r.schedule) {
		r.node.Logf("%s: attempt %d %s; giving up", r, r.attempts, why)
		r.finish(node.NewBody("error").
			Int("code", maelstrom.Timeout).
			String("text", fmt.Sprintf("RPC failed after %d attempts", r.attempts)).
			Int("attempts", int64(r.attempts)).
			Int("total_delay_ms", sum(r.slept)).
			Ints("delays_ms", r.slept))
		return
	}
	d := r.schedule[r.attempts-1]
	r.node.Logf("%s: attempt %d %s; retry %d in %d ms (attempt %d of %d)",
		r, r.attempts, why, r.attempts, d, r.attempts+1, len(r.schedule)+1)
	r.timer = time.AfterFunc(time.Duration(d)*time.Millisecond, r.wake)
}

// wake ends a backoff sleep: only now does its delay count as slept, since a
// reply that comes during the sleep ends the relay without it.
func (r *relay) wake() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.finished {
		r.slept = append(r.slept, r.schedule[r.attempts-1])
		r.send()
	}
}

// finish replies and releases everything the relay holds. r.mu is held.
func (r *relay) finish(reply *node.Body) {
	r.finished = true
	r.timer.Stop()
	r.node.Forget(r.ids...)
	r.node.Reply(r.origin, reply)
	r.done()
}

func (r *relay) String() string {
	return fmt.Sprintf("relay %s#%d to %s", r.origin.Dest, r.origin.InReplyTo, r.target)
}

// transient reports whether rep is an error worth retrying: codes 0
// (timeout; also when code is left out, as the maelstrom library does for
// 0), 11 (temporarily unavailable), 13 (crash) and 14 (abort).
func transient(rep *node.Request) (int, bool) {
	if rep.Type != "error" {
		return 0, false
	}
	v, ok := rep.Field("code")
	if !ok {
		return maelstrom.Timeout, true
	}
	code, ok := jsonwire.Int(v)
	if !ok {
		return 0, false
	}
	switch code {
	case maelstrom.Timeout, maelstrom.TemporarilyUnavailable, maelstrom.Crash, maelstrom.Abort:
		return int(code), true
	}
	return int(code), false
}
