package herdsim

import "github.com/backoff-node/backoff-node/backoff"

// A ControlSpec is a retry control a policy can name after a +: how to make
// one client's control, at its published defaults (the library's zero
// values), and where its rule comes from.
type ControlSpec struct {
	Name   string
	Rule   string // the rule, for people
	Source string
	New    func() backoff.Control
}

// Controls returns the retry controls of the lab, in a fixed order: the
// published ones, then this project's (credit).
func Controls() []ControlSpec {
	return []ControlSpec{
		{"budget", "retries ≤ 0.2 × first attempts + 10/s, over a sliding 10 s window", "Finagle RetryBudget",
			func() backoff.Control {
				return backoff.NewBudget(backoff.DefaultBudgetRatio, backoff.DefaultBudgetMinPerSecond, backoff.DefaultBudgetWindow)
			}},
		{"grpc", "tokens from 10: −1 a failure, +0.1 a success; no retry at or below 5", "gRFC A6 retry throttling",
			func() backoff.Control { return &backoff.GRPCThrottle{} }},
		{"aws", "500 tokens; a retry costs 5 (10 after a timeout); a success refunds it, or adds 1", "AWS SDKs, standard mode",
			func() backoff.Control { return &backoff.AWSQuota{} }},
		{"adaptive", "the aws quota plus a CUBIC rate limiter on every attempt, cut on throttling", "AWS SDKs, adaptive mode (botocore)",
			func() backoff.Control { return &backoff.AWSAdaptive{} }},
		{"bucket", "bucket of 5 tokens, +0.1 a success, −1 a retry", "Brooker, \"Fixing retries with token buckets and circuit breakers\" (2022)",
			func() backoff.Control { return &backoff.TokenBucket{} }},
		{"breaker", "opens at 50 % failures over the last 100 attempts, refuses all for 60 s, then 10 probes", "Resilience4j CircuitBreaker defaults",
			func() backoff.Control { return &backoff.Breaker{} }},
		{"credit", "credit 4, +1 a success, −1 a retry; and a gate of 20, +1 a success, −1 a failure, no retry at or below 10", "this project (backoff.RetryCredit)",
			func() backoff.Control { return &backoff.RetryCredit{} }},
	}
}
