package backoff

import (
	"math"
	"testing"
)

// near reports whether got equals want to 1e-12, relative for large values.
func near(got, want float64) bool {
	if math.IsInf(want, 1) {
		return math.IsInf(got, 1)
	}
	return math.Abs(got-want) <= 1e-12*math.Max(1, math.Abs(want))
}

func TestConstantDelay(t *testing.T) {
	c := Constant{Interval: BlogConstantInterval}
	for _, k := range []int{0, 1, 9, math.MaxInt32} {
		if got := c.Delay(k); got != 300 {
			t.Errorf("Delay(%d) = %v, want 300", k, got)
		}
	}
	if got := Schedule(Constant{Interval: 0.25}, 3, nil); got[0] != 0.25 || got[2] != 0.25 {
		t.Errorf("Schedule(Constant{0.25}) = %v, want all 0.25", got)
	}
}

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
		if got := tt.e.Delay(tt.k); !near(got, tt.want) {
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
		if got := tt.s.Delay(tt.k, tt.u); !near(got, tt.want) {
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
		if got := (Buckets{}).Delay(tt.k, tt.u); !near(got, tt.want) {
			t.Errorf("Delay(%d, %v) = %v, want %v", tt.k, tt.u, got, tt.want)
		}
	}
}

func TestFullAndEqualJitterDelay(t *testing.T) {
	tests := []struct {
		base, max   float64
		k           int
		u           float64
		full, equal float64
	}{
		{1, 8, 0, 0, 0, 0.5},
		{1, 8, 0, 0.5, 0.5, 0.75},
		{1, 8, 2, 0.25, 1, 2.5},
		{1, 8, 3, 0.5, 4, 6},
		{1, 8, 4, 0.5, 4, 6},              // capped interval
		{1, 8, 5000, 0.5, 4, 6},           // 2^k overflows, still capped
		{0.005, 2, 1, 0.5, 0.005, 0.0075}, // AWS's simulator, in seconds
		{1, math.Inf(1), 10, 1, 1024, 1024},
	}
	for _, tt := range tests {
		if got := (FullJitter{tt.base, tt.max}).Delay(tt.k, tt.u); !near(got, tt.full) {
			t.Errorf("FullJitter{%v, %v}.Delay(%d, %v) = %v, want %v", tt.base, tt.max, tt.k, tt.u, got, tt.full)
		}
		if got := (EqualJitter{tt.base, tt.max}).Delay(tt.k, tt.u); !near(got, tt.equal) {
			t.Errorf("EqualJitter{%v, %v}.Delay(%d, %v) = %v, want %v", tt.base, tt.max, tt.k, tt.u, got, tt.equal)
		}
	}
}

