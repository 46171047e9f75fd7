package backoff_test

import (
	"fmt"

	"github.com/backoff-node/backoff-node/backoff"
)

func ExampleExponential() {
	e := backoff.Exponential{Base: 0.1, Max: 2, Jitter: 0.1}
	for _, d := range backoff.Schedule(e, 6, backoff.NewRand(1)) {
		fmt.Printf("%.0f ", d*1000)
	}
	fmt.Println()
	// Output:
	// 107 213 409 819 1700 2000
}

func ExampleExponential_Delay() {
	e := backoff.Exponential{Base: 0.1, Max: 2, Jitter: 0.1}
	// Retry 2 with the jitter draw u = 0.5: 0.1 · 2² · (1 + 0.1·0.5).
	fmt.Printf("%.3f s\n", e.Delay(2, 0.5))
	// Output:
	// 0.420 s
}
