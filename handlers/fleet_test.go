package handlers_test

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// A fleet is a run of in-process nodes n1, n2, ... in a synctest bubble,
// each relaying rate requests a second to one target, a service that
// answers read_ok for alive and then nothing for dead (alive 0: it never
// answers). Messages are lost as the net's loss and replyLoss say, drawn
// from seed. fields are the requests' extra fields.
type fleet struct {
	nodes       int
	rate        float64
	alive, dead time.Duration
	loss        float64
	replyLoss   float64
	seed        uint64
	fields      string
}

// fleetRun is what a fleet run measured over the relays that started
// after the target died (all of them if it never answered or never dies):
// relays, answered, of which successes, and sends to the target from then.
type fleetRun struct {
	relays, answered, ok, sends int
}

func (r fleetRun) perRelay() float64 { return float64(r.sends) / float64(r.relays) }
func (r fleetRun) success() float64  { return float64(r.ok) / float64(r.relays) }

// run runs the fleet, waits a minute of fake time for the relays to end,
// and counts.
func (f fleet) run(t *testing.T) fleetRun {
	var r fleetRun
	synctest.Test(t, func(t *testing.T) {
		nt := newNet(t)
		nt.loss, nt.replyLoss, nt.seed = f.loss, f.replyLoss, f.seed
		deathAt := time.Now().Add(f.alive)
		nt.serve("target", func(msg) map[string]any {
			if time.Now().Before(deathAt) {
				return map[string]any{"type": "read_ok"}
			}
			return nil
		})
		ids := []string{"target"}
		for i := range f.nodes {
			ids = append([]string{fmt.Sprintf("n%d", i+1)}, ids...)
		}
		ms := nt.cluster(ids...)
		every := time.Duration(float64(time.Second) / f.rate)
		sent, firstMeasured, sendsBefore := 0, 0, 0
		for tick := 0; time.Duration(tick)*every < f.alive+f.dead; tick++ {
			if f.alive > 0 && f.dead > 0 && time.Duration(tick)*every == f.alive {
				firstMeasured, sendsBefore = sent, nt.sends("target")
			}
			for _, m := range ms {
				m.line(fmt.Sprintf(`{"src":"c1","dest":%q,"body":%s}`, m.id, relayReq(sent, fmt.Sprintf(`"target":"target","seed":%d,%s`, sent, f.fields))))
				sent++
			}
			time.Sleep(every)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		r.relays = sent - firstMeasured
		for _, m := range ms[0].take() {
			if m.Dest == "c1" && m.int("in_reply_to") >= int64(firstMeasured) {
				r.answered++
				if m.typ() == "backoff_relay_ok" {
					r.ok++
				}
			}
		}
		r.sends = nt.sends("target") - sendsBefore
		nt.stop()
	})
	if r.answered != r.relays {
		t.Errorf("%d of %d relays answered", r.answered, r.relays)
	}
	return r
}

// TestFleetDeadTarget: a fleet of 20 quiet nodes, each relaying 2 requests
// a second for 10 s (max_retries 3) to a target that then stops answering,
// makes at most 1.3 sends a relay in all with the node's default control,
// whether the target answered them for 10 s before (credit earned) or never.
// The other controls are logged beside it: the Finagle budget's floor (10
// retries a second per node) adds up across the fleet to 4.0 sends a
// relay, as if there were no control.
func TestFleetDeadTarget(t *testing.T) {
	for _, c := range policyCases() {
		never := fleet{nodes: 20, rate: 2, dead: 10 * time.Second, fields: `"max_retries":3` + c.field}.run(t)
		died := fleet{nodes: 20, rate: 2, alive: 10 * time.Second, dead: 10 * time.Second, fields: `"max_retries":3` + c.field}.run(t)
		t.Logf("%-9s %d relays; sends a relay to a target that never answered %.3f, that answered for 10 s and died %.3f",
			c.name, never.relays, never.perRelay(), died.perRelay())
		if c.field == "" && (never.perRelay() > 1.3 || died.perRelay() > 1.3) {
			t.Errorf("default control: %.3f and %.3f sends a relay, want at most 1.3", never.perRelay(), died.perRelay())
		}
	}
	// The default's bound does not grow with the fleet: each node's credit
	// comes from its own successes, whatever the others do.
	for _, nodes := range []int{1, 5, 50} {
		r := fleet{nodes: nodes, rate: 2, alive: 10 * time.Second, dead: 10 * time.Second, fields: `"max_retries":3`}.run(t)
		t.Logf("default, %d nodes: %.3f sends a relay after the target died", nodes, r.perRelay())
		if r.perRelay() > 1.3 {
			t.Errorf("default control, %d nodes: %.3f sends a relay, want at most 1.3", nodes, r.perRelay())
		}
	}
}

// policyCases are the controls compared: the default first. Under the
// race detector only the default and the budget run (the others are
// measurements, logged, not asserted).
func policyCases() []struct{ name, field string } {
	if raceDetector {
		return allPolicyCases[:2]
	}
	return allPolicyCases
}

var allPolicyCases = []struct{ name, field string }{
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
	for _, c := range policyCases() {
		lossy := fleet{nodes: 1, rate: 5, alive: 100 * time.Second, loss: 0.3, seed: 1, fields: fields + c.field}
		r := lossy.run(t)
		lossy.replyLoss = 0.3
		both := lossy.run(t)
		t.Logf("%-9s %d relays; 30 %% of attempts lost: %5.1f %% successful, %.3f sends a relay; 30 %% lost each way: %5.1f %%, %.3f",
			c.name, r.relays, 100*r.success(), r.perRelay(), 100*both.success(), both.perRelay())
		if c.field == "" && r.success() < 0.95 {
			t.Errorf("default control: %.1f %% of relays successful through 30 %% loss, want at least 95 %%", 100*r.success())
		}
	}
	for seed := uint64(2); seed <= 5; seed++ {
		r := fleet{nodes: 1, rate: 5, alive: 100 * time.Second, loss: 0.3, seed: seed, fields: fields}.run(t)
		t.Logf("default, loss seed %d: %.1f %% successful", seed, 100*r.success())
		if r.success() < 0.95 {
			t.Errorf("default control, loss seed %d: %.1f %% of relays successful through 30 %% loss, want at least 95 %%", seed, 100*r.success())
		}
	}
}
