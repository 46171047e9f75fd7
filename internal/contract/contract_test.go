package contract

import (
	"math"
	"strings"
	"testing"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/backoff/catalog"
)

// Every delay of every registered strategy, configured from many random
// parameters, lies within the bounds its formula promises, and within the
// cap.
func TestStrategyBounds(t *testing.T) {
	// Sawtooth's windows in units of its base: 1; 2, 1; 4, 2, 1; ...
	var sawtooth []float64
	for run := 0; len(sawtooth) < 60; run++ {
		for w := run; w >= 0; w-- {
			sawtooth = append(sawtooth, math.Ldexp(1, w))
		}
	}
	params := catalog.NewRand(11)
	for i := 0; i < 500; i++ {
		base := 0.001 + params.Float64()*10
		p := Params{Base: base, Max: base + params.Float64()*1000, Jitter: params.Float64()}
		seed := params.Uint64()
		const n = 60
		for _, name := range Names() {
			s, err := Lookup(name, p)
			if err != nil {
				t.Fatal(err)
			}
			d := schedule(s, n, catalog.NewRand(seed).Uint64())
			prevT, capped := 0.0, false
			for k, v := range d {
				capped = capped || v >= p.Max // the cap changes retry times from here on
				fk := float64(k)
				lo, hi := 0.0, math.Inf(1)
				interval := math.Min(p.Max, math.Ldexp(p.Base, k))
				switch name {
				case "exponential":
					lo, hi = math.Min(p.Max, math.Ldexp(p.Base, k)), p.Max
				case "constant":
					lo, hi = p.Base, p.Base
				case "exponential_min":
					lo = 3*p.Base + math.Ldexp(p.Base, k)
					hi = lo * (1 + 1e-12)
				case "sidekiq":
					u := SidekiqUnit * p.Base
					lo = u * (fk*fk*fk*fk + 15)
					hi = lo + u*30*(fk+1)
				case "buckets":
					u := BucketsUnit * p.Base
					lo, hi = u*fk*fk*fk, u*(fk+2)*(fk+2)*(fk+2)
				case "full_jitter":
					hi = interval
				case "equal_jitter":
					lo, hi = interval/2, interval
				case "decorrelated_jitter":
					lo, hi = p.Base, p.Max
				case "decorrelated_jitter_v2":
					// T_k lies in [f(k), f(k+1)]·Base/1.4.
					tk := prevT + v
					f := func(t float64) float64 { return math.Exp2(t) * math.Tanh(math.Sqrt(4*t)) * p.Base / 1.4 }
					if !capped && (tk < f(fk)*(1-1e-9) || tk > f(fk+1)*(1+1e-9)) {
						t.Fatalf("%s %+v seed %d: T_%d = %v, want in [%v, %v]", name, p, seed, k, tk, f(fk), f(fk+1))
					}
					prevT = tk
					lo = 0
				case "staggered":
					lo, hi = interval/2, interval
				case "anchored", "paced":
					// Retry k falls inside window k.
					var windows interface{ Window(int) (float64, float64) } = catalog.Anchored{Base: p.Base, Max: p.Max}
					if name == "paced" {
						windows = catalog.Paced{Base: p.Base, Max: p.Max}
					}
					tk := prevT + v
					start, width := windows.Window(k)
					if tk < start*(1-1e-12) || tk >= (start+width)*(1+1e-12) {
						t.Fatalf("%s %+v seed %d: R_%d = %v, want in window [%v, %v)", name, p, seed, k, tk, start, start+width)
					}
					prevT = tk
					hi = p.Max
				case "sawtooth":
					hi = p.Base * sawtooth[k]
				default:
					t.Fatalf("no bounds known for strategy %q; add them", name)
				}
				lo, hi = math.Min(lo, p.Max), math.Min(hi, p.Max)
				if math.IsNaN(v) || v < lo*(1-1e-12) || v > hi*(1+1e-12) {
					t.Fatalf("%s %+v seed %d: d_%d = %v, want in [%v, %v]", name, p, seed, k, v, lo, hi)
				}
			}
		}
	}
}

