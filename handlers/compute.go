package handlers

import "github.com/backoff-node/backoff-node/node"

// computeBackoff answers compute_backoff with the schedule of the request's
// fields, and echoes back every parameter used, the seed included, so that
// any schedule can be reproduced.
func (h *handlers) computeBackoff(req *node.Request) (*node.Body, error) {
	p, err := h.decodeSchedule(req)
	if err != nil {
		return nil, err
	}
	ms := schedule(p)
	return node.NewBody("compute_backoff_ok").
		Ints("schedule_ms", ms).
		Int("total_ms", sum(ms)).
		Int("retries", int64(len(ms))).
		String("strategy", p.strategy).
		Float("base_delay", p.params.Base).
		Float("max_delay", p.params.Max).
		Float("jitter", p.params.Jitter).
		Int("seed", int64(p.seed)), nil
}
