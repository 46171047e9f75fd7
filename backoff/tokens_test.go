package backoff_test

// The retry controls that count tokens or credit: TokenBucket, GRPCThrottle,
// AWSQuota, AWSAdaptive (the quota and a rate limiter) and RetryCredit,
// each pinned by a step table and bounded over random outcome streams.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
)

func TestTokenBucket(t *testing.T) {
	tests := []stepCase[*backoff.TokenBucket]{
		{"defaults: 5 retries of credit, 10 successes a retry", &backoff.TokenBucket{}, []step{
			{Attempt: 1, OK: true, Done: failure, After: "5"},
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: failure, Repeat: 5, After: "0"},
			{Attempt: 3, Last: timeout, OK: false},
			{Attempt: 1, OK: true, Done: success, Repeat: 9, After: "0.9"},
			{Attempt: 2, Last: failure, OK: false}, // not a whole token
			{Attempt: 1, OK: true, Done: success, After: "1"},
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: success, After: "0.1"},
			{Attempt: 0, OK: true, Done: success, Repeat: 100, After: "5"}, // full
		}},
		{"an unsent retry gives its token back", &backoff.TokenBucket{Size: 1}, []step{
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: unsent, After: "1"},
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: inFlight, After: "0"},
			{Attempt: 2, Last: failure, OK: false},
		}},
		{"a deposit of a whole token", &backoff.TokenBucket{Deposit: 1, Size: 2}, []step{
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: failure, Repeat: 2, After: "0"},
			{Attempt: 1, OK: true, Done: success, After: "1"},
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: success, After: "1"},
		}},
	}
	runCases(t, func(b *backoff.TokenBucket) string { return fmt.Sprint(b.Tokens()) }, tests)
}

// TestTokenBucketBound: over random outcome streams, retries never exceed
// Deposit·successes + Size.
func TestTokenBucketBound(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 4))
		b := backoff.TokenBucket{Deposit: float64(1+r.IntN(1000)) / 1000, Size: float64(1 + r.IntN(10))}
		if err := fundedRetries(&b, r, r.Float64(), b.Deposit, b.Size); err != nil {
			t.Fatalf("seed %d (%+v): %v", seed, &b, err)
		}
	}
}

func TestGRPCThrottle(t *testing.T) {
	tests := []stepCase[*backoff.GRPCThrottle]{
		{"defaults: 5 failures stop retries, 1 success resumes them", &backoff.GRPCThrottle{}, []step{
			{Attempt: 1, OK: true, Done: failure, After: "9"},
			{Attempt: 2, Last: failure, OK: true, Done: failure, After: "8"},
			{Attempt: 3, Last: failure, OK: true, Done: timeout, After: "7"},
			{Attempt: 4, Last: timeout, OK: true, Done: throttled, After: "6"},
			{Attempt: 1, OK: true, Done: failure, After: "5"},
			{Attempt: 2, Last: failure, OK: false, After: "5"}, // at max/2: no retry
			{Attempt: 1, OK: true, Done: success, After: "5.1"},
			{Attempt: 2, Last: failure, OK: true, Done: success, After: "5.2"},
		}},
		{"the count stays within [0, MaxTokens]", &backoff.GRPCThrottle{}, []step{
			{Attempt: 1, OK: true, Done: success, After: "10"},
			{Attempt: 1, OK: true, Done: failure, Repeat: 12, After: "0"},
			{Attempt: 1, OK: true, Done: success, Repeat: 50, After: "5"},
			{Attempt: 2, Last: failure, OK: false},
			{Attempt: 1, OK: true, Done: success, After: "5.1"},
			{Attempt: 2, Last: failure, OK: true, Done: unsent, After: "5.1"}, // unsent: no change
			{Attempt: 1, OK: true, Done: success, Repeat: 1000, After: "10"},
		}},
		{"MaxTokens 1, TokenRatio 1", &backoff.GRPCThrottle{MaxTokens: 1, TokenRatio: 1}, []step{
			{Attempt: 2, Last: failure, OK: true, Done: failure, After: "0"},
			{Attempt: 2, Last: failure, OK: false},
			{Attempt: 0, OK: true, Done: success, After: "1"}, // attempt 0 counts as a first
			{Attempt: 2, Last: failure, OK: true, Done: inFlight},
		}},
		{"three decimals, as gRPC keeps them", &backoff.GRPCThrottle{MaxTokens: 3, TokenRatio: 0.0004}, []step{
			{Attempt: 1, OK: true, Done: failure, After: "2"},
			{Attempt: 1, OK: true, Done: success, Repeat: 10, After: "2"}, // 0.0004 rounds to 0
		}},
	}
	runCases(t, func(g *backoff.GRPCThrottle) string { return fmt.Sprint(g.Tokens()) }, tests)
}

