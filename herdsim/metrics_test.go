package herdsim

import (
	"math"
	"testing"
)

func herdOf(jobs, retries int, t ...float64) *Herd {
	return &Herd{Jobs: jobs, Retries: retries, T: t}
}

// Three jobs, two retries each, times chosen by hand:
//
//	job 0: 1    3
//	job 1: 1.1  4
//	job 2: 4    10
func TestMeasureThreeJobs(t *testing.T) {
	h := herdOf(3, 2, 1, 3, 1.1, 4, 4, 10)
	got := Measure(h)
	// herd_peak: retry 0 at {1, 1.1, 4}, median 1.1, window 0.11 holds 1 and
	// 1.1: 2/3. Retry 1 at {3, 4, 10}, median 4, window 0.4: 1/3.
	// wait_cv: retry 0 waits {1, 1.1, 4}: mean 61/30, population variance
	// 5.80667/3, cv 0.684218; retry 1 waits {2, 2.9, 6}: mean 109/30,
	// variance 8.80667/3, cv 0.471563; their mean 0.577890.
	// idle_fraction: span [1, 10], windows of 0.09; the six times fall in
	// windows 0, 1, 22, 33, 33 and 99: 5 of 100 used, so 0.95 idle.
	// peak_to_mean: 2 in window 33 over a mean of 6/100.
	// p50, p99 of the last retry {3, 4, 10}: ranks 2 and 3.
	want := Metrics{HerdPeak: 2.0 / 3, IdleFraction: 0.95, WaitCV: 0.577890, PeakToMean: 2 / 0.06, P50: 4, P99: 10}
	checkMetrics(t, got, want)
}

func TestMeasureLockstep(t *testing.T) {
	// Three jobs in lockstep: everyone at once, every wait the same.
	got := Measure(herdOf(3, 2, 5, 10, 5, 10, 5, 10))
	want := Metrics{HerdPeak: 1, IdleFraction: 0.98, WaitCV: 0, PeakToMean: 50, P50: 10, P99: 10}
	checkMetrics(t, got, want)
}

func TestMeasureEdges(t *testing.T) {
	// One retry each, all at one instant: the span is empty, so every retry
	// is in window 0.
	got := Measure(herdOf(3, 1, 2, 2, 2))
	checkMetrics(t, got, Metrics{HerdPeak: 1, IdleFraction: 0.99, WaitCV: 0, PeakToMean: 100, P50: 2, P99: 2})
	// Three jobs spread so that no two share a herd window: 1/3.
	got = Measure(herdOf(3, 1, 1, 2, 3))
	if got.HerdPeak != 1.0/3 {
		t.Errorf("spread herd: HerdPeak = %v, want 1/3", got.HerdPeak)
	}
	// The herd window is closed: 1.8 and 2 are 0.2 apart, and the median is 2.
	got = Measure(herdOf(3, 1, 1.8, 2, 5))
	if got.HerdPeak != 2.0/3 {
		t.Errorf("closed window: HerdPeak = %v, want 2/3", got.HerdPeak)
	}
	if got := Measure(&Herd{}); got != (Metrics{}) {
		t.Errorf("empty herd: %+v, want zero metrics", got)
	}
}

func checkMetrics(t *testing.T, got, want Metrics) {
	t.Helper()
	pairs := []struct {
		name      string
		got, want float64
	}{
		{"herd_peak", got.HerdPeak, want.HerdPeak},
		{"idle_fraction", got.IdleFraction, want.IdleFraction},
		{"wait_cv", got.WaitCV, want.WaitCV},
		{"peak_to_mean", got.PeakToMean, want.PeakToMean},
		{"p50", got.P50, want.P50},
		{"p99", got.P99, want.P99},
	}
	for _, p := range pairs {
		if math.Abs(p.got-p.want) > 5e-7 {
			t.Errorf("%s = %v, want %v", p.name, p.got, p.want)
		}
	}
}

func TestMaxInWindow(t *testing.T) {
	tests := []struct {
		s    []float64
		w    float64
		want int
	}{
		{[]float64{1}, 0, 1},
		{[]float64{1, 1, 1}, 0, 3},
		{[]float64{0, 1, 2, 3}, 1, 2},
		{[]float64{0, 0.5, 1, 5, 5.1, 5.2}, 1, 3},
		{[]float64{0, 1, 2, 3}, 10, 4},
	}
	for _, tt := range tests {
		if got := maxInWindow(tt.s, tt.w); got != tt.want {
			t.Errorf("maxInWindow(%v, %v) = %d, want %d", tt.s, tt.w, got, tt.want)
		}
	}
}

func TestWindow(t *testing.T) {
	for _, tt := range []struct {
		t, lo, hi float64
		want      int
	}{{0, 0, 1, 0}, {0.0099, 0, 1, 0}, {0.01, 0, 1, 1}, {0.999, 0, 1, 99}, {1, 0, 1, 99}, {3, 3, 3, 0}} {
		if got := window(tt.t, tt.lo, tt.hi); got != tt.want {
			t.Errorf("window(%v, %v, %v) = %d, want %d", tt.t, tt.lo, tt.hi, got, tt.want)
		}
	}
}
