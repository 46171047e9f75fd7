package herdsim

import "testing"

// BenchmarkHerd10kx20 simulates and measures 10,000 jobs × 20 retries for
// every strategy of the lab: one op is all of them.
func BenchmarkHerd10kx20(b *testing.B) {
	entries := Lab()
	var h Herd
	var m Meter
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for _, e := range entries {
			Simulate(&h, e.Strategy, 10000, 20, uint64(i))
			m.Measure(&h)
		}
	}
}

// BenchmarkContend100 is one run of the contention experiment with 100
// clients backing off with full jitter.
func BenchmarkContend100(b *testing.B) {
	s := AWSStrategies()[3].Strategy
	b.ReportAllocs()
	for b.Loop() {
		Contend(s, 100, 1, 1)
	}
}