// TestGRPCThrottleProperty: over random outcome streams the count stays in
// [0, MaxTokens] and a retry is allowed exactly when it is above half.
func TestGRPCThrottleProperty(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 2))
		g := backoff.GRPCThrottle{MaxTokens: float64(1 + r.IntN(20)), TokenRatio: float64(r.IntN(2000)) / 1000}
		max := g.MaxTokens
		p := r.Float64()
		for range 500 {
			before := g.Tokens()
			attempt := 1 + r.IntN(3)
			tk := g.Allow(t0, attempt, failure)
			if want := attempt == 1 || before > max/2; tk.OK != want {
				t.Fatalf("seed %d: count %v of %v, attempt %d: OK %v, want %v", seed, before, max, attempt, tk.OK, want)
			}
			o := success
			if r.Float64() < p {
				o = failure
			}
			if tk.OK {
				g.Done(t0, tk, o)
			}
			if n := g.Tokens(); n < 0 || n > max {
				t.Fatalf("seed %d: count %v outside [0, %v]", seed, n, max)
			}
		}
	}
}

func TestAWSQuota(t *testing.T) {
	tests := []stepCase[*backoff.AWSQuota]{
		{"defaults: costs and refunds", &backoff.AWSQuota{}, []step{
			{Attempt: 1, OK: true, Done: success, After: "500"}, // full: the +1 is lost
			{Attempt: 1, OK: true, Done: failure, After: "500"},
			{Attempt: 2, Last: failure, OK: true, Cost: 5, Done: failure, After: "495"},
			{Attempt: 3, Last: timeout, OK: true, Cost: 10, Done: success, After: "495"}, // refunds its 10
			{Attempt: 1, OK: true, Done: success, After: "496"},
			{Attempt: 2, Last: throttled, OK: true, Cost: 5, Done: unsent, After: "496"},
			{Attempt: 2, Last: throttled, OK: true, Cost: 5, Done: timeout, After: "491"},
		}},
		{"defaults: a dead service drains it in 100 retries", &backoff.AWSQuota{}, []step{
			{Attempt: 2, Last: failure, OK: true, Cost: 5, Done: failure, Repeat: 99, After: "5"},
			{Attempt: 3, Last: timeout, OK: false, After: "5"}, // 10 > 5
			{Attempt: 2, Last: failure, OK: true, Cost: 5, Done: failure, After: "0"},
			{Attempt: 2, Last: failure, OK: false},
			{Attempt: 1, OK: true, Done: success, Repeat: 4, After: "4"},
			{Attempt: 2, Last: failure, OK: false},
			{Attempt: -1, OK: true, Done: success, After: "5"}, // attempt -1 counts as a first
			{Attempt: 2, Last: failure, OK: true, Cost: 5, Done: inFlight, After: "0"},
		}},
		{"other costs", &backoff.AWSQuota{Capacity: 10, RetryCost: 3, TimeoutCost: 7, NoRetryIncrement: 0.5}, []step{
			{Attempt: 2, Last: timeout, OK: true, Cost: 7, Done: failure, After: "3"},
			{Attempt: 2, Last: failure, OK: true, Cost: 3, Done: failure, After: "0"},
			{Attempt: 1, OK: true, Done: success, Repeat: 6, After: "3"},
			{Attempt: 2, Last: failure, OK: true, Cost: 3, Done: success, After: "3"},
		}},
	}
	runCases(t, func(q *backoff.AWSQuota) string { return fmt.Sprint(q.Tokens()) }, tests)
}

// TestAWSQuotaProperty: over random outcome streams the bucket stays in
// [0, Capacity], and against a service that never answers the retries
// cost at most Capacity.
func TestAWSQuotaProperty(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 3))
		var q backoff.AWSQuota
		p := r.Float64()
		if seed%4 == 0 {
			p = 1
		}
		spent := 0.0
		for range 1000 {
			last := []backoff.Outcome{failure, timeout, throttled}[r.IntN(3)]
			tk := q.Allow(t0, 1+r.IntN(4), last)
			o := success
			if r.Float64() < p {
				o = last
			}
			if tk.OK {
				spent += tk.Cost
				q.Done(t0, tk, o)
			}
			if n := q.Tokens(); n < 0 || n > 500 {
				t.Fatalf("seed %d: bucket %v outside [0, 500]", seed, n)
			}
		}
		if p == 1 && spent > 500 {
			t.Errorf("seed %d: a dead service got %v tokens of retries, more than the capacity", seed, spent)
		}
	}
}

