package handlers_test

import (
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestRelayBudget: 1000 relays to a silent node. With the budget
// (retry_policy "budget": 20 % of first attempts plus 10 a second over 10 s) the node makes 1000
// first attempts and at most 300 retries, where without it it would make
// 1000·(1 + max_retries); each relay whose retry is refused gives up with
// code 0 saying so, once its schedule would have ended. retry_budget false
// turns it off; a late reply after a refusal still ends the relay.
func TestRelayBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSession(t)
		const relays = 1000
		for i := range relays {
			s.send("c1", fmt.Sprintf(`{"type":"backoff_relay","msg_id":%d,"target":"n2","payload":{"type":"read"},"max_retries":3,"attempt_timeout":0.5,"retry_policy":"budget","seed":%d}`, 10+i, i))
		}
		s.wait(time.Minute)
		sent, replies := split(s.take())
		if len(replies) != relays {
			t.Fatalf("%d replies, want %d", len(replies), relays)
		}
		if max := relays + relays/5 + 100; len(sent) > max {
			t.Errorf("%d sends to n2, want at most %d (first attempts + 20%% + the floor)", len(sent), max)
		}
		refused := 0
		for _, r := range replies {
			text := r.str("text")
			if r.Body["type"] != "error" || r.int("code") != 0 {
				t.Fatalf("reply %v, want a give-up with code 0", r.Body)
			}
			if strings.Contains(text, "retry budget for n2 refused") {
				refused++
			}
		}
		if refused < relays/2 {
			t.Errorf("%d give-ups name the budget, want most of %d", refused, relays)
		}
		t.Logf("%d relays: %d sends, %d stopped by the budget", relays, len(sent), refused)

		// Off: every attempt of the schedule is made.
		s.send("c1", `{"type":"backoff_relay","msg_id":5000,"target":"n3","payload":{"type":"read"},"max_retries":3,"attempt_timeout":0.5,"retry_budget":false,"seed":1}`)
		s.wait(time.Minute)
		sent, replies = split(s.take())
		if len(sent) != 4 || len(replies) != 1 || replies[0].int("attempts") != 4 {
			t.Errorf("budget off: %d sends and %v, want 4 attempts", len(sent), replies)
		}

		// A late reply after a refusal ends the relay with success. Budget
		// ratio 0 and no floor: the first retry is refused.
		s.send("c1", `{"type":"backoff_relay","msg_id":6000,"target":"n3","payload":{"type":"read"},"max_retries":3,"attempt_timeout":0.5,"retry_budget":{"ratio":0,"min_per_second":0},"seed":1}`)
		s.wait(time.Second) // attempt 1 timed out, retry refused
		sent, _ = split(s.take())
		if len(sent) != 1 {
			t.Fatalf("%d sends, want 1", len(sent))
		}
		s.send("n3", fmt.Sprintf(`{"type":"read_ok","value":7,"in_reply_to":%d}`, sent[0].int("msg_id")))
		_, replies = split(s.take())
		if len(replies) != 1 || replies[0].Body["type"] != "backoff_relay_ok" || replies[0].int("attempts") != 1 {
			t.Errorf("late reply after refusal: %v, want backoff_relay_ok after 1 attempt", replies)
		}
		s.close()
	})
}

