package herdsim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/backoff-node/backoff-node/backoff"
)

// TestEqualMedianByHand: two strategies, by hand. Constant 1 s: every job
// retries at 1, 2, 3 s, so the median last retry is 3 s; at a target of
// 6 s the factor is 2, the retries fall at 2, 4, 6 s, two in each window of
// 0.06 s against an even 6/100 a window (33.3), and the first wait is 2 s.
// A two-job strategy whose job 0 waits 1 s and job 1 waits 3 s before each
// of 2 retries: last retries at 2 and 6 s, median (nearest rank) 2 s, so
// at a target of 4 s the factor is 2, times 2, 4 | 6, 12, first waits 2
// and 6 (median 4, the mean of the middle two), every window holds at most
// one retry: 1/(4/100) = 25.
func TestEqualMedianByHand(t *testing.T) {
	rows := EqualMedian([]Entry{{Name: "constant", Strategy: Of(backoff.Constant{Interval: 1})}}, 2, 3, 1, 3, 6)
	r := rows[0]
	if r.Factor != 2 || r.P50 != 6 || math.Abs(r.BusiestWindow-2/0.06) > 1e-9 || r.FirstWait != 2 || r.HerdPeak != 1 {
		t.Errorf("constant: %+v; want factor 2, p50 6, busiest 33.33, first wait 2, herd_peak 1", r)
	}
	job := 0
	two := StrategyFunc(func(dst []float64, _ *rand.Rand) {
		w := []float64{1, 3}[job%2]
		job++
		for k := range dst {
			dst[k] = w
		}
	})
	r = EqualMedian([]Entry{{Name: "two", Strategy: two}}, 2, 2, 1, 1, 4)[0]
	if r.Factor != 2 || r.P50 != 4 || r.P99 != 12 || math.Abs(r.BusiestWindow-25) > 1e-9 || r.FirstWait != 4 {
		t.Errorf("two: %+v; want factor 2, p50 4, p99 12, busiest 25, first wait 4", r)
	}
}
