package backoff

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/backoff-node/backoff-node/backoff/internal/draw"
)

func TestExponentialDelay(t *testing.T) {
	def := Exponential{Base: 0.1, Max: 2, Jitter: 0.1}
	tests := []struct {
		name string
		e    Exponential
		k    int
		u    float64
		want float64
	}{
		{"first retry, no draw", def, 0, 0, 0.1},
		{"first retry, top draw", def, 0, 0.5, 0.105},
		{"doubles", def, 1, 0, 0.2},
		{"doubles again", def, 2, 0.5, 0.42},
		{"jitter pushes past cap", Exponential{Base: 0.1, Max: 1.7, Jitter: 0.1}, 4, 0.9, 1.7},
		{"capped", def, 5, 0, 2},
		{"2^k overflows float64", def, 10000, 0.99, 2},
		{"largest k", def, math.MaxInt32, 0.5, 2},
		{"zero jitter", Exponential{Base: 1, Max: 100, Jitter: 0}, 3, 0.99, 8},
		{"full jitter fraction", Exponential{Base: 1, Max: 100, Jitter: 1}, 3, 0.5, 12},
		{"base equals cap", Exponential{Base: 2, Max: 2, Jitter: 1}, 0, 0.7, 2},
		{"smallest base", Exponential{Base: 0.001, Max: 86400, Jitter: 0}, 0, 0, 0.001},
		{"largest cap", Exponential{Base: 0.001, Max: 86400, Jitter: 0.1}, 40, 0, 86400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.delay(tt.k, tt.u); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Delay(%d, %v) = %v, want %v", tt.k, tt.u, got, tt.want)
			}
		})
	}
}

// schedule returns the first n delays of the schedule seed names, as Retry
// with WithSeed(seed) would sleep them (before its cap), one Delay at a time.
func schedule(s Strategy, n int, seed uint64) []float64 {
	c := Cursor{Strategy: s, Key: draw.Key(seed)}
	d := make([]float64, n)
	for k := range d {
		d[k] = c.Next()
	}
	return d
}

// TestExponentialFillRange: the fast path of Cursor.Fill (fillRange) gives
// Delay's values bit for bit, from any retry on, also under Capped: the
// doubling loop and the stepped stream are exact.
func TestExponentialFillRange(t *testing.T) {
	for seed := uint64(0); seed < 200; seed++ {
		e := Exponential{Base: 0.001 + float64(seed)*0.01, Max: 5 + float64(seed), Jitter: float64(seed%11) / 10}
		if seed%7 == 0 {
			e.Max = 0 // no cap: d grows until it overflows
		}
		for _, s := range []Strategy{e, Capped{S: e, Max: 3}} {
			want := schedule(s, 1200, seed)
			from := int(seed % 50)
			got := make([]float64, len(want)-from)
			if !s.(rangeFiller).fillRange(got, from, draw.Key(seed), math.Inf(1)) {
				t.Fatalf("%+v: fillRange declined", s)
			}
			for i, d := range got {
				if math.Float64bits(d) != math.Float64bits(want[from+i]) {
					t.Fatalf("%+v seed %d: fillRange[%d] = %v, Delay = %v", s, seed, from+i, d, want[from+i])
				}
			}
			// Retry's own cap, passed as max, is applied as Capped would.
			s.(rangeFiller).fillRange(got, from, draw.Key(seed), 2.5)
			for i, d := range got {
				if w := math.Min(2.5, want[from+i]); math.Float64bits(d) != math.Float64bits(w) {
					t.Fatalf("%+v seed %d, max 2.5: fillRange[%d] = %v, want %v", s, seed, from+i, d, w)
				}
			}
		}
	}
}

// Every delay lies in its interval [b·2^k, b·2^k·(1+j)) clipped to the cap,
// for many random seeds and parameters.
func TestExponentialBounds(t *testing.T) {
	params := draw.NewRand(7)
	for i := 0; i < 2000; i++ {
		base := 0.001 + params.Float64()*10
		e := Exponential{Base: base, Max: base + params.Float64()*86400, Jitter: params.Float64()}
		if i%10 == 0 {
			e.Jitter = float64(i % 20 / 10) // exact 0 and 1 too
		}
		n := params.IntN(200)
		seed := params.Uint64()
		for k, d := range schedule(e, n, seed) {
			lo := math.Min(e.Max, math.Ldexp(e.Base, k))
			hi := math.Min(e.Max, math.Ldexp(e.Base, k)*(1+e.Jitter))
			if d < lo || d > hi || d > e.Max || math.IsNaN(d) {
				t.Fatalf("%+v seed %d: d_%d = %v, want in [%v, %v] and <= %v", e, seed, k, d, lo, hi, e.Max)
			}
		}
	}
}