// TestRelayPolicyField: retry_policy takes a policy's name or an object
// with its name and parameters in range; retry_budget takes true, false or
// an object with ratio and min_per_second in range; a request may give one
// of them. Anything else is error 12 naming the field.
func TestRelayPolicyField(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSession(t)
		bad := []struct{ fields, field string }{
			{`"retry_budget":"yes"`, "retry_budget must be"},
			{`"retry_budget":1`, "retry_budget must be"},
			{`"retry_budget":[]`, "retry_budget must be"},
			{`"retry_budget":{"ratio":-1}`, "retry_budget must be"},
			{`"retry_budget":{"ratio":11}`, "retry_budget must be"},
			{`"retry_budget":{"min_per_second":1001}`, "retry_budget must be"},
			{`"retry_budget":{"ratio":"x"}`, "retry_budget must be"},
			{`"retry_policy":"finagle"`, "retry_policy must be one of fleet, budget, grpc, aws, adaptive, bucket, breaker, none"},
			{`"retry_policy":1`, "retry_policy must be"},
			{`"retry_policy":true`, "retry_policy must be"},
			{`"retry_policy":{"credit":4}`, "retry_policy must be"},
			{`"retry_policy":{"name":"fleet","credit":0}`, "retry_policy.credit must be a number from 1 to 1000"},
			{`"retry_policy":{"name":"fleet","ratio":0}`, "retry_policy.ratio must be a number above 0 to 10"},
			{`"retry_policy":{"name":"fleet","gate":1e999}`, "retry_policy.gate must be"},
			{`"retry_policy":{"name":"fleet","fade":0}`, "retry_policy.fade must be a number above 0 to 86400"},
			{`"retry_policy":{"name":"fleet","size":5}`, `retry_policy must be an object with "name": "fleet" and any of ratio, credit, fade, gate`},
			{`"retry_policy":{"name":"grpc","max_tokens":0.5}`, "retry_policy.max_tokens must be"},
			{`"retry_policy":{"name":"breaker","min_calls":2.5}`, "retry_policy.min_calls must be an integer"},
			{`"retry_policy":{"name":"adaptive","beta":1}`, `retry_policy must be {"name": "adaptive"} with no parameters`},
			{`"retry_policy":"budget","retry_budget":true`, "retry_policy must be given without retry_budget"},
			{`"payload":{"type":"backoff_relay","target":"n3","payload":{"type":"read"},"retry_policy":"x"}`, "payload.retry_policy must be"},
		}
		for i, c := range bad {
			s.send("c1", relayReq(i+10, c.fields))
			sent, replies := split(s.take())
			if len(sent) != 0 || len(replies) != 1 || replies[0].int("code") != 12 || !strings.HasPrefix(replies[0].str("text"), c.field) {
				t.Errorf("%s: %v, want error 12 starting %q", c.fields, replies, c.field)
			}
		}
		good := []string{
			`"retry_budget":true`, `"retry_budget":false`, `"retry_budget":{"ratio":0,"min_per_second":0}`, `"retry_budget":null`,
			`"retry_policy":null`, `"retry_policy":"none"`, `"retry_policy":{"name":"none"}`,
			`"retry_policy":{"name":"fleet","ratio":0.5,"credit":1,"fade":0.001,"gate":2}`, `"retry_policy":{"name":"budget","ratio":0,"min_per_second":1000}`,
			`"retry_policy":{"name":"grpc","max_tokens":1000,"token_ratio":1}`, `"retry_policy":{"name":"aws","capacity":1,"retry_cost":1,"timeout_cost":1e6}`,
			`"retry_policy":"adaptive"`, `"retry_policy":{"name":"bucket","deposit":10,"size":1}`, `"retry_policy":{"name":"breaker","failure_ratio":1,"min_calls":1}`,
		}
		for i, fields := range good {
			s.send("c1", relayReq(i+100, fields+`,"attempt_timeout":60`))
			if sent, replies := split(s.take()); len(sent) != 1 || len(replies) != 0 {
				t.Errorf("%s: sent %d, replied %v; want one send", fields, len(sent), replies)
			}
		}
		s.stop()
	})
}

