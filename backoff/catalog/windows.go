package catalog

import "math"

// windows is the schedule Anchored and Paced share: retry k is due at a
// point of window k, fixed in time since the first failure. Window k is
// I_k = min(max, base·growth^k) wide and starts at start·W_k, W_k being the
// earlier windows together.
type windows struct {
	base, max, growth, start float64
}

// window returns the start and width of window k.
func (s windows) window(k int) (start, width float64) {
	w, t := 0.0, s.base
	for j := 0; j < k; j++ {
		if t >= s.max {
			w += float64(float64(k-j) * s.max)
			break
		}
		w += t
		t *= s.growth
	}
	return s.start * w, math.Min(s.max, t)
}

// delayAt returns d_k for the place u in [0, 1) of window k when elapsed
// seconds have passed since the first failure.
func (s windows) delayAt(k int, u, elapsed float64) float64 {
	start, width := s.window(k)
	return s.delay(start+float64(u*width), elapsed) // no fused multiply-add
}

// delay is the time from elapsed until due, between 0 and max. Without a
// cap the windows overflow: due is +Inf, or NaN for place 0 (0·Inf), and
// the delay is max.
func (s windows) delay(due, elapsed float64) float64 {
	if math.IsInf(due, 1) || math.IsNaN(due) {
		return s.max
	}
	return math.Min(s.max, math.Max(0, due-elapsed))
}
