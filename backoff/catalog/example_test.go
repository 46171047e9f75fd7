package catalog_test

import (
	"fmt"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/backoff/catalog"
)

// The examples use job ids as keys: these strategies are built for them,
// and the schedules they print are the same on every run.
func ExampleStaggered() {
	s := catalog.Staggered{Base: 1, Max: 8, Low: catalog.StaggeredLow}
	d := make([]float64, 5)
	for key := uint64(0); key < 3; key++ {
		c := backoff.Cursor{Strategy: s, Key: key}
		c.Fill(d)
		fmt.Printf("job %d: phase %.3f, delays %.3f s\n", key, catalog.Phase(key), d)
	}
	// Output:
	// job 0: phase 0.000, delays [0.500 1.000 2.000 4.000 4.000] s
	// job 1: phase 0.618, delays [0.809 1.618 3.236 6.472 6.472] s
	// job 2: phase 0.236, delays [0.618 1.236 2.472 4.944 4.944] s
}

func ExampleAnchored() {
	a := catalog.Anchored{Base: 1, Max: 8}
	d := make([]float64, 5)
	for key := uint64(0); key < 3; key++ {
		c := backoff.Cursor{Strategy: a, Key: key}
		c.Fill(d)
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

// The delays were checked against an independent reimplementation (Python,
// exact integer arithmetic for the phases).
func ExamplePaced() {
	p := catalog.Paced{Base: 1, Max: 8}
	d := make([]float64, 8)
	for key := uint64(0); key < 3; key++ {
		c := backoff.Cursor{Strategy: p, Key: key}
		c.Fill(d)
		fmt.Printf("job %d: delays %.3f s\n", key, d)
	}
	start, width := p.Window(7)
	fmt.Printf("retry 7 falls in [%.2f, %.2f) s\n", start, start+width)
	// Output:
	// job 0: delays [0.000 1.815 0.906 1.328 1.385 1.588 8.000 5.395] s
	// job 1: delays [0.618 0.657 0.682 1.011 4.937 2.612 3.828 3.015] s
	// job 2: delays [0.236 0.498 2.458 1.523 1.661 1.980 2.933 8.000] s
	// retry 7 falls in [14.94, 22.94) s
}
