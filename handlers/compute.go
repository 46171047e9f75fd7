package handlers

import (
	"strings"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/internal/contract"
	"github.com/backoff-node/backoff-node/node"
)

// computeBackoff answers compute_backoff with the schedule of the request's
// fields, and echoes back every parameter used, the seed included, so that
// any schedule can be reproduced. The delays are written as the cursor
// gives them: no schedule is held.
func (h *handlers) computeBackoff(req *node.Request) (*node.Body, error) {
	f := decodeFields(req)
	s, err := h.decodeSchedule(&f)
	if err != nil {
		return nil, err
	}
	c := s.cursor()
	var total int64
	run := h.scratch[:0] // the delays in runs, so that a long schedule is not held
	next, left := 0, s.retries
	b := node.NewBody("compute_backoff_ok").IntsN("schedule_ms", s.retries, func() int64 {
		if next == len(run) {
			run = h.scratch[:min(left, len(h.scratch))]
			c.Fill(run)
			next, left = 0, left-len(run)
		}
		ms := contract.Millis(run[next])
		next++
		total += ms
		return ms
	})
	return b.Int("total_ms", total).
		Int("retries", int64(s.retries)).
		String("strategy", s.strategy).
		Float("base_delay", s.params.Base).
		Float("max_delay", s.params.Max).
		Float("jitter", s.params.Jitter).
		Int("seed", int64(s.seed)), nil
}

// lookup is contract.Lookup with a memo of the last strategy built: a run
// of requests with the same strategy and parameters (mostly the defaults)
// builds it once, not once a request. A strategy is a value that does not
// change, so requests and relays may share it; handlers run one at a time.
func (h *handlers) lookup(name string, p contract.Params) (backoff.Strategy, error) {
	if m := &h.lastStrategy; m.st != nil && m.name == name && m.params == p {
		return m.st, nil
	}
	st, err := contract.Lookup(name, p)
	if err == nil {
		h.lastStrategy = strategyMemo{name: strings.Clone(name), params: p, st: st} // name is a view of the request
	}
	return st, err
}

// strategyMemo is the strategy lookup built last, and for what.
type strategyMemo struct {
	name   string
	params contract.Params
	st     backoff.Strategy
}
