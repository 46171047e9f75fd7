// Package handlers answers the node's requests: echo, compute_backoff and
// backoff_relay, as the wire contract (docs/SPEC.md)
// describes them. Each handler decodes and validates its fields into a typed
// value, answering a bad field with error 12 whose text names the field and
// its valid range, and then calls the pure backoff package for the
// arithmetic.
package handlers

import (
	"math/rand/v2"

	"github.com/backoff-node/backoff-node/internal/contract"
	"github.com/backoff-node/backoff-node/node"
)

// Register installs every handler on n. seeds picks the seed of a request
// that gives none; main seeds it from the operating system, tests with a
// constant so that their transcripts are exact.
func Register(n *node.Node, seeds *rand.Rand) {
	h := &handlers{node: n, seeds: seeds}
	n.Handle("echo", echo)
	n.Handle("compute_backoff", h.computeBackoff)
	n.Handle("backoff_relay", h.backoffRelay)
}

type handlers struct {
	node         *node.Node
	seeds        *rand.Rand   // used on the node's handling goroutine only, where handlers run
	budgets      budgets      // the retry budgets of relays, per target
	scratch      [256]float64 // compute_backoff's run of delays; handlers run one at a time
	lastStrategy strategyMemo // lookup's
}

// newSeed draws a seed in the contract's range 0..2^53, so that any client
// (JavaScript included) can hold it exactly and send it back.
func (h *handlers) newSeed() uint64 {
	return h.seeds.Uint64N(contract.MaxSeed + 1)
}

func echo(req *node.Request) (*node.Body, error) {
	body := node.NewBody("echo_ok")
	for _, m := range req.Members {
		if m.Key != "type" && m.Key != "msg_id" {
			body.Member(m)
		}
	}
	return body, nil
}