// TestRelayMaxElapsed: a relay gives up when its next retry cannot start
// before max_elapsed, saying so, and never waits past it.
func TestRelayMaxElapsed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSession(t)
		start := time.Now()
		s.send("c1", `{"type":"backoff_relay","msg_id":2,"target":"n2","payload":{"type":"read"},"max_retries":10,"base_delay":0.1,"max_delay":0.1,"attempt_timeout":1,"max_elapsed":2.5,"retry_budget":false,"seed":3}`)
		var replies []msg
		for len(replies) == 0 && time.Since(start) < time.Minute {
			s.wait(10 * time.Millisecond)
			_, replies = split(s.take())
		}
		took := time.Since(start)
		// Attempts at 0, 1.1 and 2.2 s; the third is cut to 0.3 s.
		if len(replies) != 1 || replies[0].int("attempts") != 3 || !strings.Contains(replies[0].str("text"), "max_elapsed 2.5 s reached") {
			t.Fatalf("replies %v, want a give-up after 3 attempts naming max_elapsed", replies)
		}
		if took > 2500*time.Millisecond+10*time.Millisecond {
			t.Errorf("answered after %v, want by max_elapsed 2.5 s", took)
		}
		s.send("c1", `{"type":"backoff_relay","msg_id":3,"target":"n2","payload":{"type":"read"},"max_elapsed":0}`)
		if _, r := split(s.take()); len(r) != 1 || r[0].int("code") != 12 {
			t.Errorf("max_elapsed 0: %v, want error 12", r)
		}
		s.close()
	})
}

// TestRelayNestedDeadline: a relay whose payload is a backoff_relay sends it
// with max_elapsed no longer than the attempt's wait, or the payload's own
// if shorter, and with max_retries 0 whatever it asked (retries at one
// layer).
func TestRelayNestedDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSession(t)
		s.send("c1", `{"type":"backoff_relay","msg_id":2,"target":"n2","attempt_timeout":0.75,"payload":{"type":"backoff_relay","target":"n3","payload":{"type":"read"}}}`)
		s.send("c1", `{"type":"backoff_relay","msg_id":3,"target":"n2","attempt_timeout":0.75,"payload":{"type":"backoff_relay","target":"n3","max_elapsed":0.25,"max_retries":7,"payload":{"type":"read"}}}`)
		s.send("c1", `{"type":"backoff_relay","msg_id":4,"target":"n2","attempt_timeout":5,"max_elapsed":2,"payload":{"type":"backoff_relay","target":"n3","max_elapsed":null,"payload":{"type":"read"}}}`)
		sent, _ := split(s.take())
		want := []float64{0.75, 0.25, 2}
		if len(sent) != 3 {
			t.Fatalf("%d sends, want 3", len(sent))
		}
		for i, m := range sent {
			if m.float("max_elapsed") != want[i] || m.int("max_retries") != 0 || m.typ() != "backoff_relay" {
				t.Errorf("nested payload %d: %s, want max_elapsed %v and max_retries 0", i, m.line, want[i])
			}
		}
		s.stop()
	})
}

