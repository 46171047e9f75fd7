package catalog

import (
	"math"
	"slices"
	"testing"

	"github.com/backoff-node/backoff-node/backoff"
)

// circularGap returns the widest gap between neighbouring points of p on
// the circle [0, 1). It sorts p.
func circularGap(p []float64) float64 {
	slices.Sort(p)
	gap := p[0] + 1 - p[len(p)-1]
	for i := 1; i < len(p); i++ {
		gap = math.Max(gap, p[i]-p[i-1])
	}
	return gap
}

// TestPacedWindows: the windows of the doc comment, by hand: widths
// 1, √2, 2, 2√2, 4, 4√2, then 8 (capped), each starting at 0.6 of the
// earlier ones together.
func TestPacedWindows(t *testing.T) {
	p := Paced{Base: 1, Max: 8}
	r2 := math.Sqrt2
	widths := []float64{1, r2, 2, 2 * r2, 4, 4 * r2, 8, 8, 8}
	sum := 0.0
	for k, w := range widths {
		start, width := p.Window(k)
		if math.Abs(start-0.6*sum) > 1e-12 || math.Abs(width-w) > 1e-12 {
			t.Errorf("Window(%d) = %v, %v; want %v, %v", k, start, width, 0.6*sum, w)
		}
		sum += w
	}
	// Far out: 6 uncapped windows (1 + √2 + ... + 4√2 = 7 + 7√2), then
	// 8 s each.
	k := 1 << 20
	want := 0.6 * (7 + 7*r2 + float64(k-6)*8)
	if start, width := p.Window(k); math.Abs(start/want-1) > 1e-12 || width != 8 {
		t.Errorf("Window(%d) = %v, %v; want %v, 8", k, start, width, want)
	}
	cases := []struct {
		k                int
		u, elapsed, want float64
	}{
		{0, 0.5, 0, 0.5},
		{1, 0.5, 0.5, 0.6 + r2/2 - 0.5},
		{1, 0, 2, 0},                 // due at 0.6, already past: at once
		{6, 0.999, 0, 8},             // due at 18.13, but no delay exceeds Max
		{7, 0.5, 16, 14.94 + 4 - 16}, // window 7 starts at 0.6·(7 + 7√2 + 8)
	}
	for _, c := range cases {
		if got := p.windows().delayAt(c.k, c.u, c.elapsed); math.Abs(got-c.want) > 1e-3 {
			t.Errorf("Delay(%d, %v, %v) = %v, want %v", c.k, c.u, c.elapsed, got, c.want)
		}
	}
	// Without a cap the windows overflow; the delay is then +Inf, never
	// NaN, even at phase 0 (0·Inf).
	inf := Paced{Base: 1, Max: math.Inf(1)}
	for _, u := range []float64{0, 0.5} {
		if got := inf.windows().delayAt(5000, u, 1e300); !math.IsInf(got, 1) {
			t.Errorf("uncapped Delay(5000, %v, ...) = %v, want +Inf", u, got)
		}
	}
}

// TestPacedRetriesInWindows: for many keys, every delay lies in [0, Max]
// and retry k's time since the first failure, R_k, lies in window k, so a
// client never falls behind by more than a window.
func TestPacedRetriesInWindows(t *testing.T) {
	for _, p := range []Paced{{Base: 1, Max: 8}, {Base: 0.06, Max: 2}, {Base: 5, Max: 3}} {
		d := make([]float64, 60)
		for key := uint64(0); key < 2000; key++ {
			fillKey(p, d, key*0x9e3779b97f4a7c15)
			r := 0.0
			for k, v := range d {
				if !(v >= 0 && v <= p.Max) {
					t.Fatalf("%+v key %d: d_%d = %v, want in [0, %v]", p, key, k, v, p.Max)
				}
				r += v
				start, width := p.Window(k)
				if r < start-1e-9 || r > start+width+1e-9 {
					t.Fatalf("%+v key %d: R_%d = %v outside window [%v, %v)", p, key, k, r, start, start+width)
				}
			}
		}
	}
}

// TestPacedPhases: for clients with consecutive keys the phases at every
// retry stay nearly even (no gap wider than 5/N among N of them; random
// phases leave gaps of 12/N to 15/N), and for random keys they are drawn
// afresh each retry: two clients close at retry 0 are close at a later
// retry about as often as any two (with Phase(key + k), as Anchored draws
// them, always).
func TestPacedPhases(t *testing.T) {
	r := NewRand(1)
	for _, n := range []int{10, 50, 100, 190, 1000} {
		p := make([]float64, n)
		for trial := 0; trial < 50; trial++ {
			first := r.Uint64()
			for k := 0; k < 40; k++ {
				for i := range p {
					p[i] = PacedPhase(first+uint64(i), k)
				}
				if g := circularGap(p); g > 5/float64(n) {
					t.Fatalf("%d keys from %d, retry %d: widest gap %.4f, want <= 5/%d", n, first, k, g, n)
				}
			}
		}
	}
	dist := func(a, b float64) float64 { d := math.Abs(a - b); return math.Min(d, 1-d) }
	close, again, weylAgain, later := 0, 0, 0, 0
	for close < 500 {
		a, b := r.Uint64(), r.Uint64()
		if dist(PacedPhase(a, 0), PacedPhase(b, 0)) >= 0.05 {
			continue
		}
		close++
		for k := 1; k <= 20; k++ {
			later++
			if dist(PacedPhase(a, k), PacedPhase(b, k)) < 0.05 {
				again++
			}
			if dist(Phase(a+uint64(k)), Phase(b+uint64(k))) < 0.05 {
				weylAgain++
			}
		}
	}
	share := float64(again) / float64(later)
	t.Logf("pairs within 0.05 at retry 0: %.3f within 0.05 at retries 1..20 (independent: 0.100; Phase(key+k): %.3f)", share, float64(weylAgain)/float64(later))
	if share > 0.13 {
		t.Errorf("%.3f of later retries still close, want about 0.1", share)
	}
	if weylAgain != later {
		t.Errorf("Phase(key+k) kept %d of %d close pairs close; the contrast this test draws is wrong", weylAgain, later)
	}
}

// TestPacedAtTheCap: once capped, the windows move on by 0.6·Max a retry,
// so a client still failing waits 0.6·Max on average (full jitter: Max/2;
// anchored: Max/4, most of it at once), and few of its retries are
// immediate (5 % at base 60 ms, cap 2000 ms, over 10,000 keys).
func TestPacedAtTheCap(t *testing.T) {
	p := Paced{Base: 0.06, Max: 2}
	d := make([]float64, 100)
	zero, capped, sum := 0, 0, 0.0
	for key := uint64(0); key < 10000; key++ {
		fillKey(p, d, key)
		for k, v := range d {
			if _, w := p.Window(k); w < p.Max {
				continue
			}
			capped++
			sum += v
			if v == 0 {
				zero++
			}
		}
	}
	share, mean := float64(zero)/float64(capped), sum/float64(capped)
	t.Logf("capped retries: %.3f immediate, mean delay %.3f s", share, mean)
	if share > 0.08 || math.Abs(mean-0.6*p.Max) > 0.01*p.Max {
		t.Errorf("capped retries: %.3f immediate, mean %.3f s; want under 0.08 and about 0.6·Max", share, mean)
	}
}

// fillKey writes the first len(dst) delays of the schedule key names.
func fillKey(s backoff.Strategy, dst []float64, key uint64) {
	c := backoff.Cursor{Strategy: s, Key: key}
	c.Fill(dst)
}
