package backoff_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/backoff-node/backoff-node/backoff"
)

func TestRetryCredit(t *testing.T) {
	tests := []struct {
		name  string
		c     *backoff.RetryCredit
		steps []step
	}{
		{"defaults: a dead service gets the starting credit", &backoff.RetryCredit{}, []step{
			{Attempt: 1, OK: true, Done: timeout, After: "4 19"},
			{Attempt: 2, Last: timeout, OK: true, Cost: 1, Done: timeout, Repeat: 3, After: "1 16"},
			{Attempt: 1, OK: true, Done: timeout, After: "1 15"},
			{Attempt: 2, Last: timeout, OK: true, Cost: 1, Done: timeout, After: "0 14"},
			{Attempt: 2, Last: timeout, OK: false, After: "0 14"},
			{Attempt: 1, OK: true, Done: success, After: "1 15"}, // one retry a success
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: success, After: "1 16"},
		}},
		{"defaults: the gate stops retries when failures outrun successes", &backoff.RetryCredit{}, []step{
			{Attempt: 1, OK: true, Done: failure, Repeat: 9, After: "4 11"},
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: failure, After: "3 10"},
			{Attempt: 2, Last: failure, OK: false, After: "3 10"}, // at Gate/2
			{Attempt: 1, OK: true, Done: success, After: "4 11"},
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: unsent, After: "4 11"},
			{Attempt: 1, OK: true, Done: failure, Repeat: 30, After: "4 0"},
			{Attempt: 1, OK: true, Done: success, Repeat: 10, After: "4 10"},
			{Attempt: 2, Last: failure, OK: false},
			{Attempt: -5, OK: true, Done: success, After: "4 11"}, // attempt -5 counts as a first
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: inFlight, After: "3 11"},
		}},
		{"fractional ratio", &backoff.RetryCredit{Ratio: 0.25, Credit: 1, Gate: 2}, []step{
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: success, After: "0.25 2"},
			{Attempt: 1, OK: true, Done: success, Repeat: 2, After: "0.75 2"},
			{Attempt: 2, Last: failure, OK: false},
			{Attempt: 1, OK: true, Done: success, After: "1 2"},
			{Attempt: 1, OK: true, Done: failure, After: "1 1"},
			{Attempt: 2, Last: failure, OK: false}, // 1 ≤ 2/2
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			runSteps(t, c, func() string { a, b := c.Balance(); return fmt.Sprint(a, " ", b) }, tt.steps)
		})
	}
}

// TestRetryCreditBound: over random outcome streams, retries never exceed
// Ratio·successes + Credit.
func TestRetryCreditBound(t *testing.T) {
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 5))
		c := backoff.RetryCredit{Ratio: float64(1+r.IntN(2000)) / 1000, Credit: float64(1 + r.IntN(10)), Gate: float64(2 + r.IntN(30))}
		if err := fundedRetries(&c, r, r.Float64(), c.Ratio, c.Credit); err != nil {
			t.Fatalf("seed %d (%+v): %v", seed, &c, err)
		}
	}
}

// TestRetryCreditDead: against a service that never answers, with each
// retry asked after the failure before it, a client retries at most
// min(Credit, ⌈Gate/2⌉ − 1) times in all: exactly that many in one call
// that retries until refused, at most that many over calls of 3 retries.
func TestRetryCreditDead(t *testing.T) {
	for credit := 1; credit <= 12; credit++ {
		for gate := 1; gate <= 25; gate++ {
			want := min(credit, (gate+1)/2-1)
			for _, perCall := range []int{1000, 3} {
				c := backoff.RetryCredit{Credit: float64(credit), Gate: float64(gate)}
				retries := 0
				for range 50 {
					tk := c.Allow(t0, 1, 0)
					c.Done(t0, tk, timeout)
					for attempt := 2; attempt <= 1+perCall; attempt++ {
						if tk = c.Allow(t0, attempt, timeout); !tk.OK {
							break
						}
						retries++
						c.Done(t0, tk, timeout)
					}
				}
				if retries > want || perCall > 3 && retries != want {
					t.Errorf("Credit %d, Gate %d, %d retries a call: %d retries to a dead service, want %d", credit, gate, perCall, retries, want)
				}
			}
		}
	}
}

// TestRetryCreditTargets: the two targets of the fleet issues, in the
// simulation of controls_test.go, over 50 seeds and both timings of the
// retry's question: 20 quiet clients against a dead service send at most
// 1.3 attempts a call; one client through 30 % independent errors (failure
// replies or timeouts) keeps at least 95 % of its calls.
func TestRetryCreditTargets(t *testing.T) {
	mk := func() backoff.Control { return &backoff.RetryCredit{} }
	for _, atFailure := range []bool{false, true} {
		dead, lossy := deadFleet, lossyOne
		dead.AtFailure, lossy.AtFailure = atFailure, atFailure
		sends, _, worstSends, _ := meanOver(dead, mk, 50)
		_, succ, _, worstSucc := meanOver(lossy, mk, 50)
		_, succT, _, worstSuccT := meanOver(withTimeouts(lossy), mk, 50)
		t.Logf("ask at failure %v: dead fleet %.3f sends a call (worst %.3f); 30 %% errors %.4f success (worst %.4f), as timeouts %.4f (worst %.4f)",
			atFailure, sends, worstSends, succ, worstSucc, succT, worstSuccT)
		if worstSends > 1.3 {
			t.Errorf("ask at failure %v: %.3f sends a call from a fleet to a dead service, want at most 1.3", atFailure, worstSends)
		}
		if min(worstSucc, worstSuccT) < 0.95 {
			t.Errorf("ask at failure %v: %.4f/%.4f of calls succeed through 30 %% errors, want at least 0.95", atFailure, worstSucc, worstSuccT)
		}
	}
}
