package backoff_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
)

func TestAWSAdaptive(t *testing.T) {
	var a backoff.AWSAdaptive
	rate := func() string { r, on := a.Rate(); return fmt.Sprint(r, " ", on) }
	runSteps(t, &a, rate, []step{
		// Before a throttle: no pacing, the quota as AWSQuota.
		{At: 0, Attempt: 1, OK: true, Done: success, Repeat: 3, After: "0.5 false"},
		{At: 0, Attempt: 2, Last: timeout, OK: true, Cost: 10, Done: timeout, After: "0.5 false"},
		// A throttle with nothing measured yet: the rate falls to MinRate
		// and every attempt, first or retry, reserves a token, 2 s apart.
		{At: 0, Attempt: 1, OK: true, Done: throttled, After: "0.5 true"},
		{At: 0, Attempt: 1, OK: true, Wait: 2 * time.Second, Done: inFlight},
		{At: 0, Attempt: 1, OK: true, Wait: 4 * time.Second, Done: inFlight},
		{At: 4, Attempt: 2, Last: failure, OK: true, Cost: 5, Wait: 2 * time.Second, Done: unsent}, // gives its token back
		{At: 4, Attempt: 2, Last: failure, OK: true, Cost: 5, Wait: 2 * time.Second, Done: inFlight},
		{At: 4, Attempt: 3, Last: failure, OK: true, Cost: 5, Wait: 4 * time.Second, Done: inFlight},
	})
}

// TestAWSAdaptiveThrottle: the cut is Beta times the measured rate, and a
// reservation waits for the missing part of a token at the new rate.
func TestAWSAdaptiveThrottle(t *testing.T) {
	var a backoff.AWSAdaptive
	for range 10 {
		a.Done(at(0), a.Allow(at(0), 1, 0), success)
	}
	// 11 outcomes in the bucket closed at 1 s: m = 0.8·11 = 8.8; the
	// bucket filled 0.5 tokens in that second at MinRate.
	a.Done(at(1), a.Allow(at(1), 1, 0), throttled)
	r, on := a.Rate()
	if want := 0.7 * 8.8; math.Abs(r-want) > 1e-9 || !on {
		t.Fatalf("after the throttle: rate %v (pacing %v), want %v (true)", r, on, want)
	}
	tk := a.Allow(at(1), 1, 0)
	if want := 0.5 / (0.7 * 8.8); math.Abs(tk.Wait.Seconds()-want) > 1e-6 {
		t.Errorf("wait %v, want %v s", tk.Wait, want)
	}
	// Timeouts do not cut the rate (botocore counts only throttling errors).
	a.Done(at(1), tk, timeout)
	if r2, _ := a.Rate(); r2 < r {
		t.Errorf("a timeout cut the rate from %v to %v", r, r2)
	}
}

// TestAWSAdaptiveCubic: with outcomes flowing at 20 a second, the rate
// after a throttle at t₀ follows Scale·(t−t₀−K)³ + Wmax, from Beta·Wmax at
// t₀ back to Wmax at t₀+K and beyond.
func TestAWSAdaptiveCubic(t *testing.T) {
	var a backoff.AWSAdaptive
	step := func(i int, o backoff.Outcome) {
		now := at(float64(i) * 0.05)
		a.Done(now, a.Allow(now, 1, 0), o)
	}
	for i := range 100 {
		step(i, success)
	}
	step(100, throttled) // t₀ = 5 s
	r0, _ := a.Rate()
	w := r0 / 0.7
	if w < 19 || w > 23 {
		t.Fatalf("Wmax %v, want the measured 20 a second or so", w)
	}
	k := math.Cbrt(w * 0.3 / 0.4)
	for i := 101; float64(i)*0.05 <= 5+k+3; i++ {
		step(i, success)
		d := float64(i)*0.05 - 5 - k
		want := max(0.5, 0.4*d*d*d+w)
		if got, _ := a.Rate(); math.Abs(got-want) > 1e-9 {
			t.Fatalf("at t₀+%.2f s: rate %v, want %v", float64(i)*0.05-5, got, want)
		}
	}
}

// TestAWSAdaptiveProperty: over random outcome streams, waits are never
// negative, the rate never falls below MinRate, and reservations made at
// one instant are 1/rate apart.
func TestAWSAdaptiveProperty(t *testing.T) {
	for seed := range uint64(100) {
		r := rand.New(rand.NewPCG(seed, 7))
		var a backoff.AWSAdaptive
		now := 0.0
		outcomes := []backoff.Outcome{success, failure, timeout, throttled}
		for range 2000 {
			now += r.ExpFloat64() / 20
			tk := a.Allow(at(now), 1+r.IntN(3), failure)
			if tk.Wait < 0 {
				t.Fatalf("seed %d: wait %v", seed, tk.Wait)
			}
			if tk.OK {
				a.Done(at(now+r.Float64()), tk, outcomes[r.IntN(len(outcomes))])
			}
			rate, on := a.Rate()
			if rate < 0.5 {
				t.Fatalf("seed %d: rate %v below MinRate", seed, rate)
			}
			if on && r.IntN(50) == 0 {
				w1 := a.Allow(at(now), 1, 0).Wait
				w2 := a.Allow(at(now), 1, 0).Wait
				if w1 > 0 && math.Abs((w2-w1).Seconds()-1/rate) > 1e-6 {
					t.Fatalf("seed %d: reservations %v and %v at rate %v", seed, w1, w2, rate)
				}
			}
		}
	}
}

// TestAWSAdaptiveConverges: one client that would send 50 attempts a second
// to a service admitting 10 a second (a token bucket of 10) and throttling
// the rest, sending each attempt when its Ticket's Wait is over. The
// limiter must bring the client near the service's rate: without it 80 %
// of attempts would be throttled.
func TestAWSAdaptiveConverges(t *testing.T) {
	var a backoff.AWSAdaptive
	const admit, burst = 10.0, 10.0
	tokens, last := burst, 0.0
	sent, throttledN, next := 0, 0, 0.0
	for next < 120 {
		tk := a.Allow(at(next), 1, 0)
		now := next + tk.Wait.Seconds()
		tokens = min(burst, tokens+(now-last)*admit)
		last = now
		o := success
		if tokens >= 1 {
			tokens--
		} else {
			o = throttled
		}
		a.Done(at(now), tk, o)
		if now >= 60 {
			sent++
			if o == throttled {
				throttledN++
			}
		}
		next = max(now, next+0.02)
	}
	rate, share := float64(sent)/60, float64(throttledN)/float64(sent)
	t.Logf("last 60 s: %.1f attempts a second, %.0f %% throttled", rate, 100*share)
	if rate < 5 || rate > 20 || share > 0.3 {
		t.Errorf("last 60 s: %.1f attempts a second, %.2f throttled; want 5 to 20 a second, at most 0.3 throttled", rate, share)
	}
}
