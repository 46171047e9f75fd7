package harness_test

import (
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/internal/harness"
)

// TestTargetQueue: a target of 10 requests a second with a queue of 5,
// sent 8 requests at once, takes the first 5 and refuses 3 with error 11
// at once; it answers the 5 in the order they came, the i-th no sooner
// than i service times after they were sent. With Late at 2.5 service
// times, the first two are on time, the other three late.
func TestTargetQueue(t *testing.T) {
	net := harness.New(t, harness.Config{})
	tg := net.AddTarget("srv", harness.TargetConfig{Rate: 10, Queue: 5, Key: "k", Late: 250 * time.Millisecond})
	net.Start()
	c := net.Client("c1")
	start := time.Now()
	calls := make([]*harness.Call, 8)
	for i := range calls {
		calls[i] = c.Call("srv", map[string]any{"type": "work", "k": i % 2})
	}
	var prev time.Time
	for i, call := range calls {
		m, err := call.Wait(replyTimeout)
		if err != nil {
			t.Fatal(err)
		}
		_, at := call.Reply()
		if i >= 5 {
			var e struct{ Code int }
			if m.Type != "error" || m.Decode(&e) != nil || e.Code != 11 {
				t.Errorf("request %d: %s, want error 11 (queue full)", i, m)
			}
			continue
		}
		if m.Type != "work_ok" {
			t.Errorf("request %d: %s, want work_ok", i, m)
		}
		if want := start.Add(time.Duration(i+1) * tg.Service()); at.Before(want) {
			t.Errorf("request %d answered %v after the sends, want no sooner than %v", i, at.Sub(start), want.Sub(start))
		}
		if at.Before(prev) {
			t.Errorf("request %d answered before request %d: not FIFO", i, i-1)
		}
		prev = at
	}
	st := tg.Stats()
	if st != (harness.TargetStats{Received: 8, Accepted: 5, Rejected: 3, Late: 3, MaxQueue: 5}) {
		t.Errorf("stats %+v, want 8 received, 5 accepted (3 of them late), 3 rejected, at most 5 queued", st)
	}
	pk := tg.PerKey()
	for i, k := range []string{"0", "1"} {
		_, first := calls[i].Reply()
		if ks := pk[k]; ks.Sends != 4 || ks.OnTime != 1 || ks.FirstOnTime.After(first) || len(pk) != 2 {
			t.Errorf("per key %v, want 4 sends and 1 on time, sent by %v, each for 0 and 1", pk, first.Sub(start))
		}
	}
}

// TestTargetStorm: a target stopped for 300 ms holds what arrives and
// serves none of it until the storm ends; a full queue then drops.
func TestTargetStorm(t *testing.T) {
	net := harness.New(t, harness.Config{})
	tg := net.AddTarget("srv", harness.TargetConfig{Rate: 100, Queue: 2, Drop: true})
	net.Start()
	c := net.Client("c1")
	start := time.Now()
	end := start.Add(300 * time.Millisecond)
	tg.Storm(start, end)
	calls := []*harness.Call{c.Call("srv", map[string]any{"type": "a"}), c.Call("srv", map[string]any{"type": "b"}),
		c.Call("srv", map[string]any{"type": "c"})}
	for i, call := range calls[:2] {
		m, err := call.Wait(replyTimeout)
		if err != nil {
			t.Fatal(err)
		}
		_, at := call.Reply()
		if want := end.Add(time.Duration(i+1) * tg.Service()); at.Before(want) || m.Type != string(rune('a'+i))+"_ok" {
			t.Errorf("request %d: %s at %v, want %c_ok no sooner than %v", i, m, at.Sub(start), 'a'+i, want.Sub(start))
		}
	}
	if m, _ := calls[2].Reply(); m != nil {
		t.Errorf("the request that found the queue full was answered: %s", m)
	}
	if st := tg.Stats(); st != (harness.TargetStats{Received: 3, Accepted: 2, Dropped: 1, MaxQueue: 2}) {
		t.Errorf("stats %+v, want 3 received, 2 accepted, 1 dropped, at most 2 queued", st)
	}
}
