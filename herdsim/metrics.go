package herdsim

import (
	"math"
	"slices"
)

// Constants of the metrics.
const (
	// Windows is how many equal windows the span from the first to the last
	// retry is cut into for IdleFraction and PeakToMean.
	Windows = 100
	// HerdWindow is the width of the herd window for retry k, as a share of
	// the median T(·,k).
	HerdWindow = 0.1
)

// Metrics describe how the retries of a herd spread over time.
type Metrics struct {
	// HerdPeak is, for each retry number k, the largest share of the jobs
	// whose retry k falls inside one window as wide as HerdWindow times the
	// median T(·,k); the maximum over k. 1 means every job retried at once.
	HerdPeak float64 `json:"herd_peak"`
	// IdleFraction is the share of the Windows equal windows between the
	// first and the last retry that hold no retry at all.
	IdleFraction float64 `json:"idle_fraction"`
	// WaitCV is, for each k, the coefficient of variation (population) of
	// the wait T(j,k) − T(j,k−1) over the jobs, with T(j,−1) = 0, averaged
	// over k. 0 means every job waits the same before a given retry.
	WaitCV float64 `json:"wait_cv"`
	// PeakToMean is the largest retry count of the Windows windows divided
	// by their mean.
	PeakToMean float64 `json:"peak_to_mean"`
	// P50 and P99 are percentiles, over the jobs, of the time of the last
	// retry, in seconds (nearest rank).
	P50 float64 `json:"p50_s"`
	P99 float64 `json:"p99_s"`
}

// A Meter computes Metrics, reusing its scratch space between calls so that
// measuring many herds of the same size does not allocate. The zero value is
// ready to use; a Meter is not safe for concurrent use.
type Meter struct {
	col  []float64 // T(·,k), sorted
	bins []int
}

// Measure returns the metrics of h. A herd with no jobs or no retries has
// zero metrics.
func Measure(h *Herd) Metrics {
	var m Meter
	return m.Measure(h)
}

// Measure returns the metrics of h.
func (m *Meter) Measure(h *Herd) Metrics {
	n, r := h.Jobs, h.Retries
	if n == 0 || r == 0 {
		return Metrics{}
	}
	m.col = slices.Grow(m.col[:0], n)[:n]
	var out Metrics

	// herd_peak: per k, sort T(·,k) and slide a window over it.
	for k := 0; k < r; k++ {
		for j := 0; j < n; j++ {
			m.col[j] = h.T[j*r+k]
		}
		slices.Sort(m.col)
		w := HerdWindow * median(m.col)
		if p := float64(maxInWindow(m.col, w)) / float64(n); p > out.HerdPeak {
			out.HerdPeak = p
		}
	}
	// The column left sorted is T(·,r−1): the time of the last retry.
	out.P50 = nearestRank(m.col, 0.50)
	out.P99 = nearestRank(m.col, 0.99)

	// wait_cv: per k, mean and variance of the waits, in one pass each.
	var cvSum float64
	for k := 0; k < r; k++ {
		var sum float64
		for j := 0; j < n; j++ {
			sum += wait(h, j, k)
		}
		mean := sum / float64(n)
		var ss float64
		for j := 0; j < n; j++ {
			d := wait(h, j, k) - mean
			ss += d * d
		}
		if mean != 0 {
			cvSum += math.Sqrt(ss/float64(n)) / math.Abs(mean)
		}
	}
	out.WaitCV = cvSum / float64(r)

	// idle_fraction and peak_to_mean over Windows windows of the span.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, t := range h.T {
		lo, hi = math.Min(lo, t), math.Max(hi, t)
	}
	m.bins = slices.Grow(m.bins[:0], Windows)[:Windows]
	clear(m.bins)
	for _, t := range h.T {
		m.bins[window(t, lo, hi)]++
	}
	idle, peak := 0, 0
	for _, c := range m.bins {
		if c == 0 {
			idle++
		}
		peak = max(peak, c)
	}
	out.IdleFraction = float64(idle) / Windows
	out.PeakToMean = float64(peak) / (float64(len(h.T)) / Windows)
	return out
}

// window returns the index of the window of [lo, hi] that holds t. The
// windows are half-open, [lo+i·w, lo+(i+1)·w), except the last, which also
// holds hi. When lo == hi everything is in window 0.
func window(t, lo, hi float64) int {
	if hi <= lo {
		return 0
	}
	i := int((t - lo) / (hi - lo) * Windows)
	return min(max(i, 0), Windows-1)
}

// wait returns T(j,k) − T(j,k−1), with T(j,−1) = 0.
func wait(h *Herd, j, k int) float64 {
	i := j*h.Retries + k
	if k == 0 {
		return h.T[i]
	}
	return h.T[i] - h.T[i-1]
}

// median returns the median of the sorted, non-empty s: the middle value,
// or the mean of the two middle values.
func median(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// nearestRank returns the p-quantile of the sorted, non-empty s by the
// nearest-rank method: the smallest value with at least p·len(s) values at
// or below it.
func nearestRank(s []float64, p float64) float64 {
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// maxInWindow returns the largest number of values of the sorted s that fit
// in one closed window [a, a+w].
func maxInWindow(s []float64, w float64) int {
	best, lo := 0, 0
	for hi, v := range s {
		for v-s[lo] > w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}
