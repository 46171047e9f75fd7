package backoff_test

import (
	"fmt"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
)

// A key names a schedule: this example fixes one so that its output is
// the same on every run. Retry draws a fresh key per call unless given
// WithSeed.
func ExampleExponential() {
	e := backoff.Exponential{Base: 0.1, Max: 2, Jitter: 0.1}
	c := backoff.Cursor{Strategy: e, Key: 42}
	for range 6 {
		fmt.Printf("%v ", backoff.Duration(c.Next()).Round(time.Millisecond))
	}
	fmt.Println()
	// Output:
	// 107ms 203ms 411ms 828ms 1.606s 2s
}
