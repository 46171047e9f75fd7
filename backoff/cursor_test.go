package backoff_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
)

// steppers are every strategy of the package, at scales where their
// schedules stay finite and interesting for a few hundred retries.
func steppers() map[string]backoff.Stepper {
	return map[string]backoff.Stepper{
		"exponential":            backoff.Exponential{Base: 0.1, Max: 30, Jitter: 0.3},
		"constant":               backoff.Constant{Interval: 2},
		"exponential_min":        backoff.ExponentialMin{Min: 3, Unit: 1, Factor: 2},
		"sidekiq":                backoff.Sidekiq{Spread: backoff.SidekiqSpread},
		"buckets":                backoff.Buckets{},
		"full_jitter":            backoff.FullJitter{Base: 0.1, Max: 30},
		"equal_jitter":           backoff.EqualJitter{Base: 0.1, Max: 30},
		"decorrelated_jitter":    backoff.DecorrelatedJitter{Base: 0.1, Max: 30},
		"decorrelated_jitter_v2": backoff.DecorrelatedJitterV2{Median: 0.1},
		"staggered":              backoff.Staggered{Base: 0.1, Max: 30, Low: backoff.StaggeredLow},
		"anchored":               backoff.Anchored{Base: 0.1, Max: 30},
		"sawtooth":               backoff.Sawtooth{Base: 0.1, Max: 30},
		"capped sidekiq":         backoff.Capped{S: backoff.Sidekiq{Spread: 30}, Max: 1000},
	}
}

// TestCursorMatchesFill: for every strategy and many keys, a Cursor gives
// the same delays, bit for bit, as Fill with a source whose first Uint64 is
// the key (and as FillKey for keyed strategies), up to retry 2000.
func TestCursorMatchesFill(t *testing.T) {
	const n = 2000
	want, got := make([]float64, n), make([]float64, n)
	for name, s := range steppers() {
		for seed := range uint64(20) {
			key := backoff.NewRand(seed).Uint64()
			s.Fill(want, backoff.NewRand(seed))
			if ks, ok := s.(backoff.KeyedStrategy); ok {
				alt := make([]float64, n)
				ks.FillKey(alt, key)
				if !equalBits(alt, want) {
					t.Fatalf("%s: FillKey(%d) differs from Fill", name, key)
				}
			}
			c := backoff.NewCursor(s, key)
			for k := range got {
				if c.Retry() != k {
					t.Fatalf("%s: Retry() = %d before delay %d", name, c.Retry(), k)
				}
				got[k] = c.Next()
			}
			if !equalBits(got, want) {
				for k := range got {
					if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
						t.Fatalf("%s seed %d: cursor delay %d = %v, Fill = %v", name, seed, k, got[k], want[k])
					}
				}
			}
		}
	}
}

// TestCursorFill: Fill in runs of any length gives what Next gives.
func TestCursorFill(t *testing.T) {
	for name, s := range steppers() {
		for _, s := range []backoff.Stepper{s, backoff.Capped{S: s, Max: 7}} {
			want := make([]float64, 3000)
			backoff.FillKey(s, want, 99)
			c := backoff.NewCursor(s, 99)
			got := make([]float64, 0, len(want))
			for run := 1; len(got) < len(want); run = run*3 + 1 {
				buf := make([]float64, min(run, len(want)-len(got)))
				c.Fill(buf)
				got = append(got, buf...)
			}
			if !equalBits(got, want) {
				t.Errorf("%s: Fill in runs differs from Next", name)
			}
			if c.Retry() != len(want) {
				t.Errorf("%s: Retry() = %d after %d delays", name, c.Retry(), len(want))
			}
		}
	}
}

func equalBits(a, b []float64) bool {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestCappedBound: for every strategy under Capped, every delay up to retry
// 10000 is finite, at least 0 and at most the cap, for many keys.
func TestCappedBound(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for name, s := range steppers() {
		for range 10 {
			max := 0.001 + r.Float64()*100
			c := backoff.NewCursor(backoff.Capped{S: s, Max: max}, r.Uint64())
			for k := range 10000 {
				if d := c.Next(); !(d >= 0 && d <= max) || math.IsInf(d, 0) {
					t.Fatalf("%s capped at %v: delay %d = %v", name, max, k, d)
				}
			}
		}
	}
}

func TestDuration(t *testing.T) {
	const maxD = time.Duration(math.MaxInt64)
	tests := []struct {
		in   float64
		want time.Duration
	}{
		{0, 0}, {-1, 0}, {math.Copysign(0, -1), 0}, {math.NaN(), 0}, {math.Inf(-1), 0},
		{0.1, 100 * time.Millisecond}, {1.5, 1500 * time.Millisecond}, {1e-9, time.Nanosecond},
		{86400, 24 * time.Hour},
		{9.3e9, maxD}, {1e300, maxD}, {math.Inf(1), maxD}, {math.MaxFloat64, maxD},
	}
	for _, tt := range tests {
		if got := backoff.Duration(tt.in); got != tt.want {
			t.Errorf("Duration(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	// Near the top, never negative.
	for _, s := range []float64{9.22e9, 9.223372036e9, 9.2233720368e9, 9.223372036854775e9} {
		if got := backoff.Duration(s); got < 0 {
			t.Errorf("Duration(%v) = %v, negative", s, got)
		}
	}
}

func BenchmarkCursor(b *testing.B) {
	c := backoff.NewCursor(backoff.Exponential{Base: 0.1, Max: 2, Jitter: 0.1}, 42)
	b.ReportAllocs()
	var sum float64
	for b.Loop() {
		sum += c.Next()
	}
	_ = sum
}

// TestSawtoothWindows: the windows run 1; 2, 1; 4, 2, 1; 8, 4, 2, 1; ...
func TestSawtoothWindows(t *testing.T) {
	want := []float64{1, 2, 1, 4, 2, 1, 8, 4, 2, 1, 16, 8, 4, 2, 1}
	s := backoff.Sawtooth{Base: 1, Max: math.Inf(1)}
	for k, w := range want {
		if got := s.Delay(k, 0.5); got != w/2 {
			t.Errorf("delay %d at u = 1/2: %v, want %v", k, got, w/2)
		}
	}
	// Far out, still exact (the run of retry k from a square root).
	if got := s.Delay(5049, 1-1e-16); got <= 0 {
		t.Errorf("delay 5049 = %v", got)
	}
	if got, want := (backoff.Sawtooth{Base: 1, Max: 8}).Delay(6, 0.5), 4.0; got != want {
		t.Errorf("capped window: %v, want %v", got, want)
	}
}
