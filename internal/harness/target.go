package harness

import (
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"time"
)

// TargetConfig sets up a [Target].
type TargetConfig struct {
	// Rate is how many requests the target serves a second, one at a time.
	Rate float64
	// Queue is how many requests it holds, the one in service included.
	Queue int
	// Drop: a request that finds the queue full gets no reply at all (its
	// sender learns only by its timeout), instead of error 11 at once.
	Drop bool
	// Key, if set, names a body field whose value groups requests (a relay
	// id in the payload, say), so that [Target.PerKey] can count each
	// group's sends.
	Key string
	// Late, if above 0, is the senders' timeout: an answer sent later than
	// this after its request arrived is counted late, work done for a
	// sender that had (probably) given up.
	Late time.Duration
}

// KeyStats counts the requests of one Key value.
type KeyStats struct {
	Sends  int // requests that reached the target
	OnTime int // answered ok within Late of arriving (all answers if Late is 0)
	// FirstOnTime is when the first answer on time was sent.
	FirstOnTime time.Time
}

// TargetStats counts what a Target did.
type TargetStats struct {
	Received int64 // requests that reached it
	Accepted int64 // taken into the queue (each answered after its service)
	Rejected int64 // found the queue full and got error 11
	Dropped  int64 // found the queue full and got nothing (Drop)
	Late     int64 // accepted, and answered later than Late after arriving
	// MaxQueue is the most requests the queue held at once, the one in
	// service included, measured as each request was taken in.
	MaxQueue int
}

// A Target is a capacity-limited service on the network, the server of
// the lab's overload model (herdsim) made real: it serves one request at
// a time, 1/Rate seconds each, from a FIFO queue of at most Queue; it
// answers each request with "<type>_ok" when its service ends, and one
// that finds the queue full with error 11 (temporarily unavailable) at
// once, or not at all if Drop is set. It never learns that a sender gave
// up, so a full queue can hold nothing but work nobody waits for, which
// is how retries keep an overload going. A storm stops it for a while:
// requests still queue (and are refused when it is full), and none is
// served until the storm ends.
//
// The service is computed, not slept: each request's finish time follows
// from the previous one's, so the capacity is exact however late the
// machine runs the timers that send the replies.
type Target struct {
	svc     *Service
	cfg     TargetConfig
	service time.Duration

	mu      sync.Mutex
	pending []time.Time // finish times of the requests held, in order
	last    time.Time   // finish time of the latest request taken in
	storms  []storm
	stats   TargetStats
	perKey  map[string]KeyStats
}

// storm is a time the target serves nothing: [from, to).
type storm struct{ from, to time.Time }

// AddTarget adds a capacity-limited service with the given id.
func (n *Network) AddTarget(id string, cfg TargetConfig) *Target {
	if !(cfg.Rate > 0) || cfg.Queue < 1 {
		n.t.Fatalf("harness: target %s: rate %g and queue %d, want both above 0", id, cfg.Rate, cfg.Queue)
	}
	t := &Target{cfg: cfg, service: time.Duration(float64(time.Second) / cfg.Rate), perKey: make(map[string]KeyStats)}
	t.svc = n.AddService(id, t.handle)
	return t
}

// ID returns the target's id.
func (t *Target) ID() string { return t.svc.ID() }

// Service returns the time one request takes to serve.
func (t *Target) Service() time.Duration { return t.service }

// Storm stops the target from from to to: nothing is served in that time.
// Requests that arrive meanwhile still queue, up to the bound.
func (t *Target) Storm(from, to time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.storms = append(t.storms, storm{from, to})
}

// Stats returns the counts so far.
func (t *Target) Stats() TargetStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stats
}

// PerKey returns the counts of each value of the Key field (encoded as
// JSON); requests without it are not counted.
func (t *Target) PerKey() map[string]KeyStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.perKey)
}

// handle takes a request in: it is answered when its service ends, or
// refused at once if the queue is full.
func (t *Target) handle(req *Message) (map[string]any, time.Duration) {
	key := t.key(req)
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stats.Received++
	ks := t.perKey[key]
	ks.Sends++
	defer func() {
		if key != "" {
			t.perKey[key] = ks
		}
	}()
	done := 0
	for done < len(t.pending) && !t.pending[done].After(now) {
		done++
	}
	t.pending = t.pending[done:]
	if len(t.pending) >= t.cfg.Queue {
		if t.cfg.Drop {
			t.stats.Dropped++
			return nil, 0
		}
		t.stats.Rejected++
		return map[string]any{"type": "error", "code": 11, "text": fmt.Sprintf("queue full (%d)", t.cfg.Queue)}, 0
	}
	start := now
	if t.last.After(now) {
		start = t.last
	}
	finish := t.startAt(start).Add(t.service)
	t.last = finish
	t.pending = append(t.pending, finish)
	t.stats.Accepted++
	t.stats.MaxQueue = max(t.stats.MaxQueue, len(t.pending))
	if t.cfg.Late > 0 && finish.Sub(now) > t.cfg.Late {
		t.stats.Late++
	} else {
		if ks.OnTime == 0 {
			ks.FirstOnTime = finish
		}
		ks.OnTime++
	}
	return map[string]any{"type": req.Type + "_ok"}, finish.Sub(now)
}

// startAt returns when a service that could start at s does start: after
// every storm it would overlap. t.mu is held.
func (t *Target) startAt(s time.Time) time.Time {
	for moved := true; moved; {
		moved = false
		for _, st := range t.storms {
			if s.Before(st.to) && s.Add(t.service).After(st.from) {
				s, moved = st.to, true
			}
		}
	}
	return s
}

// key returns the request's Key field, encoded, or "".
func (t *Target) key(req *Message) string {
	if t.cfg.Key == "" {
		return ""
	}
	var body map[string]json.RawMessage
	if json.Unmarshal(req.Body, &body) != nil {
		return ""
	}
	return string(body[t.cfg.Key])
}
