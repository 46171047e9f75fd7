package herdsim

import (
	"math"
	"strings"
	"testing"

	"github.com/backoff-node/backoff-node/backoff/catalog"
	"github.com/backoff-node/backoff-node/internal/contract"
)

func TestSimulateSumsDelays(t *testing.T) {
	var h Herd
	Simulate(&h, Of(catalog.ExponentialMin{Min: 1, Unit: 1, Factor: 2}), 3, 4, 1)
	// Delays 2, 3, 5, 9: retries at 2, 5, 10, 19 for every job.
	want := []float64{2, 5, 10, 19}
	for j := 0; j < 3; j++ {
		for k, w := range want {
			if got := h.At(j, k); got != w {
				t.Fatalf("T(%d,%d) = %v, want %v", j, k, got, w)
			}
		}
	}
}

func TestSimulateKeyedJobsAreConsecutive(t *testing.T) {
	s := catalog.Staggered{Base: 1, Max: math.Inf(1), Low: catalog.StaggeredLow}
	var h Herd
	Simulate(&h, Of(s), 5, 3, 42)
	first := catalog.NewRand(42).Uint64()
	for j := 0; j < 5; j++ {
		a := s.Delay(0, first+uint64(j), 0, 0) // the job's scale
		for k, w := range []float64{a, 3 * a, 7 * a} {
			if got := h.At(j, k); math.Abs(got-w) > 1e-12 {
				t.Fatalf("T(%d,%d) = %v, want %v", j, k, got, w)
			}
		}
	}
}

func TestSimulateReproducibleAndAllocFree(t *testing.T) {
	var a, b Herd
	for _, e := range Lab() {
		Simulate(&a, e.Strategy, 50, 10, 7)
		Simulate(&b, e.Strategy, 50, 10, 7)
		for i := range a.T {
			if a.T[i] != b.T[i] {
				t.Fatalf("%s: seed 7 gave two herds, differing at %d", e.Name, i)
			}
		}
		r := catalog.NewRand(1)
		if n := testing.AllocsPerRun(20, func() { SimulateRand(&a, e.Strategy, 50, 10, r) }); n != 0 {
			t.Errorf("%s: SimulateRand allocates %v times into a herd with room, want 0", e.Name, n)
		}
	}
	var m Meter
	m.Measure(&a)
	if n := testing.AllocsPerRun(20, func() { m.Measure(&a) }); n != 0 {
		t.Errorf("Meter.Measure allocates %v times, want 0 once warm", n)
	}
}

// Every strategy the node offers is in the lab, and every strategy of the
// lab is one the node offers or a variant of one (NAME_variant).
func TestLabCoversRegistry(t *testing.T) {
	lab := map[string]bool{}
	for _, e := range Lab() {
		lab[e.Name] = true
	}
	registered := map[string]bool{}
	for _, name := range contract.Names() {
		registered[name] = true
		if !lab[name] {
			t.Errorf("strategy %q is registered but not in the lab", name)
		}
	}
	for name := range lab {
		base := name
		for !registered[base] && strings.Contains(base, "_") {
			base = base[:strings.LastIndex(base, "_")]
		}
		if !registered[base] {
			t.Errorf("lab strategy %q is neither registered nor a variant of a registered one", name)
		}
	}
}