// TestRelayNestedFieldsChecked: a relay checks the fields of a relay nested
// in its payload, at every depth, as it checks its own: a bad one is error
// 12 naming it by its path, and nothing is sent (it was once replaced by
// the outer relay's wait, or passed on for the inner node to refuse).
func TestRelayNestedFieldsChecked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSession(t)
		nested := func(fields string) string {
			return `{"type":"backoff_relay","target":"n3",` + fields + `}`
		}
		cases := []struct{ payload, field string }{
			{nested(`"max_elapsed":-1,"payload":{"type":"read"}`), "payload.max_elapsed"},
			{nested(`"max_elapsed":0,"payload":{"type":"read"}`), "payload.max_elapsed"},
			{nested(`"max_elapsed":"x","payload":{"type":"read"}`), "payload.max_elapsed"},
			{nested(`"max_elapsed":1e999,"payload":{"type":"read"}`), "payload.max_elapsed"},
			{nested(`"max_elapsed":true,"payload":{"type":"read"}`), "payload.max_elapsed"},
			{nested(`"max_retries":"x","payload":{"type":"read"}`), "payload.max_retries"},
			{nested(`"attempt_timeout":0,"payload":{"type":"read"}`), "payload.attempt_timeout"},
			{nested(`"strategy":"nope","payload":{"type":"read"}`), "payload.strategy"},
			{nested(`"retry_budget":"x","payload":{"type":"read"}`), "payload.retry_budget"},
			{nested(`"payload":{"v":1}`), "payload.payload"},
			{`{"type":"backoff_relay","payload":{"type":"read"}}`, "payload.target"},
			{nested(`"payload":` + nested(`"jitter":2,"payload":{"type":"read"}`)), "payload.payload.jitter"},
			{strings.Repeat(`{"type":"backoff_relay","target":"n3","payload":`, 17) + `{"type":"read"}` + strings.Repeat(`}`, 17),
				"payload." + strings.Repeat("payload.", 16)[:16*8-1]},
		}
		for i, c := range cases {
			s.send("c1", relayReq(10+i, `"payload":`+c.payload))
			sent, replies := split(s.take())
			if len(sent) != 0 || len(replies) != 1 || replies[0].int("code") != 12 || !strings.HasPrefix(replies[0].str("text"), c.field+" must") {
				t.Errorf("payload %s: sent %d, replied %v; want error 12 naming %s", c.payload, len(sent), replies, c.field)
			}
		}
		// Sixteen deep is fine.
		s.send("c1", relayReq(99, `"payload":`+strings.Repeat(`{"type":"backoff_relay","target":"n3","payload":`, 16)+`{"type":"read"}`+strings.Repeat(`}`, 16)))
		if sent, replies := split(s.take()); len(sent) != 1 || len(replies) != 0 {
			t.Errorf("16 nested relays: sent %d, replied %v; want one send", len(sent), replies)
		}
		s.stop()
	})
}

// TestRelayRetriesAtOneLayer: a chain of relays retries at one layer, the
// outermost. The case: n1 relays with max_retries 0 a relay
// (attempt_timeout 0.25, max_retries 3) to n3 of a relay (attempt_timeout
// 0.05, max_retries 4) to n4, which never answers. The chain made 16 sends
// to n4; each nested relay now runs with max_retries 0, so n4 gets at most
// 1 + max_retries of the outermost relay, here 1, and with max_retries 2,
// 3 (the node's three relays are in-process nodes wired to each other).
func TestRelayRetriesAtOneLayer(t *testing.T) {
	for _, outer := range []int{0, 2} {
		synctest.Test(t, func(t *testing.T) {
			nt := newNet(t)
			n1 := nt.cluster("n1", "n2", "n3", "n4")[0]
			inner := `{"type":"backoff_relay","target":"n4","attempt_timeout":0.05,"max_retries":4,"base_delay":0.01,"payload":{"type":"read"}}`
			middle := `{"type":"backoff_relay","target":"n3","attempt_timeout":0.25,"max_retries":3,"base_delay":0.01,"payload":` + inner + `}`
			n1.send("c1", relayReq(2, fmt.Sprintf(`"max_retries":%d,"base_delay":0.01,"retry_policy":"none","payload":%s`, outer, middle)))
			n1.wait(time.Minute)
			_, replies := split(n1.take())
			if len(replies) != 1 || replies[0].typ() != "error" || replies[0].int("attempts") != int64(1+outer) {
				t.Errorf("replies %v, want a give-up after %d attempts", replies, 1+outer)
			}
			if got := nt.sends("n4"); got > 1+outer {
				t.Errorf("outer max_retries %d: %d sends to n4, want at most %d", outer, got, 1+outer)
			} else {
				t.Logf("outer max_retries %d: %d sends to n4 (16 before)", outer, got)
			}
			nt.stop()
		})
	}
}

