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
	// a relay outlives it, so it keeps copies (the payload is one already).
	origin := req.Origin()
	origin.Dest = strings.Clone(origin.Dest)
	r := &relay{
		h:          h,
		origin:     origin,
		target:     strings.Clone(rr.target),
		payload:    rr.payload,
		retries:    rr.retries,
		timeout:    backoff.Duration(rr.timeout),
		maxElapsed: rr.maxElapsed,
	}
	r.cursor = rr.cursor()
	r.done = h.node.Track(r.abort)
	r.start(rr.policy)
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
// recomputed for the reply), and only the latest attempts stay open. A
// pending relay that has made one attempt holds no list of attempts at all
// (BenchmarkPendingRelay measures what it holds).
type relay struct {
	h          *handlers
	origin     node.Origin
	target     string
	payload    payload
	retries    int // max_retries
	timeout    time.Duration
	maxElapsed float64 // seconds; 0: no limit
	ctl        *held   // the control its attempts ask; nil: none
	done       func()

	mu       sync.Mutex
	cursor   backoff.Cursor // at the delay after the ones slept
	arrived  time.Time      // when the request came
	deadline time.Time      // zero: no max_elapsed
	attempts int            // sends so far
	current  int64          // msg_id of the latest attempt
	ids      *[recentAttempts]int64
	ticket   backoff.Ticket // the control's grant for the latest attempt, until handed back
	slept    int            // delays slept in full; slept == attempts-1 while retrying
	sleptMS  int64          // their sum, ms
	next     int64          // the delay being slept, ms
	timer    *time.Timer
	waiting  bool // the latest attempt has neither failed nor been answered
	granted  bool // ticket is open: not yet handed back to the control
	finished bool
}

// schedule returns a cursor at the start of the relay's schedule.
func (r *relay) schedule() backoff.Cursor {
	return backoff.Cursor{Strategy: r.cursor.Strategy, Key: r.cursor.Key}
}

// start makes the first attempt, asking the control of choice c.
func (r *relay) start(c policyChoice) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	r.arrived = now
	if r.maxElapsed > 0 {
		r.deadline = now.Add(backoff.Duration(r.maxElapsed))
	}
	if !r.deadline.IsZero() && !now.Before(r.deadline) {
		// Nothing will be sent, so nothing is asked of (or credited to) a
		// control: a relay that sends nothing cannot earn retries for others.
		r.giveUp(maelstrom.Timeout, r.elapsedText())
		return
	}
	r.ctl = r.h.budgets.acquire(now, r.target, c)
	if r.ctl == nil {
		r.send(now)
		return
	}
	r.ticket = r.ctl.ctl.Allow(now, 1, 0)
	if !r.ticket.OK { // a breaker, open: fail fast, sending nothing
		r.h.node.Logf("%s: attempt 1 refused by %s; giving up", r, r.ctl.name(r.target))
		r.giveUp(maelstrom.Timeout, fmt.Sprintf("RPC failed after 0 attempts: %s", r.ctl.refusal(r.target, 0)))
		return
	}
	r.granted = true
	if w := r.ticket.Wait; w > 0 { // a rate limiter: the first attempt waits its turn
		if !r.waitFits(now, w) {
			r.handBack(0) // unsent: the control takes back its reservation
			r.h.node.Logf("%s: %s asked attempt 1 to wait %s s, past %s; giving up", r, r.ctl.name(r.target), ms(w), r.limitText())
			r.giveUp(maelstrom.Timeout, fmt.Sprintf("RPC failed after 0 attempts: %s asked attempt 1 to wait %s s, past %s",
				r.ctl.name(r.target), ms(w), r.limitText()))
			return
		}
		r.timer = time.AfterFunc(w, r.sendLate)
		return
	}
	r.send(now)
}

// waitFits reports whether an attempt that a control makes wait w from now
// still starts within the relay's limit: before its max_elapsed deadline,
// or, without one, within the length of its whole schedule from its
// arrival (every attempt timing out, every delay slept), the longest it
// would have taken with no control. A wait past that is of no use to the
// client, who expects the answer by then, and a limiter that paces fewer
// sends than relays arrive would otherwise queue relays without bound.
// r.mu is held.
func (r *relay) waitFits(now time.Time, w time.Duration) bool {
	start := now.Add(w)
	if !r.deadline.IsZero() {
		return start.Before(r.deadline)
	}
	need := start.Sub(r.arrived)
	total := time.Duration(r.retries+1) * r.timeout
	c := r.schedule()
	for i := 0; i < r.retries && total < need; i++ {
		total += time.Duration(contract.Millis(c.Next())) * time.Millisecond
	}
	return need <= total
}

// limitText names the limit waitFits holds a wait to.
func (r *relay) limitText() string {
	if !r.deadline.IsZero() {
		return fmt.Sprintf("max_elapsed %s s", num(r.maxElapsed))
	}
	return "the relay's whole schedule"
}

// ms formats d in seconds, to the millisecond.
func ms(d time.Duration) string { return num(float64(d.Milliseconds()) / 1000) }

// sendLate sends the first attempt once a control's wait is over.
func (r *relay) sendLate() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.finished {
		r.send(time.Now())
	}
}

func (r *relay) elapsedText() string {
	return fmt.Sprintf("RPC failed after %d attempts: max_elapsed %s s reached", r.attempts, num(r.maxElapsed))
}