func TestRetryCredit(t *testing.T) {
	tests := []stepCase[*backoff.RetryCredit]{
		{"defaults: no answer, no retry; one retry a success, up to 5", &backoff.RetryCredit{}, []step{
			{Attempt: 1, OK: true, Done: timeout, After: "0.0000 19"},
			{Attempt: 2, Last: timeout, OK: false},
			{Attempt: 1, OK: true, Done: success, After: "1.0000 20"},
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: timeout, After: "0.0000 19"},
			{Attempt: 1, OK: true, Done: success, Repeat: 10, After: "5.0000 20"}, // at most Credit
			{Attempt: 2, Last: timeout, OK: true, Cost: 1, Done: timeout, Repeat: 5, After: "0.0000 15"},
			{Attempt: 3, Last: timeout, OK: false},
			{Attempt: -5, OK: true, Done: success, After: "1.0000 16"}, // attempt -5 counts as a first
		}},
		{"defaults: credit fades by e every 30 s", &backoff.RetryCredit{}, []step{
			{At: 0, Attempt: 1, OK: true, Done: success, Repeat: 5, After: "5.0000 20"},
			{At: 30, Attempt: 2, Last: failure, OK: true, Cost: 1, Done: failure, After: "0.8394 19"}, // 5/e − 1
			{At: 30, Attempt: 2, Last: failure, OK: false},
			{At: 60, Attempt: 2, Last: failure, OK: false, After: "0.3088 19"},
			{At: 5, Attempt: 1, OK: true, Done: success, After: "1.3088 20"}, // 5 s counts as 60 s
			{At: 60, Attempt: 2, Last: failure, OK: true, Cost: 1, Done: unsent, After: "1.3088 20"},
		}},
		{"Fade 1 s", &backoff.RetryCredit{Fade: time.Second}, []step{
			{At: 0, Attempt: 1, OK: true, Done: success, Repeat: 5, After: "5.0000 20"},
			{At: 1, Attempt: 2, Last: failure, OK: true, Cost: 1, Done: failure, After: "0.8394 19"},
		}},
		{"defaults: the gate stops retries when failures outrun successes", &backoff.RetryCredit{}, []step{
			{Attempt: 1, OK: true, Done: success, Repeat: 5, After: "5.0000 20"},
			{Attempt: 1, OK: true, Done: failure, Repeat: 9, After: "5.0000 11"},
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: failure, After: "4.0000 10"},
			{Attempt: 2, Last: failure, OK: false, After: "4.0000 10"}, // at Gate/2
			{Attempt: 1, OK: true, Done: success, After: "5.0000 11"},
			{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: inFlight, After: "4.0000 11"},
			{Attempt: 1, OK: true, Done: failure, Repeat: 30, After: "4.0000 0"},
			{Attempt: 1, OK: true, Done: success, Repeat: 10, After: "5.0000 10"},
			{Attempt: 2, Last: failure, OK: false},
		}},
		{"a quarter of a retry a success", &backoff.RetryCredit{Ratio: 0.25, Credit: 1, Gate: 2}, []step{
			{Attempt: 1, OK: true, Done: success, Repeat: 3, After: "0.7500 2"},
			{Attempt: 2, Last: failure, OK: false},
			{Attempt: 1, OK: true, Done: success, After: "1.0000 2"},
			{Attempt: 1, OK: true, Done: failure, After: "1.0000 1"},
			{Attempt: 2, Last: failure, OK: false}, // 1 ≤ 2/2
		}},
	}
	runCases(t, func(c *backoff.RetryCredit) string {
		credit, gate := c.Balance(t0)
		return fmt.Sprintf("%.4f %g", credit, gate)
	}, tests)
}

// TestRetryCreditBound: over random outcome streams, retries never exceed
// Ratio·successes + Credit.
func TestRetryCreditBound(t *testing.T) {
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 5))
		c := backoff.RetryCredit{Ratio: float64(1+r.IntN(2000)) / 1000, Credit: float64(1 + r.IntN(10)), Gate: float64(2 + r.IntN(30))}
		if err := fundedRetries(&c, r, r.Float64(), c.Ratio, c.Credit); err != nil {
			t.Fatalf("seed %d (%+v): %v", seed, &c, err)
		}
	}
}