// TestRelayZeroAttemptsCreditNothing: a relay that sends nothing (its
// max_elapsed already past when it starts) adds nothing to the budget
// (retry_policy "budget", whose first attempts buy retries). 1000
// of them, then a relay to the same dead target: the budget allows it the
// floor (100 retries in 10 s) and 0.2 of its own first attempt, 101 sends in
// all, where the 1000 once bought it 301.
func TestRelayZeroAttemptsCreditNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSession(t)
		for i := range 1000 {
			s.line(req(relayReq(10+i, `"max_elapsed":1e-10,"retry_policy":"budget"`)))
		}
		synctest.Wait()
		sent, replies := split(s.take())
		if len(sent) != 0 || len(replies) != 1000 || !strings.HasPrefix(replies[0].str("text"), "RPC failed after 0 attempts: max_elapsed 1e-10 s reached") {
			t.Fatalf("%d sends and %d replies (first %v), want 1000 give-ups after 0 attempts", len(sent), len(replies), replies[0].line)
		}
		s.send("c1", relayReq(2000, `"max_retries":300,"base_delay":0.001,"max_delay":0.001,"attempt_timeout":0.01,"retry_policy":"budget","seed":1`))
		s.wait(time.Minute)
		if sent, _ := split(s.take()); len(sent) > 101 {
			t.Errorf("%d sends, want at most 101 (the floor of 100 and 0.2 of one first attempt)", len(sent))
		}
		s.close()
	})
}

// TestRelayBudgetSurvivesOtherTargets: relays to thousands of other targets
// do not reset a target's budget (the node once forgot every budget after
// 4096 targets, so a client could empty a dead target's budget by naming
// others). 150 relays with one retry to dead n2 spend its budget (30 + the
// floor of 100 retries granted); relays to 5000 other targets, each pending;
// then a relay to n2 is refused its retry.
func TestRelayBudgetSurvivesOtherTargets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSession(t)
		for i := range 150 {
			s.line(req(relayReq(10+i, fmt.Sprintf(`"max_retries":1,"base_delay":0.01,"attempt_timeout":0.1,"retry_budget":true,"seed":%d`, i))))
		}
		s.wait(time.Second)
		if sent, _ := to("n2", s.take()); len(sent) > 150+130 {
			t.Fatalf("%d sends to n2, want at most 280", len(sent))
		}
		for i := range 5000 {
			s.line(req(relayReq(1000+i, fmt.Sprintf(`"target":"x%d","max_retries":0,"attempt_timeout":60`, i))))
		}
		synctest.Wait()
		s.take()
		s.send("c1", relayReq(9000, `"max_retries":3,"base_delay":0.01,"attempt_timeout":0.1,"retry_budget":true,"seed":1`))
		s.wait(time.Second)
		toN2, others := to("n2", s.take())
		if len(toN2) != 1 || len(others) != 1 || !strings.Contains(others[0].str("text"), "retry budget for n2 refused retry 1") {
			t.Errorf("%d sends to n2 and %v, want 1 send and a refusal by n2's budget", len(toN2), others)
		}
		s.stop()
	})
}

// TestRelayTrustsOnlyTarget: replies from any node but the target, even
// with the right in_reply_to, are ignored: a forged error 11 burns no
// attempt, a forged success is not the result; the target's reply is.
func TestRelayTrustsOnlyTarget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSession(t)
		s.send("c1", `{"type":"backoff_relay","msg_id":2,"target":"n2","payload":{"type":"read"},"seed":1}`)
		sent, _ := split(s.take())
		id := sent[0].int("msg_id")
		s.send("c9", fmt.Sprintf(`{"type":"error","code":11,"in_reply_to":%d}`, id))
		s.send("n3", fmt.Sprintf(`{"type":"read_ok","value":"forged","in_reply_to":%d}`, id))
		if sent, replies := split(s.take()); len(sent)+len(replies) != 0 {
			t.Fatalf("forged replies made the node write %v %v", sent, replies)
		}
		s.send("n2", fmt.Sprintf(`{"type":"read_ok","value":"genuine","in_reply_to":%d}`, id))
		_, replies := split(s.take())
		if len(replies) != 1 || replies[0].int("attempts") != 1 || replies[0].Body["result"].(map[string]any)["value"] != "genuine" {
			t.Errorf("replies %v, want the genuine result after 1 attempt", replies)
		}
		s.close()
	})
}

