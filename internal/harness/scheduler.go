package harness

import (
	"container/heap"
	"sync"
	"time"
)

// scheduler runs functions at given times on one goroutine, in time order
// (in order of scheduling for equal times). It carries delayed messages.
type scheduler struct {
	mu     sync.Mutex
	q      timedQueue
	seq    uint64
	closed bool
	wake   chan struct{}
	done   chan struct{}
}

type timed struct {
	at  time.Time
	seq uint64
	fn  func()
}

type timedQueue []timed

func (q timedQueue) Len() int { return len(q) }
func (q timedQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q timedQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *timedQueue) Push(x any)   { *q = append(*q, x.(timed)) }
func (q *timedQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
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
	s.seq++
	heap.Push(&s.q, timed{t, s.seq, fn})
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
				fn = heap.Pop(&s.q).(timed).fn
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