func TestLookupAll(t *testing.T) {
	want := []string{"anchored", "buckets", "constant", "decorrelated_jitter", "decorrelated_jitter_v2", "equal_jitter",
		"exponential", "exponential_min", "full_jitter", "paced", "sawtooth", "sidekiq", "staggered"}
	if got := Names(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	p := Params{Base: 0.5, Max: 4, Jitter: 0.2}
	tests := []struct {
		name string
		want backoff.Strategy
	}{
		{"exponential", backoff.Exponential{Base: 0.5, Max: 4, Jitter: 0.2}},
		{"constant", backoff.Constant{Interval: 0.5}},
		{"exponential_min", catalog.ExponentialMin{Min: 1.5, Unit: 0.5, Factor: 2}},
		{"sidekiq", catalog.Scaled{S: catalog.Sidekiq{Spread: 30}, Unit: 0.5 / 15}},
		{"buckets", catalog.Scaled{S: catalog.Buckets{}, Unit: 0.5 / 8}},
		{"full_jitter", backoff.FullJitter{Base: 0.5, Max: 4}},
		{"equal_jitter", backoff.EqualJitter{Base: 0.5, Max: 4}},
		{"decorrelated_jitter", backoff.DecorrelatedJitter{Base: 0.5, Max: 4}},
		{"decorrelated_jitter_v2", catalog.DecorrelatedJitterV2{Median: 0.5}},
		{"staggered", catalog.Staggered{Base: 0.5, Max: 4, Low: 0.5}},
		{"anchored", catalog.Anchored{Base: 0.5, Max: 4}},
		{"paced", catalog.Paced{Base: 0.5, Max: 4}},
		{"sawtooth", catalog.Sawtooth{Base: 0.5, Max: 4}},
	}
	for _, tt := range tests {
		got, err := Lookup(tt.name, p)
		if want := (backoff.Capped{S: tt.want, Max: 4}); err != nil || got != want {
			t.Errorf("Lookup(%q) = %#v, %v; want %#v capped at 4", tt.name, got, err, tt.want)
		}
	}
	_, err := Lookup("Full_Jitter", p)
	if err == nil || !strings.Contains(err.Error(), strings.Join(want, ", ")) {
		t.Errorf("Lookup(Full_Jitter) error = %v, want it to list every valid name", err)
	}
}

func TestMillis(t *testing.T) {
	for _, tt := range []struct {
		s    float64
		want int64
	}{{0, 0}, {0.104, 104}, {0.0005, 1}, {0.0004999, 0}, {0.1045, 105}, {2, 2000}, {86400, 86400000}} {
		if got := Millis(tt.s); got != tt.want {
			t.Errorf("Millis(%v) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

// TestKey: a keyed strategy takes the seed as the job's key, any other the
// first draw of NewRand(seed), the key backoff.WithSeed(seed) names, so a
// client that retries with WithSeed(seed) and a strategy Lookup returns
// sleeps the schedule a request with that seed is given.
func TestKey(t *testing.T) {
	p := DefaultParams()
	keyed := map[string]bool{"staggered": true, "anchored": true, "paced": true}
	for _, name := range Names() {
		s, _ := Lookup(name, p)
		for _, seed := range []uint64{0, 1, 9, 1 << 53} {
			want := catalog.NewRand(seed).Uint64()
			if keyed[name] {
				want = seed
			}
			if got := Key(s, seed); got != want {
				t.Errorf("%s: Key(seed %d) = %d, want %d", name, seed, got, want)
			}
		}
	}
}

// schedule returns the first n delays of the schedule key names.
func schedule(s backoff.Strategy, n int, key uint64) []float64 {
	c := backoff.Cursor{Strategy: s, Key: key}
	d := make([]float64, n)
	c.Fill(d)
	return d
}

// TestScalesKeepShape: through the node, sidekiq and buckets are not capped
// flat at the default max_delay: their first delays differ and rise.
func TestScalesKeepShape(t *testing.T) {
	for _, name := range []string{"sidekiq", "buckets"} {
		s, _ := Lookup(name, DefaultParams())
		d := schedule(s, 5, catalog.NewRand(1).Uint64())
		if d[0] >= DefaultMax || d[1] >= DefaultMax || d[0] == d[1] {
			t.Errorf("%s at the defaults: %v, want the first delays below the cap and distinct", name, d)
		}
	}
}