// TestRelayMemoryFlat: a pending relay holds O(1) memory whatever
// max_retries is: 2000 relays at max_retries 10000 (a schedule of 10,000
// delays each, 80 KB as float64s) take about what they take at 5.
func TestRelayMemoryFlat(t *testing.T) {
	small, large := pendingRelayBytes(t, 2000, `"max_retries":5`), pendingRelayBytes(t, 2000, `"max_retries":10000`)
	t.Logf("heap a pending relay: %.0f B at max_retries 5, %.0f B at 10000", small, large)
	if large > small+1024 {
		t.Errorf("a pending relay at max_retries 10000 takes %.0f B, at 5 %.0f B: want no growth", large, small)
	}
}

// pendingRelayBytes starts relays relays to a node that does not answer
// (attempt_timeout 60, so none ends) with the extra fields, on a node that
// keeps none of its output, and returns the heap each holds.
func pendingRelayBytes(t *testing.T, relays int, fields string) float64 {
	var per float64
	synctest.Test(t, func(t *testing.T) {
		s := newNet(t).start("n1")
		s.quiet = true
		s.init("n1", "n2")
		grew := heapGrowth(func() {
			for i := range relays {
				s.line(fmt.Sprintf(`{"src":"c1","dest":"n1","body":%s}`, relayReq(i+10, fmt.Sprintf(`"attempt_timeout":60,"seed":%d,%s`, i, fields))))
			}
			synctest.Wait()
		})
		per = float64(grew) / float64(relays)
		s.stop()
	})
	return per
}

// TestRelayDelaysArePrefix: with many fast transient failures the delays
// slept are exactly the first delays of compute_backoff's schedule for the
// same fields, recomputed for the reply rather than held.
func TestRelayDelaysArePrefix(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSession(t)
		const fields = `"max_retries":300,"base_delay":0.001,"max_delay":0.004,"strategy":"decorrelated_jitter","seed":42`
		s.send("c1", `{"type":"compute_backoff","msg_id":2,`+fields+`}`)
		_, r := split(s.take())
		schedule := r[0].ints("schedule_ms")
		s.send("c1", `{"type":"backoff_relay","msg_id":3,"target":"n2","payload":{"type":"read"},"retry_budget":false,`+fields+`}`)
		for attempt := 0; attempt < 200; attempt++ {
			sent, _ := split(s.take())
			if len(sent) != 1 {
				t.Fatalf("attempt %d: %d sends", attempt+1, len(sent))
			}
			if attempt == 199 {
				s.send("n2", fmt.Sprintf(`{"type":"read_ok","in_reply_to":%d}`, sent[0].int("msg_id")))
				break
			}
			s.send("n2", fmt.Sprintf(`{"type":"error","code":11,"in_reply_to":%d}`, sent[0].int("msg_id")))
			s.wait(5 * time.Millisecond)
		}
		_, r = split(s.take())
		delays := r[0].ints("delays_ms")
		if r[0].int("attempts") != 200 || len(delays) != 199 {
			t.Fatalf("reply %v, want 200 attempts and 199 delays", r[0].Body)
		}
		var total int64
		for k, d := range delays {
			if d != schedule[k] {
				t.Fatalf("delay %d = %v, schedule says %v", k, d, schedule[k])
			}
			total += d
		}
		if r[0].int("total_delay_ms") != total {
			t.Errorf("total_delay_ms %d, delays sum to %d", r[0].int("total_delay_ms"), total)
		}
		s.close()
	})
}

