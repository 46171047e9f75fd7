package backoff_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/backoff-node/backoff-node/backoff"
)

func TestTokenBucket(t *testing.T) {
	tests := []stepCase[*backoff.TokenBucket]{
		{"defaults: 5 retries of credit, 10 successes a retry", &backoff.TokenBucket{}, []step{
			{Attempt: 1, OK: true, Done: failure, After: "5"},
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: failure, Repeat: 5, After: "0"},
			{Attempt: 3, Last: timeout, OK: false},
			{Attempt: 1, OK: true, Done: success, Repeat: 9, After: "0.9"},
			{Attempt: 2, Last: failure, OK: false}, // not a whole token
			{Attempt: 1, OK: true, Done: success, After: "1"},
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: success, After: "0.1"},
			{Attempt: 0, OK: true, Done: success, Repeat: 100, After: "5"}, // full
		}},
		{"an unsent retry gives its token back", &backoff.TokenBucket{Size: 1}, []step{
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: unsent, After: "1"},
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: inFlight, After: "0"},
			{Attempt: 2, Last: failure, OK: false},
		}},
		{"a deposit of a whole token", &backoff.TokenBucket{Deposit: 1, Size: 2}, []step{
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: failure, Repeat: 2, After: "0"},
			{Attempt: 1, OK: true, Done: success, After: "1"},
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: success, After: "1"},
		}},
	}
	runCases(t, func(b *backoff.TokenBucket) string { return fmt.Sprint(b.Tokens()) }, tests)
}

// TestTokenBucketBound: over random outcome streams, retries never exceed
// Deposit·successes + Size.
func TestTokenBucketBound(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 4))
		b := backoff.TokenBucket{Deposit: float64(1+r.IntN(1000)) / 1000, Size: float64(1 + r.IntN(10))}
		if err := fundedRetries(&b, r, r.Float64(), b.Deposit, b.Size); err != nil {
			t.Fatalf("seed %d (%+v): %v", seed, &b, err)
		}
	}
}
