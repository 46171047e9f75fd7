package handlers

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/internal/contract"
	"github.com/backoff-node/backoff-node/internal/jsonwire"
	"github.com/backoff-node/backoff-node/node"
	maelstrom "github.com/jepsen-io/maelstrom/demo/go"
)

// recentAttempts is how many of a relay's latest attempts stay open for a
// late reply. Older ones are forgotten as new ones go out, so that a relay
// holds O(1) memory however many retries it makes; a reply that comes 64
// attempts late is logged as matching nothing.
const recentAttempts = 64

// backoffRelay validates a backoff_relay request and starts the relay; the
// relay replies when the target answers or when it gives up.
func (h *handlers) backoffRelay(req *node.Request) (*node.Body, error) {
	rr, err := h.decodeRelay(req)
	if err != nil {
		return nil, err
	}
	// The request's strings share the memory of its line (see node.Request);
	// a relay outlives it, so it keeps copies.
	origin := req.Origin()
	origin.Dest = strings.Clone(origin.Dest)
	rr.target = strings.Clone(rr.target)
	rr.strategy = strings.Clone(rr.strategy)
	rr.payload.typ = strings.Clone(rr.payload.typ)
	r := &relay{
		node:    h.node,
		origin:  origin,
		req:     rr,
		timeout: backoff.Duration(rr.timeout),
		budget:  h.budgets.get(rr.target, rr.budget),
		cursor:  rr.cursor(),
	}
	if !rr.payload.nested() {
		r.body = rr.payload.body(0) // the same for every attempt, copied
		r.req.payload.members = nil // they point into the request's line
	}
	r.done = h.node.Track(r.abort)
	r.start()
	return nil, nil
}

// A relay delivers one payload with retries. It is a small state machine
// driven by four events: a reply arrives (on the node's handling
// goroutine), an attempt times out, a backoff sleep ends (both on timer
// goroutines), the node stops (abort). No goroutine waits for it: between
// events it is only a timer, and when it finishes it stops its timer and
// forgets its calls, so nothing of it outlives it, whatever arrives late.
//
// Its memory does not grow with max_retries: the schedule is a cursor, the
// delays slept are a prefix of it (a count and a sum; the list is
// recomputed for the reply), and only the latest attempts stay open.
type relay struct {
	node    *node.Node
	origin  node.Origin
	req     relayReq
	body    *node.Body // every attempt's body, unless the payload is nested
	timeout time.Duration
	budget  *backoff.Budget // nil: no budget
	done    func()

	mu       sync.Mutex
	cursor   backoff.Cursor // at the delay after the ones slept
	started  time.Time
	deadline time.Time // zero: no max_elapsed
	attempts int       // sends so far
	current  int64     // msg_id of the latest attempt
	waiting  bool      // the latest attempt has neither failed nor been answered
	ids      [recentAttempts]int64
	slept    int   // delays slept in full; slept == attempts-1 while retrying
	sleptMS  int64 // their sum, ms
	next     int64 // the delay being slept, ms
	refused  bool  // the budget refused a retry: only late replies can help now
	timer    *time.Timer
	finished bool
}

func (r *relay) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = time.Now()
	if r.req.maxElapsed > 0 {
		r.deadline = r.started.Add(backoff.Duration(r.req.maxElapsed))
	}
	if r.budget != nil {
		r.budget.Request(r.started)
	}
	r.send()
}

// send makes the next attempt. r.mu is held.
func (r *relay) send() {
	wait := r.timeout
	if !r.deadline.IsZero() {
		wait = min(wait, time.Until(r.deadline))
		if wait <= 0 {
			r.giveUp(maelstrom.Timeout, fmt.Sprintf("RPC failed after %d attempts: max_elapsed %s s reached", r.attempts, num(r.req.maxElapsed)))
			return
		}
	}
	body := r.body
	if body == nil {
		body = r.req.payload.body(wait.Seconds())
	}
	if r.attempts >= recentAttempts {
		r.node.Forget(r.ids[r.attempts%recentAttempts])
	}
	id := r.node.Call(r.req.target, body, r.onReply)
	r.ids[r.attempts%recentAttempts] = id
	r.attempts++
	r.current, r.waiting = id, true
	r.timer = time.AfterFunc(wait, func() { r.timedOut(id, wait) })
}

func (r *relay) timedOut(id int64, wait time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished || id != r.current || !r.waiting {
		return
	}
	r.fail(fmt.Sprintf("timed out after %v", wait))
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
	r.finish(r.report(node.NewBody("backoff_relay_ok")).Raw("result", rep.Body))
}

