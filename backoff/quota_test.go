package backoff_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/backoff-node/backoff-node/backoff"
)

func TestAWSQuota(t *testing.T) {
	tests := []stepCase[*backoff.AWSQuota]{
		{"defaults: costs and refunds", &backoff.AWSQuota{}, []step{
			{Attempt: 1, OK: true, Done: success, After: "500"}, // full: the +1 is lost
			{Attempt: 1, OK: true, Done: failure, After: "500"},
			{Attempt: 2, Last: failure, OK: true, Cost: 5, Done: failure, After: "495"},
			{Attempt: 3, Last: timeout, OK: true, Cost: 10, Done: success, After: "495"}, // refunds its 10
			{Attempt: 1, OK: true, Done: success, After: "496"},
			{Attempt: 2, Last: throttled, OK: true, Cost: 5, Done: unsent, After: "496"},
			{Attempt: 2, Last: throttled, OK: true, Cost: 5, Done: timeout, After: "491"},
		}},
		{"defaults: a dead service drains it in 100 retries", &backoff.AWSQuota{}, []step{
			{Attempt: 2, Last: failure, OK: true, Cost: 5, Done: failure, Repeat: 99, After: "5"},
			{Attempt: 3, Last: timeout, OK: false, After: "5"}, // 10 > 5
			{Attempt: 2, Last: failure, OK: true, Cost: 5, Done: failure, After: "0"},
			{Attempt: 2, Last: failure, OK: false},
			{Attempt: 1, OK: true, Done: success, Repeat: 4, After: "4"},
			{Attempt: 2, Last: failure, OK: false},
			{Attempt: -1, OK: true, Done: success, After: "5"}, // attempt -1 counts as a first
			{Attempt: 2, Last: failure, OK: true, Cost: 5, Done: inFlight, After: "0"},
		}},
		{"other costs", &backoff.AWSQuota{Capacity: 10, RetryCost: 3, TimeoutCost: 7, NoRetryIncrement: 0.5}, []step{
			{Attempt: 2, Last: timeout, OK: true, Cost: 7, Done: failure, After: "3"},
			{Attempt: 2, Last: failure, OK: true, Cost: 3, Done: failure, After: "0"},
			{Attempt: 1, OK: true, Done: success, Repeat: 6, After: "3"},
			{Attempt: 2, Last: failure, OK: true, Cost: 3, Done: success, After: "3"},
		}},
	}
	runCases(t, func(q *backoff.AWSQuota) string { return fmt.Sprint(q.Tokens()) }, tests)
}

// TestAWSQuotaProperty: over random outcome streams the bucket stays in
// [0, Capacity], and against a service that never answers the retries
// cost at most Capacity.
func TestAWSQuotaProperty(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 3))
		var q backoff.AWSQuota
		p := r.Float64()
		if seed%4 == 0 {
			p = 1
		}
		spent := 0.0
		for range 1000 {
			last := []backoff.Outcome{failure, timeout, throttled}[r.IntN(3)]
			tk := q.Allow(t0, 1+r.IntN(4), last)
			o := success
			if r.Float64() < p {
				o = last
			}
			if tk.OK {
				spent += tk.Cost
				q.Done(t0, tk, o)
			}
			if n := q.Tokens(); n < 0 || n > 500 {
				t.Fatalf("seed %d: bucket %v outside [0, 500]", seed, n)
			}
		}
		if p == 1 && spent > 500 {
			t.Errorf("seed %d: a dead service got %v tokens of retries, more than the capacity", seed, spent)
		}
	}
}
