package backoff

import (
	"math"
	"testing"

	"github.com/backoff-node/backoff-node/backoff/internal/approx"
)

func TestConstantDelay(t *testing.T) {
	c := Constant{Interval: 300}
	for _, k := range []int{0, 1, 9, math.MaxInt32} {
		if got := c.Delay(k, uint64(k), 7, 9); got != 300 {
			t.Errorf("Delay(%d) = %v, want 300", k, got)
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
		if got := (FullJitter{tt.base, tt.max}).delay(tt.k, tt.u); !approx.Equal(got, tt.full) {
			t.Errorf("FullJitter{%v, %v}.Delay(%d, %v) = %v, want %v", tt.base, tt.max, tt.k, tt.u, got, tt.full)
		}
		if got := (EqualJitter{tt.base, tt.max}).delay(tt.k, tt.u); !approx.Equal(got, tt.equal) {
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
		if got := d.delay(tt.prev, tt.u); !approx.Equal(got, tt.want) {
			t.Errorf("Delay(%v, %v) = %v, want %v", tt.prev, tt.u, got, tt.want)
		}
	}
}
