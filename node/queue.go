package node

import "sync"

// A queue passes parsed lines from the reader goroutine to the handling
// goroutine, replies ahead of requests, and bounds the bytes it holds.
type queue struct {
	mu       sync.Mutex
	notEmpty sync.Cond // the handler waits on it
	notFull  sync.Cond // the reader waits on it
	replies  []*item
	requests []*item
	bytes    int
	closed   bool  // the reader is done
	err      error // why, if not the end of input
	stopped  bool
}

func (q *queue) init() {
	q.notEmpty.L = &q.mu
	q.notFull.L = &q.mu
}

// put queues it, waiting while the queue is full. It returns false if the
// queue was stopped: the reader should quit.
func (q *queue) put(it *item) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.bytes > 0 && q.bytes+it.size() > maxQueueBytes && !q.stopped {
		q.notFull.Wait()
	}
	if q.stopped {
		return false
	}
	if it.reply {
		q.replies = append(q.replies, it)
	} else {
		q.requests = append(q.requests, it)
	}
	q.bytes += it.size()
	q.notEmpty.Signal()
	return true
}

// next returns the next item to handle: the oldest reply if there is one,
// else the oldest request. Before it waits for input it calls idle (the
// node flushes then: no complete line is waiting, whatever part of one the
// reader holds). ok is false once the queue is stopped, or closed and
// empty; err is then the reader's error, if any.
func (q *queue) next(idle func()) (it *item, err error, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if q.stopped {
			return nil, nil, false
		}
		if len(q.replies) > 0 {
			it = pop(&q.replies)
		} else if len(q.requests) > 0 {
			it = pop(&q.requests)
		}
		if it != nil {
			q.bytes -= it.size()
			if q.bytes <= maxQueueBytes/2 {
				// Wake the reader only once the queue is half empty: waking
				// it for every line handled would cost a switch a line.
				q.notFull.Signal()
			}
			return it, nil, true
		}
		if q.closed {
			return nil, q.err, false
		}
		q.mu.Unlock()
		idle()
		q.mu.Lock()
		if len(q.replies) == 0 && len(q.requests) == 0 && !q.closed && !q.stopped {
			q.notEmpty.Wait()
		}
	}
}

// close marks the end of input, or a read error.
func (q *queue) close(err error) {
	q.mu.Lock()
	q.closed, q.err = true, err
	q.notEmpty.Signal()
	q.mu.Unlock()
}

// stop makes next and put return at once.
func (q *queue) stop() {
	q.mu.Lock()
	q.stopped = true
	q.notEmpty.Broadcast()
	q.notFull.Broadcast()
	q.mu.Unlock()
}

// drain empties the queue and returns what it held, requests in order.
func (q *queue) drain() []*item {
	q.mu.Lock()
	defer q.mu.Unlock()
	its := append(q.replies, q.requests...)
	q.replies, q.requests, q.bytes = nil, nil, 0
	return its
}

// pop takes the first item of the non-empty *s. It clears the slot, and
// drops the array once empty, so that the array does not keep handled
// lines alive.
func pop(s *[]*item) *item {
	it := (*s)[0]
	(*s)[0] = nil
	*s = (*s)[1:]
	if len(*s) == 0 {
		*s = nil
	}
	return it
}
