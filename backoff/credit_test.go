package backoff_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
)

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
