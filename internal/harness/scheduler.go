package harness

import (
	"slices"
	"sort"
	"sync"
	"time"
)

// scheduler runs functions at given times on one goroutine, in time order
// (in order of scheduling for equal times). It carries delayed messages.
type scheduler struct {
	mu     sync.Mutex
	q      []timed // sorted by at; equal times in order of scheduling
	closed bool
	wake   chan struct{}
	done   chan struct{}
}

type timed struct {
	at time.Time
	fn func()
}

func newScheduler() *scheduler {
	s := &scheduler{wake: make(chan struct{}, 1), done: make(chan struct{})}
	go s.loop()
	return s
}

// at schedules fn; after close it is dropped.
func (s *scheduler) at(t time.Time, fn func()) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	// After every entry due no later than t: equal times keep their order.
	// Messages are mostly scheduled in time order, so this inserts near
	// the end.
	i := sort.Search(len(s.q), func(i int) bool { return s.q[i].at.After(t) })
	s.q = slices.Insert(s.q, i, timed{t, fn})
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *scheduler) loop() {
	defer close(s.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		var wait time.Duration = time.Hour
		var fn func()
		if len(s.q) > 0 {
			if wait = time.Until(s.q[0].at); wait <= 0 {
				fn = s.q[0].fn
				s.q[0] = timed{} // let fn go once it has run
				s.q = s.q[1:]
			}
		}
		s.mu.Unlock()
		if fn != nil {
			fn()
			continue
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-s.wake:
			timer.Stop()
		}
	}
}

// close drops what is still scheduled and stops the goroutine.
func (s *scheduler) close() {
	s.mu.Lock()
	s.closed = true
	s.q = nil
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	<-s.done
}
