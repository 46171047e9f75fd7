package herdsim

// An event is something that happens at time t to the client or request
// id; what kind means is up to the simulation that queues it.
type event struct {
	t    float64
	id   int32
	kind int32
}

// eventQueue is a binary min-heap of events by time, without the interface
// calls of container/heap. Events at the same time leave in an order fixed
// by the order they came in, so a simulation stays a pure function of its
// seed.
type eventQueue []event

func (q *eventQueue) push(e event) {
	*q = append(*q, e)
	h := *q
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].t <= h[i].t {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func (q *eventQueue) pop() event {
	h := *q
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		if r := l + 1; r < n && h[r].t < h[l].t {
			l = r
		}
		if h[i].t <= h[l].t {
			break
		}
		h[i], h[l] = h[l], h[i]
		i = l
	}
	*q = h
	return top
}
