package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/backoff-node/backoff-node/handlers"
	"github.com/backoff-node/backoff-node/node"
)

// session is an in-process node n1 on a pipe, inside a synctest bubble, so
// that relay timeouts and sleeps take no real time.
type session struct {
	t      *testing.T
	n      *node.Node
	in     *io.PipeWriter
	out    *outBuffer
	logs   *outBuffer
	runErr chan error
	read   int // output lines already returned by take
}

func newSession(t *testing.T) *session {
	pr, pw := io.Pipe()
	s := &session{t: t, in: pw, out: &outBuffer{}, logs: &outBuffer{}, runErr: make(chan error, 1)}
	s.n = node.New(pr, s.out, s.logs)
	handlers.Register(s.n, rand.New(rand.NewPCG(1, 2)))
	go func() { s.runErr <- s.n.Run() }()
	s.send("c0", `{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2","n3"]}`)
	s.take()
	return s
}

// send writes a message from src to n1 and lets the node handle it.
func (s *session) send(src, body string) {
	s.t.Helper()
	if _, err := fmt.Fprintf(s.in, `{"src":%q,"dest":"n1","body":%s}`+"\n", src, body); err != nil {
		s.t.Fatal(err)
	}
	synctest.Wait()
}

// wait lets fake time pass.
func (s *session) wait(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

type msg struct {
	Src, Dest string
	Body      map[string]any
}

func (m msg) int(key string) int {
	f, _ := m.Body[key].(float64)
	return int(f)
}

// take returns the lines the node wrote since the last take.
func (s *session) take() []msg {
	s.t.Helper()
	lines := strings.Split(strings.TrimSuffix(s.out.String(), "\n"), "\n")
	var out []msg
	for _, l := range lines[s.read:] {
		if l == "" {
			continue
		}
		var m msg
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			s.t.Fatalf("bad line %q: %v", l, err)
		}
		out = append(out, m)
	}
	s.read = len(lines)
	return out
}

func (s *session) close() {
	s.in.Close()
	if err := <-s.runErr; err != nil {
		s.t.Fatal(err)
	}
}

// outBuffer is a bytes.Buffer safe for a writer and a reader at once.
type outBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *outBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *outBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// split sorts messages into those to the target and the replies to c1.
func split(ms []msg) (toTarget, replies []msg) {
	for _, m := range ms {
		if m.Dest == "c1" {
			replies = append(replies, m)
		} else {
			toTarget = append(toTarget, m)
		}
	}
	return
}

