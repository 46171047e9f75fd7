package node

import "sync"

// A queue passes parsed lines from the reader goroutine to the handling
// goroutine, replies ahead of requests, and bounds the bytes it holds.
type queue struct {
	mu       sync.Mutex
	notEmpty sync.Cond // the handler waits on it
	notFull  sync.Cond // the reader waits on it
	replies  fifo
	requests fifo
	bytes    int
	closed   bool  // the reader is done
	err      error // why, if not the end of input
	stopped  bool
}

func (q *queue) init() {
	q.notEmpty.L = &q.mu
	q.notFull.L = &q.mu
}

// put queues the items of a read, waiting while the queue is full. It
// returns false if the queue was stopped: the reader should quit; and the
// bytes the queue then holds.
func (q *queue) put(its []*item) (ok bool, held int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.bytes > 0 && q.bytes+len(its)*itemSize+blockSize > maxQueueBytes && !q.stopped {
		q.notFull.Wait()
	}
	if q.stopped {
		return false, 0
	}
	for _, it := range its {
		if it.reply {
			q.replies.push(it)
		} else {
			q.requests.push(it)
		}
		q.bytes += q.cost(it, 1)
	}
	q.notEmpty.Signal()
	return true, q.bytes
}

// cost is what queuing (d = 1) or unqueuing (d = -1) it adds to the bytes
// the queue holds: the item, and its block while any item of it is queued,
// since the block stays in memory for it. q.mu is held.
func (q *queue) cost(it *item, d int) int {
	c := itemSize
	if b := it.blk; b != nil {
		if d > 0 && b.queued == 0 || d < 0 && b.queued == 1 {
			c += b.size
		}
		b.queued += d
	}
	return c
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
		if q.replies.len() > 0 {
			it = q.replies.pop()
		} else if q.requests.len() > 0 {
			it = q.requests.pop()
		}
		if it != nil {
			q.bytes -= q.cost(it, -1)
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
		if q.replies.len() == 0 && q.requests.len() == 0 && !q.closed && !q.stopped {
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
	var its []*item
	for q.replies.len() > 0 {
		its = append(its, q.replies.pop())
	}
	for q.requests.len() > 0 {
		its = append(its, q.requests.pop())
	}
	for _, it := range its {
		q.cost(it, -1)
	}
	q.bytes = 0
	return its
}

// A fifo is a queue of items that keeps its array: a popped slot is
// cleared, so that the array keeps no handled line alive, and the array is
// reused from its start once empty, so that a node at full speed does not
// allocate a new one each time the handler catches up.
type fifo struct {
	buf  []*item
	head int
}

func (f *fifo) len() int { return len(f.buf) - f.head }

func (f *fifo) push(it *item) {
	if len(f.buf) == cap(f.buf) && f.head > len(f.buf)/2 {
		// Never empty for long: move the live part to the front rather
		// than grow.
		k := copy(f.buf, f.buf[f.head:])
		clear(f.buf[k:])
		f.buf, f.head = f.buf[:k], 0
	}
	f.buf = append(f.buf, it)
}

// pop takes the first item; f must not be empty.
func (f *fifo) pop() *item {
	it := f.buf[f.head]
	f.buf[f.head] = nil
	if f.head++; f.head == len(f.buf) {
		f.buf, f.head = f.buf[:0], 0
	}
	return it
}