// TestRetryCreditDead: against a service that never answers, with each
// retry asked after the failure before it, a client that had s successes
// just before retries at most min(s, Credit, ⌈Gate/2⌉ − 1) times in all:
// exactly that many in one call that retries until refused, at most that
// many over calls of 3 retries.
func TestRetryCreditDead(t *testing.T) {
	for credit := 1; credit <= 8; credit++ {
		for gate := 1; gate <= 21; gate++ {
			for s := range 10 {
				want := min(s, credit, (gate+1)/2-1)
				for _, perCall := range []int{1000, 3} {
					c := backoff.RetryCredit{Credit: float64(credit), Gate: float64(gate)}
					for range s {
						c.Done(t0, c.Allow(t0, 1, 0), success)
					}
					retries := 0
					for range 50 {
						tk := c.Allow(t0, 1, 0)
						c.Done(t0, tk, timeout)
						for attempt := 2; attempt <= 1+perCall; attempt++ {
							if tk = c.Allow(t0, attempt, timeout); !tk.OK {
								break
							}
							retries++
							c.Done(t0, tk, timeout)
						}
					}
					if retries > want || perCall > 3 && retries != want {
						t.Errorf("Credit %d, Gate %d, %d successes, %d retries a call: %d retries to a dead service, want %d",
							credit, gate, s, perCall, retries, want)
					}
				}
			}
		}
	}
}

// TestRetryCreditTargets: the two targets of the fleet issues, in the
// simulation of controls_test.go, over 50 seeds and both timings of the
// retry's question: 20 quiet clients send at most 1.3 attempts a call to a
// dead service, whether it never answered them or answered for 10 s first;
// one client through 30 % independent errors (failure replies or timeouts)
// keeps at least 95 % of its calls, and 90 % when it calls once every 5 s.
func TestRetryCreditTargets(t *testing.T) {
	skipUnderRace(t)
	mk := func() backoff.Control { return &backoff.RetryCredit{} }
	for _, atFailure := range []bool{false, true} {
		dead, lossy := deadFleet, lossyOne
		dead.AtFailure, lossy.AtFailure = atFailure, atFailure
		slow := lossy
		slow.Rate, slow.Horizon = 0.2, 5000
		sends, _, worstSends, _ := meanOver(dead, mk, 50)
		warm, worstWarm := warmDead(dead, mk, 50)
		_, succ, _, worstSucc := meanOver(lossy, mk, 50)
		_, succT, _, worstSuccT := meanOver(withTimeouts(lossy), mk, 50)
		_, succS, _, worstSuccS := meanOver(slow, mk, 20)
		t.Logf("ask at failure %v: dead fleet %.3f sends a call (worst %.3f), after 10 s of answers %.3f (worst %.3f); 30 %% errors %.4f success (worst %.4f), as timeouts %.4f (worst %.4f), a call every 5 s %.4f (worst %.4f)",
			atFailure, sends, worstSends, warm, worstWarm, succ, worstSucc, succT, worstSuccT, succS, worstSuccS)
		if max(worstSends, worstWarm) > 1.3 {
			t.Errorf("ask at failure %v: %.3f/%.3f sends a call from a fleet to a dead service, want at most 1.3", atFailure, worstSends, worstWarm)
		}
		if min(worstSucc, worstSuccT) < 0.95 {
			t.Errorf("ask at failure %v: %.4f/%.4f of calls succeed through 30 %% errors, want at least 0.95", atFailure, worstSucc, worstSuccT)
		}
		if worstSuccS < 0.9 {
			t.Errorf("ask at failure %v: %.4f of a slow client's calls succeed through 30 %% errors, want at least 0.9", atFailure, worstSuccS)
		}
	}
}

// TestRetryCreditStorm: the storm comes after 100 s in which 1000 quiet
// clients (a call every 20 s each) built up credit. They must still recover
// within 15 s of its end: their old credit has faded. Without fading they
// take longer, which is what Fade is for.
func TestRetryCreditStorm(t *testing.T) {
	skipUnderRace(t)
	for _, fade := range []time.Duration{0, math.MaxInt64} {
		worst := 0.0
		for seed := range uint64(3) {
			cfg := storm(1000)
			cfg.Horizon = 150
			cfg.Service = &queued{Capacity: 100, Timeout: 1, Queue: 300, DownFrom: 100, DownTo: 120}
			mk := func() backoff.Control { return &backoff.RetryCredit{Fade: fade} }
			rec := simulate(cfg, mk, rand.New(rand.NewPCG(seed+1, 0x57))).recovered(120, 3, 0.9)
			if rec < 0 {
				rec = math.Inf(1)
			}
			worst = max(worst, rec-120)
		}
		t.Logf("Fade %v: recovered %.1f s after the storm (worst of 3 seeds)", fade, worst)
		if fade == 0 && worst > 15 {
			t.Errorf("recovered %.1f s after the storm, want within 15 s", worst)
		}
		if fade != 0 && worst <= 15 {
			t.Errorf("without fading: recovered %.1f s after the storm: the test no longer shows why credit fades", worst)
		}
	}
}

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
