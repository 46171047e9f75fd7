package backoff_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/backoff-node/backoff-node/backoff"
)

func TestGRPCThrottle(t *testing.T) {
	tests := []stepCase[*backoff.GRPCThrottle]{
		{"defaults: 5 failures stop retries, 1 success resumes them", &backoff.GRPCThrottle{}, []step{
			{Attempt: 1, OK: true, Done: failure, After: "9"},
			{Attempt: 2, Last: failure, OK: true, Done: failure, After: "8"},
			{Attempt: 3, Last: failure, OK: true, Done: timeout, After: "7"},
			{Attempt: 4, Last: timeout, OK: true, Done: throttled, After: "6"},
			{Attempt: 1, OK: true, Done: failure, After: "5"},
			{Attempt: 2, Last: failure, OK: false, After: "5"}, // at max/2: no retry
			{Attempt: 1, OK: true, Done: success, After: "5.1"},
			{Attempt: 2, Last: failure, OK: true, Done: success, After: "5.2"},
		}},
		{"the count stays within [0, MaxTokens]", &backoff.GRPCThrottle{}, []step{
			{Attempt: 1, OK: true, Done: success, After: "10"},
			{Attempt: 1, OK: true, Done: failure, Repeat: 12, After: "0"},
			{Attempt: 1, OK: true, Done: success, Repeat: 50, After: "5"},
			{Attempt: 2, Last: failure, OK: false},
			{Attempt: 1, OK: true, Done: success, After: "5.1"},
			{Attempt: 2, Last: failure, OK: true, Done: unsent, After: "5.1"}, // unsent: no change
			{Attempt: 1, OK: true, Done: success, Repeat: 1000, After: "10"},
		}},
		{"MaxTokens 1, TokenRatio 1", &backoff.GRPCThrottle{MaxTokens: 1, TokenRatio: 1}, []step{
			{Attempt: 2, Last: failure, OK: true, Done: failure, After: "0"},
			{Attempt: 2, Last: failure, OK: false},
			{Attempt: 0, OK: true, Done: success, After: "1"}, // attempt 0 counts as a first
			{Attempt: 2, Last: failure, OK: true, Done: inFlight},
		}},
		{"three decimals, as gRPC keeps them", &backoff.GRPCThrottle{MaxTokens: 3, TokenRatio: 0.0004}, []step{
			{Attempt: 1, OK: true, Done: failure, After: "2"},
			{Attempt: 1, OK: true, Done: success, Repeat: 10, After: "2"}, // 0.0004 rounds to 0
		}},
	}
	runCases(t, func(g *backoff.GRPCThrottle) string { return fmt.Sprint(g.Tokens()) }, tests)
}

// TestGRPCThrottleProperty: over random outcome streams the count stays in
// [0, MaxTokens] and a retry is allowed exactly when it is above half.
func TestGRPCThrottleProperty(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 2))
		g := backoff.GRPCThrottle{MaxTokens: float64(1 + r.IntN(20)), TokenRatio: float64(r.IntN(2000)) / 1000}
		max := g.MaxTokens
		p := r.Float64()
		for range 500 {
			before := g.Tokens()
			attempt := 1 + r.IntN(3)
			tk := g.Allow(t0, attempt, failure)
			if want := attempt == 1 || before > max/2; tk.OK != want {
				t.Fatalf("seed %d: count %v of %v, attempt %d: OK %v, want %v", seed, before, max, attempt, tk.OK, want)
			}
			o := success
			if r.Float64() < p {
				o = failure
			}
			if tk.OK {
				g.Done(t0, tk, o)
			}
			if n := g.Tokens(); n < 0 || n > max {
				t.Fatalf("seed %d: count %v outside [0, %v]", seed, n, max)
			}
		}
	}
}