func TestDecorrelatedJitterDelay(t *testing.T) {
	d := DecorrelatedJitter{Base: 5, Max: 2000}
	tests := []struct {
		prev, u, want float64
	}{
		{5, 0, 5},         // the floor is Base
		{5, 0.5, 10},      // 5 + 0.5·(15 − 5)
		{10, 0.25, 11.25}, // 5 + 0.25·(30 − 5)
		{1000, 0.9, 2000}, // capped
		{2000, 0, 5},      // even after the cap, the floor stays Base
		{math.MaxFloat64, 0.5, 2000},
	}
	for _, tt := range tests {
		if got := d.Delay(tt.prev, tt.u); !near(got, tt.want) {
			t.Errorf("Delay(%v, %v) = %v, want %v", tt.prev, tt.u, got, tt.want)
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
		if got := p.Time(tt.n, tt.u); !near(got, tt.want) {
			t.Errorf("Time(%d, %v) = %v, want %v", tt.n, tt.u, got, tt.want)
		}
	}
	// Median/1.4 scales f: with Median 1.4 the scale is exactly 1.
	if got, want := p.Delay(2, 0.5, 0.25), f(2.5)-f(1.25); !near(got, want) {
		t.Errorf("Delay(2, 0.5, 0.25) = %v, want %v", got, want)
	}
	if got := p.Delay(0, 0.5, 0.99); !near(got, f(0.5)) {
		t.Errorf("Delay(0, 0.5, _) = %v, want T_0 = %v", got, f(0.5))
	}
	if got := p.Delay(1100, 0.5, 0.5); !math.IsInf(got, 1) {
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
		if got := s.Delay(tt.k, tt.phase); !near(got, tt.want) {
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
		if start, width := a.Window(tt.k); !near(start, tt.start) || !near(width, tt.width) {
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
		if got := a.Delay(tt.k, tt.u, tt.elapsed); !near(got, tt.want) {
			t.Errorf("Delay(%d, %v, %v) = %v, want %v", tt.k, tt.u, tt.elapsed, got, tt.want)
		}
	}
	// Uncapped, the windows overflow to +Inf and so do the delays, never
	// NaN, even at phase 0 (0·Inf), through Delay or FillKey.
	inf := Anchored{Base: 1, Max: math.Inf(1)}
	for _, u := range []float64{0, 0.5} {
		if got := inf.Delay(700, u, 1e300); !math.IsInf(got, 1) {
			t.Errorf("uncapped Delay(700, %v, ...) = %v, want +Inf", u, got)
		}
	}
	d := make([]float64, 701)
	inf.FillKey(d, math.MaxUint64-699) // Phase(key + 700) = Phase(0) = 0
	if !math.IsInf(d[700], 1) {
		t.Errorf("uncapped FillKey: d[700] = %v (phase 0), want +Inf", d[700])
	}
	// Retry k of key j is due at Phase(j + k), so at every retry the
	// clients with consecutive keys have consecutive Weyl phases, spread as
	// TestStaggered checks.
	checkWorkedTable(t, a, [][]float64{{0, 2.104, 0.784, 6.944, 0}, {0.618, 0.340, 6.875, 0, 0}})
}

// checkWorkedTable checks the delays of keys 0, 1, ... against the worked
// table of s's doc comment, to its three decimals.
func checkWorkedTable(t *testing.T, s KeyedStrategy, want [][]float64) {
	t.Helper()
	for key, w := range want {
		got := make([]float64, len(w))
		s.FillKey(got, uint64(key))
		for k := range w {
			if math.Abs(got[k]-w[k]) > 0.0005 {
				t.Errorf("key %d: FillKey = %v, want %v", key, got, w)
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

// Fill must agree with the pure helpers draw for draw.
func TestFillMatchesDelay(t *testing.T) {
	const n = 300
	for seed := uint64(0); seed < 50; seed++ {
		u := newStream(NewRand(seed))
		key := NewRand(seed).Uint64()
		checks := []struct {
			name  string
			s     Strategy
			delay func(k int, d []float64) float64
		}{
			{"sidekiq", Sidekiq{Spread: SidekiqSpread}, func(k int, _ []float64) float64 { return Sidekiq{Spread: SidekiqSpread}.Delay(k, u.At(k)) }},
			{"buckets", Buckets{}, func(k int, _ []float64) float64 { return Buckets{}.Delay(k, u.At(k)) }},
			{"full_jitter", FullJitter{0.1, 30}, func(k int, _ []float64) float64 { return FullJitter{0.1, 30}.Delay(k, u.At(k)) }},
			{"equal_jitter", EqualJitter{0.1, 30}, func(k int, _ []float64) float64 { return EqualJitter{0.1, 30}.Delay(k, u.At(k)) }},
			{"decorrelated_jitter", DecorrelatedJitter{0.1, 30}, func(k int, d []float64) float64 {
				prev := 0.1
				if k > 0 {
					prev = d[k-1]
				}
				return DecorrelatedJitter{0.1, 30}.Delay(prev, u.At(k))
			}},
			{"decorrelated_jitter_v2", DecorrelatedJitterV2{0.1}, func(k int, _ []float64) float64 {
				prev := 0.0
				if k > 0 {
					prev = u.At(k - 1)
				}
				return DecorrelatedJitterV2{0.1}.Delay(k, u.At(k), prev)
			}},
			{"staggered", Staggered{0.1, 30, StaggeredLow}, func(k int, _ []float64) float64 {
				return Staggered{0.1, 30, StaggeredLow}.Delay(k, Phase(key))
			}},
			{"exponential_min", ExponentialMin{3, 1, 2}, func(k int, _ []float64) float64 { return ExponentialMin{3, 1, 2}.Delay(k) }},
			{"anchored", Anchored{0.1, 30}, func(k int, d []float64) float64 {
				elapsed := 0.0
				for _, v := range d[:k] {
					elapsed += v
				}
				return Anchored{0.1, 30}.Delay(k, Phase(key+uint64(k)), elapsed)
			}},
		}
		for _, c := range checks {
			d := Schedule(c.s, n, NewRand(seed))
			for k := range d {
				if want := c.delay(k, d); !near(d[k], want) {
					t.Fatalf("%s seed %d: Fill[%d] = %v, helper = %v", c.name, seed, k, d[k], want)
				}
			}
		}
	}
}

// Fill allocates nothing, for every strategy.
func TestFillDoesNotAllocate(t *testing.T) {
	dst := make([]float64, 100)
	r := NewRand(1)
	for name, s := range map[string]Strategy{
		"exponential": Exponential{Base: 0.1, Max: 2, Jitter: 0.1}, "constant": Constant{Interval: 1},
		"exponential_min": ExponentialMin{Min: 3, Unit: 1, Factor: 2}, "sidekiq": Sidekiq{Spread: 30},
		"buckets": Buckets{}, "full_jitter": FullJitter{Base: 1, Max: 8}, "equal_jitter": EqualJitter{Base: 1, Max: 8},
		"decorrelated_jitter": DecorrelatedJitter{Base: 1, Max: 8}, "decorrelated_jitter_v2": DecorrelatedJitterV2{Median: 1},
		"staggered": Staggered{Base: 1, Max: 8, Low: StaggeredLow}, "anchored": Anchored{Base: 1, Max: 8},
		"capped": Capped{S: Sidekiq{Spread: 30}, Max: 100}, "scaled": Scaled{S: Buckets{}, Unit: 0.01},
	} {
		if a := testing.AllocsPerRun(100, func() { s.Fill(dst, r) }); a != 0 {
			t.Errorf("%s: Fill allocates %v times per call, want 0", name, a)
		}
	}
	s := Staggered{Base: 1, Max: 8, Low: StaggeredLow}
	if a := testing.AllocsPerRun(100, func() { s.FillKey(dst, 7) }); a != 0 {
		t.Errorf("Staggered.FillKey allocates %v times per call, want 0", a)
	}
	an := Anchored{Base: 1, Max: 8}
	if a := testing.AllocsPerRun(100, func() { an.FillKey(dst, 7) }); a != 0 {
		t.Errorf("Anchored.FillKey allocates %v times per call, want 0", a)
	}
}