// TestRelayBudget: 1000 relays to a silent node. With the default budget
// (20 % of first attempts plus 10 a second over 10 s) the node makes 1000
// first attempts and at most 300 retries, where without it it would make
// 1000·(1 + max_retries); each relay whose retry is refused gives up with
// code 0 saying so, once its schedule would have ended. retry_budget false
// turns it off; a late reply after a refusal still ends the relay.
func TestRelayBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSession(t)
		const relays = 1000
		for i := range relays {
			s.send("c1", fmt.Sprintf(`{"type":"backoff_relay","msg_id":%d,"target":"n2","payload":{"type":"read"},"max_retries":3,"attempt_timeout":0.5,"seed":%d}`, 10+i, i))
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
			text, _ := r.Body["text"].(string)
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

// TestRelayBudgetField: retry_budget takes true, false or an object with
// ratio and min_per_second in range; anything else is error 12 naming it.
func TestRelayBudgetField(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSession(t)
		for i, v := range []string{`"yes"`, `1`, `[]`, `{"ratio":-1}`, `{"ratio":11}`, `{"min_per_second":1001}`, `{"ratio":"x"}`} {
			s.send("c1", fmt.Sprintf(`{"type":"backoff_relay","msg_id":%d,"target":"n2","payload":{"type":"read"},"retry_budget":%s}`, i+10, v))
			_, replies := split(s.take())
			if len(replies) != 1 || replies[0].int("code") != 12 || !strings.Contains(replies[0].Body["text"].(string), "retry_budget must be") {
				t.Errorf("retry_budget %s: %v, want error 12 naming retry_budget", v, replies)
			}
		}
		s.close()
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
		if len(replies) != 1 || replies[0].int("attempts") != 3 || !strings.Contains(replies[0].Body["text"].(string), "max_elapsed 2.5 s reached") {
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
// if shorter.
func TestRelayNestedDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSession(t)
		s.send("c1", `{"type":"backoff_relay","msg_id":2,"target":"n2","attempt_timeout":0.75,"payload":{"type":"backoff_relay","target":"n3","payload":{"type":"read"}}}`)
		s.send("c1", `{"type":"backoff_relay","msg_id":3,"target":"n2","attempt_timeout":0.75,"payload":{"type":"backoff_relay","target":"n3","max_elapsed":0.25,"payload":{"type":"read"}}}`)
		s.send("c1", `{"type":"backoff_relay","msg_id":4,"target":"n2","attempt_timeout":5,"max_elapsed":2,"payload":{"type":"backoff_relay","target":"n3","payload":{"type":"read"}}}`)
		sent, _ := split(s.take())
		want := []float64{0.75, 0.25, 2}
		if len(sent) != 3 {
			t.Fatalf("%d sends, want 3", len(sent))
		}
		for i, m := range sent {
			if got, _ := m.Body["max_elapsed"].(float64); got != want[i] || m.Body["type"] != "backoff_relay" {
				t.Errorf("nested payload %d: %v, want max_elapsed %v", i, m.Body, want[i])
			}
		}
		s.n.Stop()
		<-s.runErr
		s.in.Close()
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
	heapPerRelay := func(retries int) float64 {
		var per float64
		synctest.Test(t, func(t *testing.T) {
			s := newSession(t)
			const relays = 2000
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for i := range relays {
				s.send("c1", fmt.Sprintf(`{"type":"backoff_relay","msg_id":%d,"target":"n2","payload":{"type":"read"},"max_retries":%d,"attempt_timeout":60,"seed":%d}`, i+10, retries, i))
			}
			s.take()
			runtime.GC()
			runtime.ReadMemStats(&after)
			per = float64(after.HeapAlloc-before.HeapAlloc) / relays
			s.n.Stop()
			<-s.runErr
			s.in.Close()
		})
		return per
	}
	small, large := heapPerRelay(5), heapPerRelay(10000)
	t.Logf("heap a pending relay: %.0f B at max_retries 5, %.0f B at 10000", small, large)
	if large > small+1024 {
		t.Errorf("a pending relay at max_retries 10000 takes %.0f B, at 5 %.0f B: want no growth", large, small)
	}
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
		schedule := r[0].Body["schedule_ms"].([]any)
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
		delays := r[0].Body["delays_ms"].([]any)
		if r[0].int("attempts") != 200 || len(delays) != 199 {
			t.Fatalf("reply %v, want 200 attempts and 199 delays", r[0].Body)
		}
		total := 0
		for k, d := range delays {
			if d != schedule[k] {
				t.Fatalf("delay %d = %v, schedule says %v", k, d, schedule[k])
			}
			total += int(d.(float64))
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
			pr, pw := io.Pipe()
			n := node.New(pr, io.Discard, io.Discard)
			handlers.Register(n, rand.New(rand.NewPCG(1, 2)))
			done := make(chan error, 1)
			go func() { done <- n.Run() }()
			fmt.Fprintln(pw, `{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2"]}}`)
			synctest.Wait()
			pad := strings.Repeat("x", fat)
			const relays = 2000
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for i := range relays {
				fmt.Fprintf(pw, `{"src":"c1","dest":"n1","body":{"type":"backoff_relay","msg_id":%d,"target":"n2","payload":{"type":"read","k":"v"},"attempt_timeout":60,"seed":%d}}`+"\n", 2*i+10, i)
				if fat > 0 {
					fmt.Fprintf(pw, `{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":%d,"echo":"%s"}}`+"\n", 2*i+11, pad)
				}
			}
			synctest.Wait()
			runtime.GC()
			runtime.ReadMemStats(&after)
			per = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / relays
			n.Stop()
			<-done
			pw.Close()
		})
		return per
	}
	packed, spread := perRelay(0), perRelay(15<<10)
	t.Logf("heap a pending relay: %.0f B sent back to back, %.0f B between 15 KiB echoes", packed, spread)
	if spread > packed+2048 {
		t.Errorf("a relay between big lines holds %.0f B, back to back %.0f B: it keeps its line alive", spread, packed)
	}
}
