package handlers_test

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// fleetRun is what a fleet run measured: relays sent by clients, relays
// answered, of which successes, and sends to the target.
type fleetRun struct {
	relays, answered, ok, sends int
}

func (r fleetRun) perRelay() float64 { return float64(r.sends) / float64(r.relays) }
func (r fleetRun) success() float64  { return float64(r.ok) / float64(r.relays) }

// runFleet runs nodes in-process nodes n1, n2, ... in a synctest bubble,
// each relaying rate relays a second for dur to target (with the extra
// request fields), where target is a service answering read_ok, or, if
// answer is false, nobody. loss and replyLoss are the net's, drawn from
// seed. It waits a
// minute of fake time for the relays to end and counts.
func runFleet(t *testing.T, nodes int, rate float64, dur time.Duration, answer bool, loss, replyLoss float64, seed uint64, fields string) fleetRun {
	var r fleetRun
	synctest.Test(t, func(t *testing.T) {
		nt := newNet(t)
		nt.loss, nt.replyLoss, nt.seed = loss, replyLoss, seed
		if answer {
			nt.serve("target", func(msg) map[string]any { return map[string]any{"type": "read_ok"} })
		}
		ids := []string{"target"}
		for i := range nodes {
			ids = append([]string{fmt.Sprintf("n%d", i+1)}, ids...)
		}
		ms := nt.cluster(ids...)
		every := time.Duration(float64(time.Second) / rate)
		for tick := 0; time.Duration(tick)*every < dur; tick++ {
			for i, m := range ms {
				m.line(fmt.Sprintf(`{"src":"c1","dest":%q,"body":%s}`, m.id, relayReq(r.relays+10, fmt.Sprintf(`"target":"target","seed":%d,%s`, tick*nodes+i, fields))))
				r.relays++
			}
			time.Sleep(every)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		for _, m := range ms[0].take() {
			if m.Dest == "c1" {
				r.answered++
				if m.typ() == "backoff_relay_ok" {
					r.ok++
				}
			}
		}
		r.sends = nt.sends("target")
		nt.stop()
	})
	if r.answered != r.relays {
		t.Errorf("%d of %d relays answered", r.answered, r.relays)
	}
	return r
}

// TestFleetDeadTarget: a fleet of 20 quiet nodes, each relaying 2 requests
// a second for 10 s to a target that never answers (max_retries 3), makes
// at most 1.3 sends a relay in all with the node's default control. The
// other controls are logged beside it: the Finagle budget's floor (10
// retries a second per node) adds up across the fleet to 4.0 sends a
// relay, as if there were no control.
func TestFleetDeadTarget(t *testing.T) {
	for _, c := range policyCases {
		r := runFleet(t, 20, 2, 10*time.Second, false, 0, 0, 1, `"max_retries":3`+c.field)
		t.Logf("%-9s %d relays, %4d sends to the dead target, %.3f a relay", c.name, r.relays, r.sends, r.perRelay())
		if c.field == "" && r.perRelay() > 1.3 {
			t.Errorf("default control: %.3f sends a relay, want at most 1.3", r.perRelay())
		}
	}
	// The default's bound does not grow with the fleet: each node's credit
	// is spent once, whatever the others do.
	for _, nodes := range []int{1, 5, 50} {
		r := runFleet(t, nodes, 2, 10*time.Second, false, 0, 0, 1, `"max_retries":3`)
		t.Logf("default, %d nodes: %.3f sends a relay", nodes, r.perRelay())
		if r.perRelay() > 1.3 {
			t.Errorf("default control, %d nodes: %.3f sends a relay, want at most 1.3", nodes, r.perRelay())
		}
	}
}

// policyCases are the controls compared: the default first.
var policyCases = []struct{ name, field string }{
	{"default", ""},
	{"budget", `,"retry_policy":"budget"`},
	{"grpc", `,"retry_policy":"grpc"`},
	{"aws", `,"retry_policy":"aws"`},
	{"adaptive", `,"retry_policy":"adaptive"`},
	{"bucket", `,"retry_policy":"bucket"`},
	{"breaker", `,"retry_policy":"breaker"`},
	{"none", `,"retry_policy":"none"`},
}

// TestLossyTarget: one node relaying to a live target through 30 %
// independent loss of its attempts (each request lost with probability
// 0.3; max_retries 3, attempt_timeout 0.2 s, 5 relays a second for 100 s)
// keeps at least 95 % of its relays successful with the default control.
// Logged beside it: every control, and 30 % loss each way (an attempt then
// fails with probability 0.51).
func TestLossyTarget(t *testing.T) {
	const fields = `"max_retries":3,"attempt_timeout":0.2,"base_delay":0.05`
	for _, c := range policyCases {
		r := runFleet(t, 1, 5, 100*time.Second, true, 0.3, 0, 1, fields+c.field)
		both := runFleet(t, 1, 5, 100*time.Second, true, 0.3, 0.3, 1, fields+c.field)
		t.Logf("%-9s %d relays; 30 %% of attempts lost: %5.1f %% successful, %.3f sends a relay; 30 %% lost each way: %5.1f %%, %.3f",
			c.name, r.relays, 100*r.success(), r.perRelay(), 100*both.success(), both.perRelay())
		if c.field == "" && r.success() < 0.95 {
			t.Errorf("default control: %.1f %% of relays successful through 30 %% loss, want at least 95 %%", 100*r.success())
		}
	}
	for seed := uint64(2); seed <= 5; seed++ {
		r := runFleet(t, 1, 5, 100*time.Second, true, 0.3, 0, seed, fields)
		t.Logf("default, loss seed %d: %.1f %% successful", seed, 100*r.success())
		if r.success() < 0.95 {
			t.Errorf("default control, loss seed %d: %.1f %% of relays successful through 30 %% loss, want at least 95 %%", seed, 100*r.success())
		}
	}
}