func TestScheduleReproducible(t *testing.T) {
	e := Exponential{Base: 0.1, Max: 2, Jitter: 0.1}
	a := schedule(e, 50, 8130955412)
	b := schedule(e, 50, 8130955412)
	c := schedule(e, 50, 8130955413)
	for k := range a {
		if a[k] != b[k] {
			t.Fatalf("same seed, delay %d: %v != %v", k, a[k], b[k])
		}
	}
	if a[0] == c[0] && a[1] == c[1] && a[2] == c[2] {
		t.Errorf("seeds 8130955412 and 8130955413 gave the same first delays %v", a[:3])
	}
	// A shorter schedule is a prefix of a longer one: one draw per retry.
	short := schedule(e, 3, 8130955412)
	for k := range short {
		if short[k] != a[k] {
			t.Errorf("prefix property broken at %d: %v != %v", k, short[k], a[k])
		}
	}
}

// The published seed->schedule mapping must never change silently: clients
// store seeds to reproduce what the node did.
func TestScheduleGolden(t *testing.T) {
	got := schedule(Exponential{Base: 0.1, Max: 2, Jitter: 0.1}, 6, 1)
	want := []int64{107, 213, 409, 819, 1700, 2000}
	if ms := millisOf(got); !slices.Equal(ms, want) {
		t.Fatalf("seed 1 schedule = %v ms, want %v", ms, want)
	}
}

func millisOf(s []float64) []int64 {
	out := make([]int64, len(s))
	for i, d := range s {
		out[i] = int64(math.Round(d * 1000))
	}
	return out
}

func BenchmarkSchedule(b *testing.B) {
	e := Exponential{Base: 0.1, Max: 2, Jitter: 0.1}
	r := draw.NewRand(1)
	dst := make([]float64, 1000)
	b.ReportAllocs()
	for b.Loop() {
		c := Cursor{Strategy: e, Key: r.Uint64()}
		c.Fill(dst)
	}
	// Report per delay, the unit the performance target is stated in.
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(dst)), "ns/delay")
}

// The draws of a stream must look uniform: mean near 1/2, every decile hit
// about equally, and neighbouring draws uncorrelated.
func TestStreamUniform(t *testing.T) {
	const n = 200000
	key := draw.Key(3)
	var sum, cross float64
	var deciles [10]int
	prev := draw.At(key, 0)
	for k := 0; k < n; k++ {
		x := draw.At(key, k)
		if x < 0 || x >= 1 {
			t.Fatalf("At(%d) = %v, outside [0, 1)", k, x)
		}
		sum += x
		deciles[int(x*10)]++
		cross += (x - 0.5) * (prev - 0.5)
		prev = x
	}
	if mean := sum / n; math.Abs(mean-0.5) > 0.005 {
		t.Errorf("mean = %v, want 0.5 ± 0.005", mean)
	}
	for i, c := range deciles {
		if math.Abs(float64(c)-n/10) > 0.03*n/10 {
			t.Errorf("decile %d has %d draws, want %d ± 3%%", i, c, n/10)
		}
	}
	// Lag-1 autocorrelation of uniform draws: variance is 1/12.
	if ac := cross / n * 12; math.Abs(ac) > 0.01 {
		t.Errorf("lag-1 autocorrelation = %v, want |.| <= 0.01", ac)
	}
}

// fillRandPerDelay is Cursor.Fill over an Exponential as it would be with one call through
// *rand.Rand per delay: the design Fill avoids, kept for BenchmarkFillDraws.
func fillRandPerDelay(e Exponential, dst []float64, r *rand.Rand) {
	d := e.Base
	for k := range dst {
		dst[k] = min(e.Max, d*(1+e.Jitter*r.Float64()))
		if d < e.Max {
			d *= 2
		}
	}
}

// BenchmarkFillDraws compares the two ways to draw the jitter of each delay
// in a schedule of 1000: a method call through *rand.Rand per delay, and
// what Cursor.Fill does (one key from the Rand, then SplitMix64 stepped by
// addition). It backs the claim about why a delay is cheap.
func BenchmarkFillDraws(b *testing.B) {
	e := Exponential{Base: 0.1, Max: 2, Jitter: 0.1}
	dst := make([]float64, 1000)
	for _, bc := range []struct {
		name string
		fill func(*rand.Rand)
	}{
		{"draw=Rand.Float64", func(r *rand.Rand) { fillRandPerDelay(e, dst, r) }},
		{"draw=Stream", func(r *rand.Rand) { c := Cursor{Strategy: e, Key: r.Uint64()}; c.Fill(dst) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := draw.NewRand(1)
			b.ReportAllocs()
			for b.Loop() {
				bc.fill(r)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(dst)), "ns/delay")
		})
	}
}
