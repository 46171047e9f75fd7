package catalog

import (
	"math"
	"testing"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/backoff/internal/approx"
)

func TestExponentialMinDelay(t *testing.T) {
	blog := ExponentialMin{Min: 180, Unit: 60, Factor: ExponentialMinFactor}
	tests := []struct {
		e    ExponentialMin
		k    int
		want float64
	}{
		{blog, 0, 240},
		{blog, 1, 300},
		{blog, 3, 660},
		{blog, 5, 2100},
		{blog, 2000, math.Inf(1)}, // 2^2000 overflows
		{ExponentialMin{Min: 0.3, Unit: 0.1, Factor: 1}, 7, 0.4},
		{ExponentialMin{Min: 0, Unit: 1, Factor: 3}, 4, 81},
	}
	for _, tt := range tests {
		if got := tt.e.Delay(tt.k, 0, 0, 0); !approx.Equal(got, tt.want) {
			t.Errorf("%+v.Delay(%d) = %v, want %v", tt.e, tt.k, got, tt.want)
		}
	}
}

func TestSidekiqDelay(t *testing.T) {
	s := Sidekiq{Spread: SidekiqSpread}
	tests := []struct {
		s    Sidekiq
		k    int
		u    float64
		want float64
	}{
		{s, 0, 0, 15},
		{s, 0, 0.5, 30},
		{s, 1, 0.25, 1 + 15 + 15},
		{s, 4, 0, 271},
		{s, 4, 0.999, 271 + 0.999*150},
		{s, 24, 0, 331791}, // 24^4 + 15: the last of Sidekiq's 25 retries
		{Sidekiq{Spread: Sidekiq8Spread}, 2, 0.5, 16 + 15 + 15},
	}
	for _, tt := range tests {
		if got := tt.s.delay(tt.k, tt.u); !approx.Equal(got, tt.want) {
			t.Errorf("%+v.Delay(%d, %v) = %v, want %v", tt.s, tt.k, tt.u, got, tt.want)
		}
	}
}

func TestBucketsDelay(t *testing.T) {
	tests := []struct {
		k    int
		u    float64
		want float64
	}{
		{0, 0, 0}, {0, 0.5, 4}, {1, 0, 1}, {1, 0.5, 14}, {2, 0.25, 8 + 14}, {9, 0.999, 729 + 0.999*602},
	}
	for _, tt := range tests {
		if got := (Buckets{}).delay(tt.k, tt.u); !approx.Equal(got, tt.want) {
			t.Errorf("Delay(%d, %v) = %v, want %v", tt.k, tt.u, got, tt.want)
		}
	}
}

func TestDecorrelatedJitterV2(t *testing.T) {
	p := DecorrelatedJitterV2{Median: 1.4}
	f := func(t float64) float64 { return math.Exp2(t) * math.Tanh(math.Sqrt(4*t)) }
	tests := []struct {
		n    int
		u    float64
		want float64 // T_n
	}{
		{0, 0, 0},
		{0, 0.5, f(0.5)},
		{1, 0, 2 * math.Tanh(2)},
		{3, 0.25, f(3.25)},
	}
	for _, tt := range tests {
		if got := p.Time(tt.n, tt.u); !approx.Equal(got, tt.want) {
			t.Errorf("Time(%d, %v) = %v, want %v", tt.n, tt.u, got, tt.want)
		}
	}
	// Median/1.4 scales f: with Median 1.4 the scale is exactly 1.
	if got, want := p.delay(2, 0.5, 0.25), f(2.5)-f(1.25); !approx.Equal(got, want) {
		t.Errorf("Delay(2, 0.5, 0.25) = %v, want %v", got, want)
	}
	if got := p.delay(0, 0.5, 0.99); !approx.Equal(got, f(0.5)) {
		t.Errorf("Delay(0, 0.5, _) = %v, want T_0 = %v", got, f(0.5))
	}
	if got := p.delay(1100, 0.5, 0.5); !math.IsInf(got, 1) {
		t.Errorf("Delay(1100, ...) = %v, want +Inf once f overflows", got)
	}
}

