package herdsim

import "github.com/backoff-node/backoff-node/backoff"

// An attempt waits in the server's queue: which request, which of its
// attempts, and when it arrived.
type attempt struct {
	id, try int32
	t       float64
}

// server is the overloaded service of a run: a queue of at most Queue
// attempts, the one in service included, served one at a time, 1/Capacity
// seconds each, first come first served (or last, with LIFO). It learns
// nothing of its clients' timeouts unless DropStale is set.
type server struct {
	queue     []attempt // a ring of n attempts from head
	head, n   int
	serving   bool    // an attempt is in service (it holds a place in the queue)
	scheduled bool    // an evServed is queued: an attempt's end, or the end of a pause
	current   attempt // the attempt in service
	owed      float64 // seconds of rejections not yet paid for
}

// admit offers the server an attempt of request id at t and reports
// whether it is queued; a full queue turns it away, charging RejectCost of
// a service unless it drops attempts.
func (u *overloadRun) admit(t float64, id, try int32) bool {
	s, sc := &u.srv, &u.sc
	if s.n+boolInt(s.serving) >= sc.Queue {
		if !sc.Drop {
			s.owed += sc.RejectCost / sc.Capacity
		}
		return false
	}
	s.queue[(s.head+s.n)%len(s.queue)] = attempt{id, try, t}
	s.n++
	if !s.scheduled {
		u.serveNext(t)
	}
	return true
}

// serveNext starts the server's next piece of work at now: the rejections
// it owes, a pause while it is down, or the next attempt of its queue
// (skipping, with DropStale, those whose client has given up).
func (u *overloadRun) serveNext(now float64) {
	s, sc := &u.srv, &u.sc
	service := 1 / sc.Capacity
	switch {
	case s.owed > 0:
		// Charged between attempts, not interleaved: the server's busy time
		// is right, the order slightly not.
		s.scheduled = true
		u.events.push(event{now + s.owed, -1, evServed})
		s.owed = 0
		return
	case sc.Down && now < sc.FaultEnd && now+service > sc.FaultStart:
		s.scheduled = true
		u.events.push(event{sc.FaultEnd, -1, evServed})
		return
	}
	for s.n > 0 {
		a := s.pop(sc.LIFO)
		if sc.DropStale && now-a.t > sc.Timeout {
			continue
		}
		s.serving, s.scheduled, s.current = true, true, a
		count(u.res.Served, now+service, sc.Horizon)
		u.events.push(event{now + service, a.id, evServed})
		return
	}
}

// served: the server ends its piece of work at t; an attempt's answer
// reaches its client if it still waits (an error reply with probability
// ErrorRate), and the server moves on.
func (u *overloadRun) served(t float64, id int32) {
	s := &u.srv
	s.scheduled = false
	a := s.current
	if id >= 0 {
		s.serving = false
	}
	u.serveNext(t)
	if id < 0 {
		return
	}
	q := &u.reqs[id]
	if q.pending != a.try || t-a.t > u.sc.Timeout {
		return // its client gave it up
	}
	q.pending = 0
	if u.sc.ErrorRate > 0 && u.uniform(streamError, mix(q.key)+uint64(a.try)) < u.sc.ErrorRate {
		u.failed(t, id, backoff.Failure)
		return
	}
	u.succeeded(t, id)
}

// pop takes the oldest attempt of the queue, or with lifo the newest.
func (s *server) pop(lifo bool) attempt {
	i := s.head
	if lifo {
		i = (s.head + s.n - 1) % len(s.queue)
	} else {
		s.head = (s.head + 1) % len(s.queue)
	}
	s.n--
	return s.queue[i]
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
