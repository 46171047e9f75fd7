package backoff_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
)

func TestBreaker(t *testing.T) {
	small := func() *backoff.Breaker {
		return &backoff.Breaker{FailureRatio: 0.5, Window: 4, MinCalls: 4, OpenFor: 10 * time.Second, Probes: 2}
	}
	tests := []stepCase[*backoff.Breaker]{
		{"opens at the ratio, half-opens after OpenFor, closes on good probes", small(), []step{
			{At: 0, Attempt: 1, OK: true, Done: success, After: "closed"},
			{At: 1, Attempt: 1, OK: true, Done: failure, After: "closed"},
			{At: 2, Attempt: 2, Last: failure, OK: true, Done: success, After: "closed"},
			{At: 3, Attempt: 1, OK: true, Done: timeout, After: "open"}, // 2 of 4
			{At: 3, Attempt: 1, OK: false},                              // first attempts too
			{At: 12.999, Attempt: 2, Last: timeout, OK: false, After: "open"},
			{At: 13, Attempt: 1, OK: true, Cost: 1, Done: success, After: "half-open"}, // probe 1 of period 1
			{At: 13, Attempt: 1, OK: true, Cost: 1, Done: unsent, After: "half-open"},  // gives its place back
			{At: 13, Attempt: 2, Last: failure, OK: true, Cost: 1, Done: inFlight},
			{At: 13, Attempt: 1, OK: false}, // both places taken
			{At: 14, Attempt: 1, OK: false, After: "half-open"},
		}},
		{"the window slides; fewer than MinCalls never open it", small(), []step{
			{At: 0, Attempt: 1, OK: true, Done: failure, Repeat: 3, After: "closed"}, // 3 < MinCalls
			{At: 0, Attempt: 1, OK: true, Done: success, After: "open"},              // 3 of 4
		}},
		{"the window slides", small(), []step{
			{At: 0, Attempt: 1, OK: true, Done: success, Repeat: 3},
			{At: 0, Attempt: 1, OK: true, Done: failure, After: "closed"}, // 1 of 4
			{At: 0, Attempt: 1, OK: true, Done: failure, After: "open"},   // the first success left: 2 of 4
		}},
		{"a failed probe reopens it", small(), []step{
			{At: 0, Attempt: 1, OK: true, Done: throttled, Repeat: 4, After: "open"},
			{At: 10, Attempt: 1, OK: true, Cost: 1, Done: success, After: "half-open"},
			{At: 10, Attempt: 1, OK: true, Cost: 1, Done: failure, After: "open"}, // 1 of 2
			{At: 19, Attempt: 1, OK: false},
			{At: 20, Attempt: 1, OK: true, Cost: 2, Done: success, Repeat: 2, After: "closed"}, // period 2
			{At: 20, Attempt: 1, OK: true, Done: failure, Repeat: 3, After: "closed"},          // empty window
			{At: 20, Attempt: 1, OK: true, Done: failure, After: "open"},
		}},
		{"defaults: 100 outcomes, 50 % of them failures", &backoff.Breaker{}, []step{
			{At: 0, Attempt: 1, OK: true, Done: success, Repeat: 51, After: "closed"},
			{At: 0, Attempt: 2, Last: failure, OK: true, Done: failure, Repeat: 49, After: "closed"}, // 49 of 100
			{At: 0, Attempt: 2, Last: failure, OK: true, Done: failure, After: "open"},               // 50 of 100
			{At: 59.9, Attempt: 1, OK: false},
			{At: 60, Attempt: 1, OK: true, Cost: 1, Done: success, Repeat: 10, After: "closed"},
		}},
	}
	runCases(t, (*backoff.Breaker).State, tests)
}

// TestBreakerLateOutcomes: outcomes of attempts let go before the breaker
// opened, or in an earlier half-open period, are not probes.
func TestBreakerLateOutcomes(t *testing.T) {
	b := backoff.Breaker{Window: 2, MinCalls: 2, OpenFor: time.Second, Probes: 1}
	old := b.Allow(at(0), 1, 0) // let go while closed
	for range 2 {
		b.Done(at(0), b.Allow(at(0), 1, 0), failure)
	}
	p1 := b.Allow(at(1), 1, 0) // probe of period 1
	b.Done(at(1), old, success)
	if got := b.State(); got != "half-open" {
		t.Fatalf("a closed-state outcome in half-open: state %s, want half-open", got)
	}
	b.Done(at(1), p1, failure)
	p2 := b.Allow(at(2), 1, 0) // period 2
	b.Done(at(2), p1, success) // p1 again, from period 1: ignored
	if got := b.State(); got != "half-open" {
		t.Fatalf("a probe of an earlier period: state %s, want half-open", got)
	}
	b.Done(at(2), p2, success)
	if got := b.State(); got != "closed" {
		t.Fatalf("after a good probe: state %s, want closed", got)
	}
}

// TestBreakerProperty: over random outcome streams, no attempt goes while
// open before OpenFor has passed, and at most Probes go in a half-open
// period.
func TestBreakerProperty(t *testing.T) {
	for seed := range uint64(100) {
		r := rand.New(rand.NewPCG(seed, 6))
		b := backoff.Breaker{Window: 1 + r.IntN(20), Probes: 1 + r.IntN(5), OpenFor: time.Duration(1+r.IntN(5)) * time.Second}
		b.MinCalls = 1 + r.IntN(b.Window)
		p := r.Float64()
		openedAt, probes := -1.0, 0
		var held []backoff.Ticket
		for i := range 2000 {
			now := float64(i) / 10
			state := b.State()
			tk := b.Allow(at(now), 1+r.IntN(3), failure)
			switch {
			case state == "open" && now-openedAt < b.OpenFor.Seconds() && tk.OK:
				t.Fatalf("seed %d: allowed %v s after opening, OpenFor %v", seed, now-openedAt, b.OpenFor)
			case state != "half-open" && b.State() == "half-open":
				probes = 0
			}
			if tk.OK && b.State() == "half-open" {
				if probes++; probes > b.Probes {
					t.Fatalf("seed %d: %d probes, want at most %d", seed, probes, b.Probes)
				}
			}
			if tk.OK {
				held = append(held, tk)
			}
			if len(held) > 0 && r.IntN(2) == 0 { // outcomes come back late, out of order
				j := r.IntN(len(held))
				o := success
				if r.Float64() < p {
					o = failure
				}
				before := b.State()
				b.Done(at(now), held[j], o)
				held = append(held[:j], held[j+1:]...)
				if before != "open" && b.State() == "open" {
					openedAt = now
				}
			}
		}
	}
}