func TestStaggered(t *testing.T) {
	if got, want := Phase(1), (math.Sqrt(5)-1)/2; math.Abs(got-want) > 1e-15 {
		t.Errorf("Phase(1) = %v, want the golden ratio's fraction %v", got, want)
	}
	if got := Phase(0); got != 0 {
		t.Errorf("Phase(0) = %v, want 0", got)
	}
	s := Staggered{Base: 1, Max: 8, Low: StaggeredLow}
	tests := []struct {
		k           int
		phase, want float64
	}{
		{0, 0, 0.5},
		{0, 0.5, 0.75},
		{3, 0, 4},
		{3, 0.999, 8 * 0.9995},
		{4, 0.5, 6}, // capped interval, scale kept
		{math.MaxInt32, 0.5, 6},
	}
	for _, tt := range tests {
		if got := s.delay(tt.k, tt.phase); !approx.Equal(got, tt.want) {
			t.Errorf("Delay(%d, %v) = %v, want %v", tt.k, tt.phase, got, tt.want)
		}
	}
	checkWorkedTable(t, s, [][]float64{{0.5, 1, 2, 4, 4}, {0.809, 1.618, 3.236, 6.472, 6.472}})
	// Consecutive keys spread evenly: any 100 consecutive keys leave no gap
	// wider than 2/100 in [0, 1) (three-gap theorem; N·gap stays below 1.9 for golden-ratio steps).
	for _, start := range []uint64{0, 1, 12345, math.MaxUint64 - 50} {
		var seen [100]float64
		for i := range seen {
			seen[i] = Phase(start + uint64(i))
		}
		if g := maxCircularGap(seen[:]); g > 0.02 {
			t.Errorf("keys %d..+99: largest gap between phases %v, want <= 0.02", start, g)
		}
	}
}

func TestAnchored(t *testing.T) {
	a := Anchored{Base: 1, Max: 8}
	windows := []struct {
		k            int
		start, width float64
	}{
		{0, 0, 1},
		{1, 0.25, 3},
		{2, 1, 8}, // 9, capped
		{3, 3, 8},
		{10, 17, 8},
		{math.MaxInt32, 0.25 * (4 + float64(math.MaxInt32-2)*8), 8},
	}
	for _, tt := range windows {
		if start, width := a.Window(tt.k); !approx.Equal(start, tt.start) || !approx.Equal(width, tt.width) {
			t.Errorf("Window(%d) = %v, %v; want %v, %v", tt.k, start, width, tt.start, tt.width)
		}
	}
	tests := []struct {
		k                int
		u, elapsed, want float64
	}{
		{0, 0, 0, 0},
		{0, 0.5, 0, 0.5},
		{1, 0.5, 0.5, 0.25 + 1.5 - 0.5},
		{1, 0, 2, 0},           // due at 0.25, already past: at once
		{2, 0.999, 0, 8},       // due at 8.992, but no delay exceeds Max
		{3, 0.5, 6.5, 0.5},     // due at 3 + 4
		{10, 0.25, 15, 4},      // due at 17 + 2
		{5, 1, math.Inf(1), 0}, // nothing is ever due after forever
	}
	for _, tt := range tests {
		if got := a.windows().delayAt(tt.k, tt.u, tt.elapsed); !approx.Equal(got, tt.want) {
			t.Errorf("Delay(%d, %v, %v) = %v, want %v", tt.k, tt.u, tt.elapsed, got, tt.want)
		}
	}
	// Uncapped, the windows overflow to +Inf and so do the delays, never
	// NaN, even at phase 0 (0·Inf).
	inf := Anchored{Base: 1, Max: math.Inf(1)}
	for _, u := range []float64{0, 0.5} {
		if got := inf.windows().delayAt(700, u, 1e300); !math.IsInf(got, 1) {
			t.Errorf("uncapped Delay(700, %v, ...) = %v, want +Inf", u, got)
		}
	}
	if d := inf.Delay(700, math.MaxUint64-699, 0, 1e300); !math.IsInf(d, 1) { // Phase(key + 700) = Phase(0) = 0
		t.Errorf("uncapped Delay(700) at phase 0 = %v, want +Inf", d)
	}
	// Retry k of key j is due at Phase(j + k), so at every retry the
	// clients with consecutive keys have consecutive Weyl phases, spread as
	// TestStaggered checks.
	checkWorkedTable(t, a, [][]float64{{0, 2.104, 0.784, 6.944, 0}, {0.618, 0.340, 6.875, 0, 0}})
}

