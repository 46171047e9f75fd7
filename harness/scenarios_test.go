package harness_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/harness"
)

// Scenario 1: relays through 30% loss, each way, to the maelstrom demo echo
// node. Every relay succeeds with the echo of its payload or gives up with
// code 0 after all its attempts; attempts never exceed 1 + max_retries;
// delays_ms is always a prefix of the schedule compute_backoff gives for the
// same fields and seed.
func TestRelayThroughLoss(t *testing.T) {
	start := time.Now()
	seed, rng := seeded(t, 1)
	net := harness.New(t, harness.Config{Seed: seed, Loss: 0.3, Latency: harness.Uniform(0, 20*time.Millisecond)})
	n1 := net.AddNode("n1", backoffNode)
	n2 := net.AddNode("n2", echoNode)
	net.Start()
	c := net.Client("c1")

	names := strategies(t, c, "n1")
	ps := make([]relayParams, size(200, 5000))
	for i := range ps {
		base := between(rng, 0.005, 0.03)
		ps[i] = relayParams{
			maxRetries: rng.IntN(7),
			base:       base,
			max:        between(rng, base, 0.2),
			jitter:     between(rng, 0, 1),
			seed:       rng.Uint64N(1 << 53),
			strategy:   names[rng.IntN(len(names))],
			timeout:    between(rng, 0.15, 0.3),
		}
	}
	scheds := schedules(t, c, "n1", ps)

	calls := make([]*harness.Call, len(ps))
	for i, p := range ps {
		calls[i] = c.Call("n1", p.request("n2", map[string]any{"type": "echo", "echo": fmt.Sprintf("relay %d", i)}))
	}
	got := waitAll(calls, replyTimeout)

	var succeeded, retried, gaveUp int
	for i, call := range calls {
		m, _ := call.Reply()
		what := fmt.Sprintf("relay %d %+v", i, ps[i])
		if m == nil {
			t.Errorf("%s: no reply", what)
			continue
		}
		r := checkRelay(t, what, m, ps[i], scheds[i])
		switch {
		case r.ok():
			succeeded++
			echoResult(t, what, r, fmt.Sprintf("relay %d", i))
			if r.Attempts > 1 {
				retried++
			}
		case r.Type == "error":
			gaveUp++
		}
	}
	st := net.Stats()
	t.Logf("%d relays: %d succeeded (%d after retries), %d gave up; network: %v", len(ps), succeeded, retried, gaveUp, st)
	if st.Lost == 0 || retried == 0 {
		t.Errorf("no message lost or no relay retried: the faults were not exercised")
	}
	n1.Stop()
	n2.Stop()
	record(t, row{
		scenario: "1 relay through 30% loss", requests: len(ps),
		faults:   fmt.Sprintf("%d of %d messages lost", st.Lost, st.Sent),
		answered: got, lost: len(ps) - got,
	}, start, n1, n2)
}