// send makes the next attempt at time now. r.mu is held.
func (r *relay) send(now time.Time) {
	wait := r.timeout
	if !r.deadline.IsZero() {
		wait = min(wait, r.deadline.Sub(now))
		if wait <= 0 {
			r.handBack(0)
			r.giveUp(maelstrom.Timeout, r.elapsedText())
			return
		}
	}
	id := r.h.node.Call(r.target, r.payload.body(wait.Seconds()), r.onReply)
	if r.attempts > 0 {
		if r.ids == nil {
			r.ids = new([recentAttempts]int64)
			r.ids[0] = r.current
		}
		if r.attempts >= recentAttempts {
			r.h.node.Forget(r.ids[r.attempts%recentAttempts])
		}
		r.ids[r.attempts%recentAttempts] = id
	}
	r.attempts++
	r.current, r.waiting = id, true
	r.timer = time.AfterFunc(wait, func() { r.timedOut(id, wait) })
}

// handBack returns the open ticket to the control with how its attempt
// ended, or, if the attempt was never sent (the relay ended first), with
// the zero Outcome, so that the control returns what it took. r.mu is held.
func (r *relay) handBack(o backoff.Outcome) {
	if r.granted {
		if !r.waiting {
			o = 0
		}
		r.granted = false
		r.ctl.ctl.Done(time.Now(), r.ticket, o)
	}
}

func (r *relay) timedOut(id int64, wait time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished || id != r.current || !r.waiting {
		return
	}
	r.fail(backoff.Timeout, fmt.Sprintf("timed out after %v", wait))
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
			o := backoff.Failure
			if code == maelstrom.TemporarilyUnavailable {
				o = backoff.Throttled
			}
			r.fail(o, fmt.Sprintf("failed with transient error %d (%s)", code, maelstrom.ErrorCodeText(code)))
		} else {
			r.h.node.Logf("%s: transient error %d to an attempt that already failed, ignored", r, code)
		}
		return
	}
	r.handBack(backoff.Success)
	r.finish(r.report(node.NewBody("backoff_relay_ok")).Raw("result", rep.Body))
}

// fail ends the current attempt and sleeps before the next, or waits for
// late replies if the control refuses the retry, or gives up. r.mu is held.
func (r *relay) fail(o backoff.Outcome, why string) {
	r.handBack(o)
	r.waiting = false
	if r.attempts > r.retries {
		r.h.node.Logf("%s: attempt %d %s; giving up", r, r.attempts, why)
		r.giveUp(maelstrom.Timeout, fmt.Sprintf("RPC failed after %d attempts", r.attempts))
		return
	}
	// The relay sleeps the delay in whole ms, as it reports it.
	d := contract.Millis(r.cursor.Next())
	sleep := time.Duration(d) * time.Millisecond
	now := time.Now()
	if !r.deadline.IsZero() && !now.Add(sleep).Before(r.deadline) {
		r.h.node.Logf("%s: attempt %d %s; max_elapsed %s s leaves no time for retry %d, giving up", r, r.attempts, why, num(r.maxElapsed), r.attempts)
		r.giveUp(maelstrom.Timeout, r.elapsedText())
		return
	}
	if r.ctl != nil {
		r.ticket = r.ctl.ctl.Allow(now, r.attempts+1, o)
		if r.ticket.OK && r.ticket.Wait > sleep && !r.waitFits(now, r.ticket.Wait) {
			// A limiter's turn too late to use: refused, handed back unsent.
			r.ctl.ctl.Done(now, r.ticket, 0)
			why += fmt.Sprintf("; %s asked retry %d to wait %s s, past %s", r.ctl.name(r.target), r.attempts, ms(r.ticket.Wait), r.limitText())
			r.ticket.OK = false
		}
		if !r.ticket.OK {
			rest := r.rest(sleep)
			r.h.node.Logf("%s: attempt %d %s; retry %d refused by %s: no new attempt, late replies accepted for %v",
				r, r.attempts, why, r.attempts, r.ctl.name(r.target), rest)
			r.timer = time.AfterFunc(rest, r.controlGiveUp)
			return
		}
		r.granted = true
		sleep = max(sleep, r.ticket.Wait)
	}
	r.next = d
	r.h.node.Logf("%s: attempt %d %s; retry %d in %d ms (attempt %d of %d)",
		r, r.attempts, why, r.attempts, d, r.attempts+1, r.retries+1)
	r.timer = time.AfterFunc(sleep, r.wake)
}

// rest is how long the schedule would still have run from now had the
// control allowed it: the sleep about to begin, the later delays, and every
// remaining attempt's timeout, but not past max_elapsed. r.mu is held.
func (r *relay) rest(sleep time.Duration) time.Duration {
	left := r.retries + 1 - r.attempts // attempts the schedule still had
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

func (r *relay) controlGiveUp() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	r.h.node.Logf("%s: no late reply; giving up", r)
	r.giveUp(maelstrom.Timeout, fmt.Sprintf("RPC failed after %d attempts: %s", r.attempts, r.ctl.refusal(r.target, r.attempts)))
}

// wake ends a backoff sleep: only now does its delay count as slept, since a
// reply that comes during the sleep ends the relay without it.
func (r *relay) wake() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.finished {
		r.slept++
		r.sleptMS += r.next
		r.send(time.Now())
	}
}

// abort answers a relay in flight when the node stops.
func (r *relay) abort() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.finished { // no log line each: the node logs how many it stops
		r.handBack(backoff.Timeout)
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
	c := r.schedule()
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
	switch {
	case r.ids != nil:
		r.h.node.Forget(r.ids[:min(r.attempts, recentAttempts)]...)
	case r.attempts > 0:
		r.h.node.Forget(r.current)
	}
	r.h.budgets.release(time.Now(), r.ctl)
	r.h.node.Reply(r.origin, reply)
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