// checkWorkedTable checks the delays of keys 0, 1, ... against the worked
// table of s's doc comment, to its three decimals.
func checkWorkedTable(t *testing.T, s backoff.Strategy, want [][]float64) {
	t.Helper()
	for key, w := range want {
		got := make([]float64, len(w))
		c := backoff.Cursor{Strategy: s, Key: uint64(key)}
		c.Fill(got)
		for k := range w {
			if math.Abs(got[k]-w[k]) > 0.0005 {
				t.Errorf("key %d: delays %v, want %v", key, got, w)
				break
			}
		}
	}
}

func maxCircularGap(p []float64) float64 {
	s := append([]float64(nil), p...)
	for i := 1; i < len(s); i++ { // insertion sort; tiny input
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	gap := s[0] + 1 - s[len(s)-1]
	for i := 1; i < len(s); i++ {
		gap = math.Max(gap, s[i]-s[i-1])
	}
	return gap
}

// TestSawtoothWindows: the windows run 1; 2, 1; 4, 2, 1; 8, 4, 2, 1; ...
func TestSawtoothWindows(t *testing.T) {
	want := []float64{1, 2, 1, 4, 2, 1, 8, 4, 2, 1, 16, 8, 4, 2, 1}
	s := Sawtooth{Base: 1, Max: math.Inf(1)}
	for k, w := range want {
		if got := s.delay(k, 0.5); got != w/2 {
			t.Errorf("delay %d at u = 1/2: %v, want %v", k, got, w/2)
		}
	}
	// Far out, still exact (the run of retry k from a square root).
	if got := s.delay(5049, 1-1e-16); got <= 0 {
		t.Errorf("delay 5049 = %v", got)
	}
	if got, want := (Sawtooth{Base: 1, Max: 8}).delay(6, 0.5), 4.0; got != want {
		t.Errorf("capped window: %v, want %v", got, want)
	}
}

// TestStaggeredRoundGap: staggered's delays of consecutive rounds meet end
// to end (the largest d_k, a → 1, is the smallest d_{k+1}, a = 1/2), but
// its retry times do not: retry k+1 of the fastest job comes base/2 after
// retry k of the slowest, T = a·base·(2^(k+1) − 1). In a real herd the
// phases do not reach 0 and 1, so the gap is wider, and it grows with k
// (the lab checks it on a herd).
func TestStaggeredRoundGap(t *testing.T) {
	s := Staggered{Base: 1, Max: math.Inf(1), Low: StaggeredLow}
	top := math.Nextafter(1, 0) // the largest phase below 1
	times := func(phase float64, k int) float64 {
		var sum float64
		for i := 0; i <= k; i++ {
			sum += s.delay(i, phase)
		}
		return sum
	}
	for k := 0; k < 20; k++ {
		hi, lo := s.delay(k, top), s.delay(k+1, 0)
		if math.Abs(lo-hi) > 1e-12*lo {
			t.Errorf("k=%d: largest delay %v, smallest next %v: want them to meet", k, hi, lo)
		}
		gap := times(0, k+1) - times(top, k)
		if math.Abs(gap-s.Base/2) > 1e-9*times(top, k) {
			t.Errorf("k=%d: gap between rounds %v, want base/2", k, gap)
		}
	}
}
