package handlers_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"testing/synctest"
)

// serve runs requests (bodies) from c1 through an in-process node and
// returns the replies.
func serve(t *testing.T, bodies []string) []msg {
	t.Helper()
	var replies []msg
	synctest.Test(t, func(t *testing.T) {
		n1 := newNet(t).start("n1")
		n1.init("n1")
		for _, b := range bodies {
			n1.line(req(b))
		}
		n1.close()
		replies = n1.take()
	})
	return replies
}

// TestComputeBackoffProperties sends 3000 requests with random parameters
// and seeds, and checks every delay of every reply: it lies in its interval
// b·2^k·[1, 1+j] (in whole ms, cap applied), never exceeds max_delay, and
// total_ms is the exact sum.
func TestComputeBackoffProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var bodies []string
	for i := range 3000 {
		base := 0.001 + r.Float64()*r.Float64()*5
		maxDelay := base + r.Float64()*r.Float64()*1000
		jitter := r.Float64()
		switch i % 7 {
		case 0:
			jitter = 0
		case 1:
			jitter = 1
		case 2:
			maxDelay = base
		}
		retries := r.IntN(80)
		if i%500 == 0 {
			retries = 10000 // 2^k overflows a float64 from k = 1024
		}
		bodies = append(bodies, fmt.Sprintf(`{"type":"compute_backoff","msg_id":%d,"max_retries":%d,"base_delay":%v,"max_delay":%v,"jitter":%v,"seed":%d}`,
			i+1, retries, base, maxDelay, jitter, r.Uint64N(1<<53)))
	}
	for i, rep := range serve(t, bodies) {
		if rep.typ() != "compute_backoff_ok" || rep.int("in_reply_to") != int64(i+1) {
			t.Fatalf("reply %d: %s", i, rep.line)
		}
		var sum int64
		maxDelay, base, jitter, schedule := rep.float("max_delay"), rep.float("base_delay"), rep.float("jitter"), rep.ints("schedule_ms")
		capMS := int64(math.Round(maxDelay * 1000))
		for k, d := range schedule {
			lo := math.Min(maxDelay, math.Ldexp(base, k))
			hi := math.Min(maxDelay, math.Ldexp(base, k)*(1+jitter))
			if d < int64(math.Round(lo*1000)) || d > int64(math.Round(hi*1000)) || d > capMS {
				t.Fatalf("request %s: delay %d = %d ms, want in [%v, %v] s and <= %d ms", bodies[i], k, d, lo, hi, capMS)
			}
			sum += d
		}
		if int64(len(schedule)) != rep.int("retries") || sum != rep.int("total_ms") {
			t.Fatalf("request %s: %d delays summing to %d, reply says retries %d total %d", bodies[i], len(schedule), sum, rep.int("retries"), rep.int("total_ms"))
		}
	}
}

// TestNoSeedGetsDistinctSeeds: requests without a seed each get a fresh one
// in 0..2^53, and the seed returned reproduces the schedule.
func TestNoSeedGetsDistinctSeeds(t *testing.T) {
	var bodies []string
	for i := range 100 {
		bodies = append(bodies, fmt.Sprintf(`{"type":"compute_backoff","msg_id":%d,"max_retries":10}`, i+1))
	}
	replies := serve(t, bodies)
	seen := map[int64]bool{}
	var again []string
	for _, rep := range replies {
		seed := rep.int("seed")
		if seed < 0 || seed > 1<<53 || seen[seed] {
			t.Fatalf("seed %d repeated or out of range: %s", seed, rep.line)
		}
		seen[seed] = true
		again = append(again, fmt.Sprintf(`{"type":"compute_backoff","msg_id":1,"max_retries":10,"seed":%d}`, seed))
	}
	for i, rep := range serve(t, again) {
		if got, first := fmt.Sprint(rep.ints("schedule_ms")), fmt.Sprint(replies[i].ints("schedule_ms")); got != first {
			t.Errorf("seed %d: %v, first time %v", rep.int("seed"), got, first)
		}
	}
}