// TestRelayDoesNotPinItsLine: a pending relay keeps copies of what it
// needs, not the request's line, which shares a 64 KiB block with the lines
// around it: 2000 relays, each between big echo requests, hold about what
// 2000 relays sent back to back do.
func TestRelayDoesNotPinItsLine(t *testing.T) {
	perRelay := func(fat int) float64 {
		var per float64
		synctest.Test(t, func(t *testing.T) {
			s := newNet(t).start("n1")
			s.quiet = true
			s.init("n1", "n2")
			pad := strings.Repeat("x", fat)
			const relays = 2000
			grew := heapGrowth(func() {
				for i := range relays {
					s.line(fmt.Sprintf(`{"src":"c1","dest":"n1","body":%s}`, relayReq(2*i+10, fmt.Sprintf(`"payload":{"type":"read","k":"v"},"attempt_timeout":60,"seed":%d`, i))))
					if fat > 0 {
						s.line(fmt.Sprintf(`{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":%d,"echo":"%s"}}`, 2*i+11, pad))
					}
				}
				synctest.Wait()
			})
			per = float64(grew) / relays
			s.stop()
		})
		return per
	}
	packed, spread := perRelay(0), perRelay(15<<10)
	t.Logf("heap a pending relay: %.0f B sent back to back, %.0f B between 15 KiB echoes", packed, spread)
	if spread > packed+2048 {
		t.Errorf("a relay between big lines holds %.0f B, back to back %.0f B: it keeps its line alive", spread, packed)
	}
}

// BenchmarkPendingRelay reports the heap a pending relay holds (B/relay),
// node and handlers together: 100,000 relays to a node that never answers,
// each waiting on its first attempt. Real time, not a synctest bubble
// (benchmarks cannot run in one): attempt_timeout 60 keeps them pending.
func BenchmarkPendingRelay(b *testing.B) {
	const relays = 100_000
	var per float64
	b.ReportAllocs()
	for b.Loop() {
		s := newNet(b).start("n1")
		s.quiet = true
		s.line(`{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2"]}}`)
		for s.n.ID() == "" {
			time.Sleep(time.Millisecond)
		}
		grew := heapGrowth(func() {
			for i := range relays {
				s.line(req(relayReq(i+10, fmt.Sprintf(`"attempt_timeout":60,"seed":%d`, i))))
			}
			for s.n.Pending() < relays {
				time.Sleep(time.Millisecond)
			}
		})
		per = float64(grew) / relays
		s.stop()
	}
	b.ReportMetric(per, "B/relay")
}

// TestRelaysLeakNothing runs 1000 relays whose target never answers in
// time: half get their replies late, after the relay gave up, half get none.
// Afterwards the node holds no pending call and its goroutine count is back
// at its idle level, measured after init. It runs in a synctest bubble, so
// the timeouts take no real time and "idle" is exact.
func TestRelaysLeakNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const relays = 1000
		s := newNet(t).start("n1")
		s.init("n1", "n2")
		idle := nodeGoroutines()
		if idle != 2 {
			t.Errorf("%d node goroutines when idle, want 2 (Run and its reader)", idle)
		}

		for i := range relays {
			s.line(req(relayReq(10+i, fmt.Sprintf(`"max_retries":2,"base_delay":0.01,"attempt_timeout":0.1,"retry_budget":false,"seed":%d`, i))))
		}
		s.wait(5 * time.Second) // every relay has given up by now

		// Late replies to every attempt of the even relays.
		attempts, gaveUp := 0, 0
		for _, m := range s.take() {
			switch {
			case m.Dest == "n2":
				attempts++
				if id := m.int("msg_id"); id%2 == 0 {
					s.line(fmt.Sprintf(`{"src":"n2","dest":"n1","body":{"type":"read_ok","in_reply_to":%d}}`, id))
				}
			case m.typ() == "error" && m.int("code") == 0:
				gaveUp++
			}
		}
		if attempts != 3*relays || gaveUp != relays {
			t.Fatalf("%d attempts and %d give-ups, want %d and %d", attempts, gaveUp, 3*relays, relays)
		}
		synctest.Wait()
		if p := s.n.Pending(); p != 0 {
			t.Errorf("%d calls still pending after every relay ended", p)
		}
		if got := nodeGoroutines(); got != idle {
			t.Errorf("%d node goroutines after the relays, %d when idle", got, idle)
		}
		s.close()
	})
}

// nodeGoroutines counts the goroutines running code of the node or its
// handlers (a timer's callback included). runtime.NumGoroutine would also
// count goroutines that other tests leave exiting in the background.
func nodeGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "backoff-node/node.") || strings.Contains(g, "backoff-node/handlers.") {
			count++
		}
	}
	return count
}