// fail ends the current attempt and sleeps before the next, or waits for
// late replies if the budget refuses the retry, or gives up. r.mu is held.
func (r *relay) fail(why string) {
	r.waiting = false
	if r.attempts > r.req.retries {
		r.node.Logf("%s: attempt %d %s; giving up", r, r.attempts, why)
		r.giveUp(maelstrom.Timeout, fmt.Sprintf("RPC failed after %d attempts", r.attempts))
		return
	}
	// The relay sleeps the delay in whole ms, as it reports it.
	d := contract.Millis(r.cursor.Next())
	sleep := time.Duration(d) * time.Millisecond
	now := time.Now()
	if !r.deadline.IsZero() && !now.Add(sleep).Before(r.deadline) {
		r.node.Logf("%s: attempt %d %s; max_elapsed %s s leaves no time for retry %d, giving up", r, r.attempts, why, num(r.req.maxElapsed), r.attempts)
		r.giveUp(maelstrom.Timeout, fmt.Sprintf("RPC failed after %d attempts: max_elapsed %s s reached", r.attempts, num(r.req.maxElapsed)))
		return
	}
	if r.budget != nil && !r.budget.AllowRetry(now) {
		r.refused = true
		rest := r.rest(sleep)
		r.node.Logf("%s: attempt %d %s; retry %d refused by the retry budget for %s: no new attempt, late replies accepted for %v",
			r, r.attempts, why, r.attempts, r.req.target, rest)
		r.timer = time.AfterFunc(rest, r.budgetGiveUp)
		return
	}
	r.next = d
	r.node.Logf("%s: attempt %d %s; retry %d in %d ms (attempt %d of %d)",
		r, r.attempts, why, r.attempts, d, r.attempts+1, r.req.retries+1)
	r.timer = time.AfterFunc(sleep, r.wake)
}

// rest is how long the schedule would still have run from now had the
// budget allowed it: the sleep about to begin, the later delays, and every
// remaining attempt's timeout, but not past max_elapsed. r.mu is held.
func (r *relay) rest(sleep time.Duration) time.Duration {
	left := r.req.retries + 1 - r.attempts // attempts the schedule still had
	c := r.cursor
	total := sleep + time.Duration(left)*r.timeout
	for range left - 1 {
		total += time.Duration(contract.Millis(c.Next())) * time.Millisecond
	}
	if !r.deadline.IsZero() {
		total = min(total, time.Until(r.deadline))
	}
	return total
}

func (r *relay) budgetGiveUp() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	r.node.Logf("%s: no late reply; giving up", r)
	r.giveUp(maelstrom.Timeout, fmt.Sprintf("RPC failed after %d attempts: the retry budget for %s refused retry %d (retries are held to %s of first attempts plus %s a second)",
		r.attempts, r.req.target, r.attempts, num(r.budget.Ratio()), num(r.req.budget.floor)))
}

// wake ends a backoff sleep: only now does its delay count as slept, since a
// reply that comes during the sleep ends the relay without it.
func (r *relay) wake() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.finished {
		r.slept++
		r.sleptMS += r.next
		r.send()
	}
}

// abort answers a relay in flight when the node stops.
func (r *relay) abort() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.finished { // no log line each: the node logs how many it stops
		r.giveUp(maelstrom.TemporarilyUnavailable, "node shutting down")
	}
}

// giveUp answers with an error of the given code, with the relay's
// report. r.mu is held.
func (r *relay) giveUp(code int, text string) {
	r.finish(r.report(node.NewBody("error").Int("code", int64(code)).String("text", text)))
}

// report adds attempts, total_delay_ms and delays_ms to b. The delays slept
// are the schedule's first r.slept, recomputed here. r.mu is held.
func (r *relay) report(b *node.Body) *node.Body {
	c := r.req.cursor()
	return b.Int("attempts", int64(r.attempts)).
		Int("total_delay_ms", r.sleptMS).
		IntsN("delays_ms", r.slept, func() int64 { return contract.Millis(c.Next()) })
}

// finish replies and releases everything the relay holds. r.mu is held.
func (r *relay) finish(reply *node.Body) {
	r.finished = true
	if r.timer != nil {
		r.timer.Stop()
	}
	r.node.Forget(r.ids[:min(r.attempts, recentAttempts)]...)
	r.node.Reply(r.origin, reply)
	r.done()
}

func (r *relay) String() string {
	return fmt.Sprintf("relay %s#%d to %s", r.origin.Dest, r.origin.InReplyTo, r.req.target)
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

// maxBudgets bounds the budgets a node keeps: one per target and tuning.
// Past it they are all forgotten and start afresh, so that requests naming
// ever new targets cannot grow the node's memory.
const maxBudgets = 4096

// budgets are the node's retry budgets, one per target and per tuning
// (retry_budget), shared by every relay to that target with that tuning.
type budgets struct {
	mu sync.Mutex
	m  map[budgetKey]*backoff.Budget
}

type budgetKey struct {
	target       string
	ratio, floor float64
}

// get returns the budget a relay to target with choice c spends, or nil if
// c turns budgets off.
func (b *budgets) get(target string, c budgetChoice) *backoff.Budget {
	if c.off {
		return nil
	}
	k := budgetKey{target, c.ratio, c.floor}
	b.mu.Lock()
	defer b.mu.Unlock()
	if bud, ok := b.m[k]; ok {
		return bud
	}
	if b.m == nil || len(b.m) >= maxBudgets {
		b.m = make(map[budgetKey]*backoff.Budget)
	}
	bud := backoff.NewBudget(c.ratio, c.floor, backoff.DefaultBudgetWindow)
	b.m[k] = bud
	return bud
}
