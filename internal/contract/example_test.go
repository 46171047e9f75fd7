package contract_test

import (
	"fmt"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/internal/contract"
)

func ExampleLookup() {
	s, err := contract.Lookup("buckets", contract.DefaultParams())
	if err != nil {
		fmt.Println(err)
		return
	}
	// Buckets run in units of base_delay/8 and are capped at max_delay.
	c := backoff.Cursor{Strategy: s, Key: contract.Key(s, 1)}
	var ms []int64
	for range 5 {
		ms = append(ms, contract.Millis(c.Next()))
	}
	fmt.Println(ms)
	_, err = contract.Lookup("fibonacci", contract.DefaultParams())
	fmt.Println(err)
	// Output:
	// [74 219 258 631 1987]
	// unknown strategy "fibonacci"; valid: anchored, buckets, constant, decorrelated_jitter, decorrelated_jitter_v2, equal_jitter, exponential, exponential_min, full_jitter, paced, sawtooth, sidekiq, staggered
}
