package backoff_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
)

// strategies are every strategy of the package, and a Func, at scales
// where their schedules stay finite and interesting for thousands of
// retries.
func strategies() map[string]backoff.Strategy {
	return map[string]backoff.Strategy{
		"exponential":          backoff.Exponential{Base: 0.1, Max: 30, Jitter: 0.3},
		"exponential uncapped": backoff.Exponential{Base: 0.1, Jitter: 0.3},
		"constant":             backoff.Constant{Interval: 2},
		"full_jitter":          backoff.FullJitter{Base: 0.1, Max: 30},
		"equal_jitter":         backoff.EqualJitter{Base: 0.1, Max: 30},
		"decorrelated_jitter":  backoff.DecorrelatedJitter{Base: 0.1, Max: 30},
		"func":                 backoff.Func(func(k int) time.Duration { return time.Duration(k) * time.Second }),
	}
}

// TestCursorFill: Fill in runs of any length gives what Next gives, bit
// for bit (for Exponential, through its fast path).
func TestCursorFill(t *testing.T) {
	for name, s := range strategies() {
		for _, s := range []backoff.Strategy{s, backoff.Capped{S: s, Max: 7}} {
			want := make([]float64, 3000)
			c := backoff.Cursor{Strategy: s, Key: 99}
			for k := range want {
				if c.Retry() != k {
					t.Fatalf("%s: Retry() = %d before delay %d", name, c.Retry(), k)
				}
				want[k] = c.Next()
			}
			c = backoff.Cursor{Strategy: s, Key: 99}
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
	for name, s := range strategies() {
		for range 10 {
			max := 0.001 + r.Float64()*100
			c := backoff.Cursor{Strategy: backoff.Capped{S: s, Max: max}, Key: r.Uint64()}
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
	c := backoff.Cursor{Strategy: backoff.Exponential{Base: 0.1, Max: 2, Jitter: 0.1}, Key: 42}
	b.ReportAllocs()
	var sum float64
	for b.Loop() {
		sum += c.Next()
	}
	_ = sum
}
