package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/backoff-node/backoff-node/handlers"
	"github.com/backoff-node/backoff-node/node"
)

type reply struct {
	Body struct {
		Type       string  `json:"type"`
		Code       *int    `json:"code"`
		Text       string  `json:"text"`
		ScheduleMS []int64 `json:"schedule_ms"`
		TotalMS    int64   `json:"total_ms"`
		Retries    int     `json:"retries"`
		Seed       uint64  `json:"seed"`
		BaseDelay  float64 `json:"base_delay"`
		MaxDelay   float64 `json:"max_delay"`
		Jitter     float64 `json:"jitter"`
		InReplyTo  int     `json:"in_reply_to"`
	} `json:"body"`
}

// serve runs requests (bodies) through an in-process node and returns the
// replies after init_ok.
func serve(t *testing.T, bodies []string) []reply {
	t.Helper()
	var in strings.Builder
	in.WriteString(`{"src":"c0","dest":"n1","body":{"type":"init","msg_id":0,"node_id":"n1","node_ids":["n1"]}}` + "\n")
	for _, b := range bodies {
		fmt.Fprintf(&in, `{"src":"c1","dest":"n1","body":%s}`+"\n", b)
	}
	var out bytes.Buffer
	n := node.New(strings.NewReader(in.String()), &out, io.Discard)
	handlers.Register(n, rand.New(rand.NewPCG(3, 4)))
	if err := n.Run(); err != nil {
		t.Fatal(err)
	}
	var replies []reply
	d := json.NewDecoder(&out)
	for {
		var r reply
		if err := d.Decode(&r); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, r)
	}
	return replies[1:]
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
		b := rep.Body
		if b.Type != "compute_backoff_ok" || b.InReplyTo != i+1 {
			t.Fatalf("reply %d: %+v", i, b)
		}
		var sum int64
		capMS := int64(math.Round(b.MaxDelay * 1000))
		for k, d := range b.ScheduleMS {
			lo := math.Min(b.MaxDelay, math.Ldexp(b.BaseDelay, k))
			hi := math.Min(b.MaxDelay, math.Ldexp(b.BaseDelay, k)*(1+b.Jitter))
			if d < int64(math.Round(lo*1000)) || d > int64(math.Round(hi*1000)) || d > capMS {
				t.Fatalf("request %s: delay %d = %d ms, want in [%v, %v] s and <= %d ms", bodies[i], k, d, lo, hi, capMS)
			}
			sum += d
		}
		if len(b.ScheduleMS) != b.Retries || sum != b.TotalMS {
			t.Fatalf("request %s: %d delays summing to %d, reply says retries %d total %d", bodies[i], len(b.ScheduleMS), sum, b.Retries, b.TotalMS)
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
	seen := map[uint64]bool{}
	var again []string
	for _, rep := range replies {
		if rep.Body.Seed > 1<<53 || seen[rep.Body.Seed] {
			t.Fatalf("seed %d repeated or out of range", rep.Body.Seed)
		}
		seen[rep.Body.Seed] = true
		again = append(again, fmt.Sprintf(`{"type":"compute_backoff","msg_id":1,"max_retries":10,"seed":%d}`, rep.Body.Seed))
	}
	for i, rep := range serve(t, again) {
		if fmt.Sprint(rep.Body.ScheduleMS) != fmt.Sprint(replies[i].Body.ScheduleMS) {
			t.Errorf("seed %d: %v, first time %v", rep.Body.Seed, rep.Body.ScheduleMS, replies[i].Body.ScheduleMS)
		}
	}
}
