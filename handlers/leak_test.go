package handlers_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

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
