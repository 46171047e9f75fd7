package backoff_test

import (
	"fmt"

	"github.com/backoff-node/backoff-node/backoff"
)

func ExampleStaggered_FillKey() {
	s := backoff.Staggered{Base: 1, Max: 8, Low: backoff.StaggeredLow}
	d := make([]float64, 5)
	for key := uint64(0); key < 3; key++ {
		s.FillKey(d, key)
		fmt.Printf("job %d: phase %.3f, delays %.3f s\n", key, backoff.Phase(key), d)
	}
	// Output:
	// job 0: phase 0.000, delays [0.500 1.000 2.000 4.000 4.000] s
	// job 1: phase 0.618, delays [0.809 1.618 3.236 6.472 6.472] s
	// job 2: phase 0.236, delays [0.618 1.236 2.472 4.944 4.944] s
}

func ExampleAnchored_FillKey() {
	a := backoff.Anchored{Base: 1, Max: 8}
	d := make([]float64, 5)
	for key := uint64(0); key < 3; key++ {
		a.FillKey(d, key)
		fmt.Printf("job %d: delays %.3f s\n", key, d)
	}
	start, width := a.Window(4)
	fmt.Printf("retry 4 falls in [%g, %g) s\n", start, start+width)
	// Output:
	// job 0: delays [0.000 2.104 0.784 6.944 0.000] s
	// job 1: delays [0.618 0.340 6.875 0.000 0.000] s
	// job 2: delays [0.236 2.576 1.965 0.000 5.889] s
	// retry 4 falls in [5, 13) s
}