// TestRelayLimiterWaitBounded: under the AWS adaptive mode, after the target
// throttled (error 11), the limiter paces about one send a second; a burst
// of 100 relays then each gets exactly one answer within twice its
// schedule's length S (no wait ends past S from arrival; the attempts after
// it run at most S more), and within max_elapsed when given. Relays the
// limiter would hold longer are refused at once (attempts 0, naming the
// control and the wait), handing their turn back; while the target still
// throttles, a retry the limiter would hold too long takes the path of a
// refused retry. Before this rule they waited in the limiter, the last of
// them about 100 s.
func TestRelayLimiterWaitBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nt := newNet(t)
		var served atomic.Bool // false: throttling
		nt.serve("n2", func(msg) map[string]any {
			if !served.Load() {
				return map[string]any{"type": "error", "code": 11}
			}
			return map[string]any{"type": "read_ok"}
		})
		s := nt.cluster("n1", "n2")[0]
		const fields = `"retry_policy":"adaptive","max_retries":2,"attempt_timeout":0.5,"base_delay":0.1,"max_delay":0.1`
		id := 10
		for range 20 { // throttled: the limiter starts pacing
			s.send("c1", relayReq(id, fields+`,"max_retries":0`))
			id++
			s.wait(50 * time.Millisecond)
		}
		s.wait(5 * time.Second)
		s.take()
		served.Store(true)

		const schedule = 3*500*time.Millisecond + 2*100*time.Millisecond // S at most
		for _, c := range []struct {
			extra    string
			bound    time.Duration
			throttle bool // the target still throttles: retries are refused too
		}{
			{"", 2 * schedule, false},
			{`,"max_elapsed":1`, time.Second, false},
			{"", 2 * schedule, true},
		} {
			served.Store(!c.throttle)
			first := id
			const relays = 100
			for range relays {
				s.line(req(relayReq(id, fields+c.extra)))
				id++
			}
			s.wait(c.bound)
			answers := map[int64]int{}
			refused, ok, retryRefused := 0, 0, 0
			count := func() {
				for _, r := range s.take() {
					if r.Dest != "c1" {
						continue
					}
					answers[r.int("in_reply_to")]++
					switch {
					case r.typ() == "backoff_relay_ok":
						ok++
					case r.int("attempts") == 0 && strings.Contains(r.str("text"), "the AWS adaptive retry mode for n2 asked attempt 1 to wait"):
						refused++
					case strings.Contains(r.str("text"), fmt.Sprintf("the AWS adaptive retry mode for n2 refused retry %d", r.int("attempts"))):
						retryRefused++
					}
				}
			}
			count()
			if len(answers) != relays {
				t.Errorf("%q: %d of %d relays answered within %v", c.extra, len(answers), relays, c.bound)
			}
			s.wait(time.Minute) // nothing more may come
			count()
			for i := first; i < id; i++ {
				if n := answers[int64(i)]; n != 1 {
					t.Errorf("%q: relay %d answered %d times, want once", c.extra, i, n)
				}
			}
			if refused == 0 || (ok == 0) == !c.throttle || (retryRefused == 0) == c.throttle {
				t.Errorf("%q, throttling %v: %d successes, %d refused at once, %d retries refused; want refusals, and successes or refused retries",
					c.extra, c.throttle, ok, refused, retryRefused)
			}
			if c.throttle && !strings.Contains(s.logs.String(), "the AWS adaptive retry mode for n2 asked retry 1 to wait") {
				t.Errorf("no retry refused for its limiter wait; logs:\n%s", s.logs.String())
			}
			t.Logf("%q, throttling %v: %d relays answered by %v: %d successes, %d refused by the limiter's wait, %d retries refused",
				c.extra, c.throttle, relays, c.bound, ok, refused, retryRefused)
		}
		nt.stop()
	})
}
