package herdsim_test

import (
	"fmt"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/backoff/catalog"
	"github.com/backoff-node/backoff-node/herdsim"
)

func ExampleMeasure() {
	// Four jobs that all retry after 1 s, then after 2 s more: a herd.
	var h herdsim.Herd
	herdsim.Simulate(&h, herdsim.Of(catalog.ExponentialMin{Min: 0, Unit: 1, Factor: 2}), 4, 2, 1)
	m := herdsim.Measure(&h)
	fmt.Printf("T(0,·) = %v, %v s\n", h.At(0, 0), h.At(0, 1))
	fmt.Printf("herd_peak %.2f idle_fraction %.2f wait_cv %.2f\n", m.HerdPeak, m.IdleFraction, m.WaitCV)
	// Output:
	// T(0,·) = 1, 3 s
	// herd_peak 1.00 idle_fraction 0.98 wait_cv 0.00
}

func ExampleContend() {
	// AWS's experiment with 10 clients and full jitter, 100 runs.
	full := backoff.FullJitter{Base: 2 * herdsim.AWSBase, Max: herdsim.AWSCap}
	r := herdsim.Contend(herdsim.Of(full), 10, herdsim.AWSRuns, 1)
	fmt.Printf("%d clients: %.0f calls, done after %.0f ms\n", r.Clients, r.Calls, r.Time)
	// Output:
	// 10 clients: 39 calls, done after 473 ms
}
