package harness_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/internal/harness"
)

// Scenario 1: relays through 30% loss, each way, to the maelstrom demo echo
// node. Every relay succeeds with the echo of its payload or gives up with
// code 0 after all its attempts; attempts never exceed 1 + max_retries;
// delays_ms is always a prefix of the schedule compute_backoff gives for the
// same fields and seed.
func TestRelayThroughLoss(t *testing.T) {
	waitBound(t)
	start := time.Now()
	net, rng := seededNet(t, 1, harness.Config{Loss: 0.3, Latency: harness.Uniform(0, 20*time.Millisecond)})
	n1 := net.AddNode("n1", backoffNode)
	n2 := net.AddNode("n2", echoNode)
	net.Start()
	c := net.Client("c1")

	names := strategies(t, c, "n1")
	ps := make([]relayParams, size(200, 5000))
	for i := range ps {
		base := between(rng, 0.005, 0.03)
		ps[i] = relayParams{
			maxRetries: rng.IntN(7),
			base:       base,
			max:        between(rng, base, 0.2),
			jitter:     between(rng, 0, 1),
			seed:       rng.Uint64N(1 << 53),
			strategy:   names[rng.IntN(len(names))],
			timeout:    between(rng, 0.15, 0.3),
		}
	}
	scheds := schedules(t, c, "n1", ps)

	calls := make([]*harness.Call, len(ps))
	for i, p := range ps {
		calls[i] = c.Call("n1", p.request("n2", map[string]any{"type": "echo", "echo": fmt.Sprintf("relay %d", i)}))
	}
	got := waitAll(calls, replyTimeout)

	var succeeded, retried, gaveUp int
	for i, call := range calls {
		m, _ := call.Reply()
		what := fmt.Sprintf("relay %d %+v", i, ps[i])
		r := checkRelay(t, what, m, ps[i], scheds[i])
		switch {
		case r.ok():
			succeeded++
			echoResult(t, what, r, fmt.Sprintf("relay %d", i))
			if r.Attempts > 1 {
				retried++
			}
		case r.Type == "error":
			gaveUp++
		}
	}
	st := net.Stats()
	t.Logf("%d relays: %d succeeded (%d after retries), %d gave up; network: %v", len(ps), succeeded, retried, gaveUp, st)
	if st.Lost == 0 || retried == 0 {
		t.Errorf("no message lost or no relay retried: the faults were not exercised")
	}
	n1.Stop()
	n2.Stop()
	record(t, row{
		scenario: "1 relay through 30% loss", requests: len(ps),
		faults:   fmt.Sprintf("%d of %d messages lost", st.Lost, st.Sent),
		answered: got, lost: len(ps) - got,
	}, start, n1, n2)
}

// TestRelayDropsFirstAttempts: n2 ignores the first k attempts of a relay
// from n1. The relay must report k+1 attempts and sleep exactly the first k
// delays of the schedule compute_backoff gives for the same fields and
// seed; with k beyond max_retries it gives up with code 0.
func TestRelayDropsFirstAttempts(t *testing.T) {
	for _, k := range []int{0, 1, 3, 4, 5} {
		t.Run("drop "+strconv.Itoa(k), func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			dropped := 0
			net := harness.New(t, harness.Config{})
			n1 := net.AddNode("n1", backoffNode)
			net.AddService("n2", func(req *harness.Message) (map[string]any, time.Duration) {
				mu.Lock()
				defer mu.Unlock()
				if dropped < k {
					dropped++
					return nil, 0
				}
				return map[string]any{"type": "echo_ok", "echo": "hi"}, 0
			})
			net.Start()
			c := net.Client("c1")
			p := relayParams{maxRetries: 4, base: 0.02, max: 0.2, jitter: 0.5, seed: uint64(1000 + k), strategy: "exponential", timeout: 0.15}
			sched := schedules(t, c, "n1", []relayParams{p})[0]
			m, err := c.RPC("n1", p.request("n2", map[string]any{"type": "echo", "echo": "hi"}), replyTimeout)
			if err != nil {
				t.Fatal(err)
			}
			r := decodeRelay(t, m)
			if k <= 4 {
				if r.Type != "backoff_relay_ok" || r.Attempts != k+1 {
					t.Fatalf("reply %s, want backoff_relay_ok after %d attempts", m, k+1)
				}
			} else if r.Type != "error" || r.Code == nil || *r.Code != 0 || r.Attempts != 5 {
				t.Fatalf("reply %s, want error code 0 after 5 attempts", m)
			}
			if want := sched[:min(k, len(sched))]; !slices.Equal(r.DelaysMS, want) {
				t.Errorf("delays_ms = %v, want the first %d of schedule %v", r.DelaysMS, k, sched)
			}
			if got := strings.Count(n1.Stderr(), "; retry "); got != min(k, 4) {
				t.Errorf("%d retries logged, want %d; stderr:\n%s", got, min(k, 4), n1.Stderr())
			}
		})
	}
}

// eventLog keeps the trace of the messages between nodes by sender and
// msg_id, and the requests among them whose body has an "echo" field (the
// attempts of a relay whose payload is an echo) by that field.
type eventLog struct {
	mu     sync.Mutex
	byID   map[string]map[int64]harness.Event // src -> msg_id -> event
	byEcho map[string][]harness.Event         // echo tag -> events, in order of msg_id
}

func newEventLog() *eventLog {
	return &eventLog{byID: make(map[string]map[int64]harness.Event), byEcho: make(map[string][]harness.Event)}
}

func (l *eventLog) add(e harness.Event) {
	var b struct {
		Echo string `json:"echo"`
	}
	_ = e.Msg.Decode(&b)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byID[e.Msg.Src] == nil {
		l.byID[e.Msg.Src] = make(map[int64]harness.Event)
	}
	l.byID[e.Msg.Src][e.Msg.MsgID] = e
	if b.Echo != "" && !e.Msg.HasInReplyTo {
		l.byEcho[b.Echo] = append(l.byEcho[b.Echo], e)
		slices.SortFunc(l.byEcho[b.Echo], func(x, y harness.Event) int { return cmp.Compare(x.Msg.MsgID, y.Msg.MsgID) })
	}
}

func (l *eventLog) attempts(tag string) []harness.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.byEcho[tag])
}

// answered returns the msg_id a relay's result answers.
func answeredID(t *testing.T, what string, r relayReply) int64 {
	t.Helper()
	var res struct {
		InReplyTo *int64 `json:"in_reply_to"`
	}
	if err := json.Unmarshal(r.Result, &res); err != nil || res.InReplyTo == nil {
		t.Errorf("%s: result %s has no in_reply_to", what, r.Result)
		return -1
	}
	return *res.InReplyTo
}

// Scenario 2: the target is cut off by a partition that heals after a
// while. Relays started during it whose schedule outlasts it succeed after
// the heal; any success comes from an attempt delivered after the heal,
// every attempt before it was cut, and attempts counts them all.
func TestRelayAcrossHealingPartition(t *testing.T) {
	waitBound(t)
	start := time.Now()
	heal := time.Duration(size(1500, 10000)) * time.Millisecond
	events := newEventLog()
	net, rng := seededNet(t, 2, harness.Config{
		Partitions: []harness.Partition{{Start: 0, Heal: heal, Isolated: []string{"n2"}}},
		Trace:      events.add,
	})
	n1 := net.AddNode("n1", backoffNode)
	n2 := net.AddNode("n2", echoNode)
	net.Start()
	healAt := net.Epoch().Add(heal)
	c := net.Client("c1")

	ps := make([]relayParams, size(40, 400))
	for i := range ps {
		if i%4 == 3 { // short: gives up unless started near the heal
			ps[i] = relayParams{maxRetries: 2, base: 0.01, max: 0.05, jitter: 0.1, seed: rng.Uint64N(1 << 53), strategy: "exponential", timeout: 0.1}
			continue
		}
		ps[i] = relayParams{
			maxRetries: 10, base: between(rng, 0.02, 0.08), max: ms(float64(heal.Seconds()) / 4), jitter: between(rng, 0, 0.5),
			seed: rng.Uint64N(1 << 53), strategy: "exponential", timeout: between(rng, 0.1, 0.2),
		}
	}
	scheds := schedules(t, c, "n1", ps)

	// Start the relays spread over the first 80% of the partition.
	calls := make([]*harness.Call, len(ps))
	for i, p := range ps {
		time.Sleep(time.Until(net.Epoch().Add(heal * 8 / 10 * time.Duration(i) / time.Duration(len(ps)))))
		calls[i] = c.Call("n1", p.request("n2", map[string]any{"type": "echo", "echo": fmt.Sprintf("relay %d", i)}))
	}
	got := waitAll(calls, replyTimeout)

	var tally faultTally
	for i, call := range calls {
		what := fmt.Sprintf("relay %d %+v sent %v after the partition began", i, ps[i], call.Sent.Sub(net.Epoch()).Round(time.Millisecond))
		tag := fmt.Sprintf("relay %d", i)
		r, won := tally.settle(t, what, tag, call, ps[i], scheds[i], healAt)
		if !r.ok() {
			continue
		}
		sends := events.attempts(tag)
		for k, e := range sends {
			switch {
			case e.Msg.MsgID < won && e.Fate != harness.Cut:
				t.Errorf("%s: attempt %d (msg_id %d) was %v before the successful one", what, k+1, e.Msg.MsgID, e.Fate)
			case e.Msg.MsgID == won:
				if e.Fate != harness.Delivered || e.At.Before(healAt) {
					t.Errorf("%s: the successful attempt was %v %v before the heal", what, e.Fate, healAt.Sub(e.At))
				}
				if r.Attempts != k+1 {
					t.Errorf("%s: attempts %d, but the successful attempt was send %d", what, r.Attempts, k+1)
				}
			}
		}
	}
	st := net.Stats()
	t.Logf("%d relays, %d outlasting the partition, %d succeeded; network: %v", len(ps), tally.outlasting, tally.succeeded, st)
	if tally.outlasting == 0 || st.Cut == 0 || tally.succeeded == len(ps) {
		t.Errorf("the partition did not bite: %d outlasting, %d cut, %d of %d succeeded", tally.outlasting, st.Cut, tally.succeeded, len(ps))
	}
	n1.Stop()
	n2.Stop()
	record(t, row{
		scenario: fmt.Sprintf("2 partition healing after %v", heal), requests: len(ps),
		faults:   fmt.Sprintf("%d of %d messages cut", st.Cut, st.Sent),
		answered: got, lost: len(ps) - got,
	}, start, n1, n2)
}

// liveHeap returns the live heap, in MB, after the last garbage collection
// a node started with GODEBUG=gctrace=1 logged after offset in its stderr,
// and how many collections it logged there.
func liveHeap(stderr string, offset int) (mb, gcs int) {
	for _, m := range gcLine.FindAllStringSubmatch(stderr[offset:], -1) {
		mb, _ = strconv.Atoi(m[1])
		gcs++
	}
	return mb, gcs
}

var gcLine = regexp.MustCompile(`(?m)^gc \d+ @.* \d+->\d+->(\d+) MB`)

// Scenario 3: the target answers every attempt 1 s after its
// attempt_timeout has passed. Each relay times out its first attempt, retries, and takes the
// late reply to the first attempt. After rounds of 1000 relays the node's
// goroutines are back to those of an idle twin, and so is its live heap.
func TestLateReplies(t *testing.T) {
	waitBound(t)
	start := time.Now()
	// The target answers lateBy after the attempt timed out: a margin that
	// a node starved of CPU by a loaded machine (three suites and two busy
	// loops on two cores starved it 0.2 s) still does not reach.
	const timeout, lateBy = 0.4, 1.0 // s
	var mu sync.Mutex
	firstID := make(map[string]int64) // echo tag -> msg_id of its first attempt
	net, rng := seededNet(t, 3, harness.Config{})
	traced := backoffNode
	// In the short run GOGC=10 lowers the heap a collection waits for
	// from 4 MB to 0.4 MB, so that little allocation (few costly fat
	// echoes through the harness) makes the collections the heaps are read
	// from; what is live after one does not depend on it.
	traced.Env = append(slices.Clone(traced.Env), "GODEBUG=gctrace=1")
	if !*soak { // the soak measures RSS at the default
		traced.Env = append(traced.Env, "GOGC=10")
	}
	n1 := net.AddNode("n1", traced)
	idle := net.AddNode("n3", traced)
	late := net.AddService("n2", func(req *harness.Message) (map[string]any, time.Duration) {
		var b struct {
			Echo string `json:"echo"`
		}
		_ = req.Decode(&b)
		mu.Lock()
		if _, ok := firstID[b.Echo]; !ok {
			firstID[b.Echo] = req.MsgID
		}
		mu.Unlock()
		return map[string]any{"type": "echo_ok", "echo": b.Echo}, time.Duration((timeout + lateBy) * float64(time.Second))
	})
	net.Start()
	c := net.Client("c1")

	rounds, perRound := size(3, 30), size(400, 1000)
	answeredAll := 0
	for round := range rounds {
		ps := make([]relayParams, perRound)
		for i := range ps {
			// Eight retries: the schedule runs about 4.4 s, so the reply,
			// due 1.4 s after the first attempt, has 3 s to arrive
			// before the relay gives up, however loaded the machine.
			ps[i] = relayParams{maxRetries: 8, base: 0.05, max: 0.1, jitter: 0.1, seed: rng.Uint64N(1 << 53), strategy: "exponential", timeout: timeout}
		}
		scheds := schedules(t, c, "n1", ps)
		calls := make([]*harness.Call, perRound)
		for i, p := range ps {
			calls[i] = c.Call("n1", p.request("n2", map[string]any{"type": "echo", "echo": fmt.Sprintf("round %d relay %d", round, i)}))
		}
		answeredAll += waitAll(calls, replyTimeout)
		unretried := 0
		for i, call := range calls {
			tag := fmt.Sprintf("round %d relay %d", round, i)
			m, _ := call.Reply()
			if m == nil {
				t.Errorf("%s: no reply", tag)
				continue
			}
			r := checkRelay(t, tag, m, ps[i], scheds[i])
			if !r.ok() {
				t.Errorf("%s: %s, want the late reply taken", tag, m)
				continue
			}
			echoResult(t, tag, r, tag)
			mu.Lock()
			first := firstID[tag]
			mu.Unlock()
			if got := answeredID(t, tag, r); got != first {
				t.Errorf("%s: result answers msg_id %d, want the late reply to the first attempt (%d)", tag, got, first)
			}
			if r.Attempts < 2 {
				unretried++
			}
		}
		// The reply comes lateBy after the attempt timed out; only a node
		// starved of CPU that long would take it without a retry.
		if unretried > perRound/100 {
			t.Errorf("round %d: %d of %d relays took the reply without retrying: it was not late to them", round, unretried, perRound)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	// Let the late replies to the retries arrive, then make sure the node
	// has read them all: its echo reply comes after them.
	deadline := time.Now().Add(replyTimeout)
	for late.Inflight() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := late.Inflight(); n > 0 {
		t.Fatalf("%d late replies still held after %v", n, replyTimeout)
	}
	rss, _ := n1.RSS()

	// Memory: after the same allocation on both nodes (fat echoes force
	// collections), the live heap of the node that ran the relays is that
	// of its idle twin. The echoes go one at a time, each after the reply
	// to the one before, so that neither node holds more than one unread
	// line when it collects (a node reads ahead of what it has handled).
	offsets := map[*harness.Process]int{n1: len(n1.Stderr()), idle: len(idle.Stderr())}
	fat := strings.Repeat("x", 128<<10) // over 64 KiB: the node reuses smaller buffers, which would force nothing
	for i := range size(100, 2000) {
		for _, p := range []*harness.Process{n1, idle} {
			if _, err := c.RPC(p.ID(), map[string]any{"type": "echo", "echo": fat, "i": i}, replyTimeout); err != nil {
				t.Fatalf("echo %d to %s: %v", i, p.ID(), err)
			}
		}
	}
	heap, gcs := liveHeap(n1.Stderr(), offsets[n1])
	idleHeap, idleGCs := liveHeap(idle.Stderr(), offsets[idle])
	t.Logf("live heap after the relays: %d MB (%d GCs), idle twin %d MB (%d GCs); RSS %.1f MiB", heap, gcs, idleHeap, idleGCs, mib(rss))
	if gcs == 0 || idleGCs == 0 {
		t.Errorf("no garbage collection logged after the relays; cannot compare heaps")
	} else if heap > idleHeap+1 {
		t.Errorf("live heap %d MB after %d relays, idle twin %d MB: memory not back to idle", heap, rounds*perRound, idleHeap)
	}

	// Goroutines: a dump of each node (which ends it).
	got, dump := n1.Goroutines()
	want, idleDump := idle.Goroutines()
	t.Logf("goroutines after %d relays: %d, idle twin: %d", rounds*perRound, got, want)
	if got > want || got == 0 {
		t.Errorf("%d goroutines after the relays, idle twin has %d: leaked\n%s\n--- idle twin:\n%s", got, want, dump, idleDump)
	}
	record(t, row{
		scenario: "3 late replies (attempt_timeout + 1 s)", requests: rounds * perRound,
		faults:   fmt.Sprintf("%d replies late", rounds*perRound),
		answered: answeredAll, lost: rounds*perRound - answeredAll,
	}, start, n1, idle)
}

// Scenario 4: five nodes under load, with lossy, slow links between them:
// 1000 concurrent relays between random nodes and 50,000 echo requests
// (10,000 under the race detector) from five clients. Every request gets exactly one reply (the network
// fails the test on a second one), none is lost, every node's msg_ids
// count from 0 without a gap or repeat (the network checks each line), and
// the peak RSS of every node stays under 64 MiB.
func TestLoad(t *testing.T) {
	start := time.Now()
	net, rng := seededNet(t, 4, harness.Config{Loss: 0.02, Latency: harness.Exponential(2 * time.Millisecond)})
	var nodes []*harness.Process
	for i := range 5 {
		nodes = append(nodes, net.AddNode(fmt.Sprintf("n%d", i+1), backoffNode))
	}
	net.Start()
	var clients []*harness.Client
	for i := range 5 {
		clients = append(clients, net.Client(fmt.Sprintf("c%d", i+1)))
	}

	nRelays, nEchoes := size(1000, 10000), size(lighter(50000), 500000)
	relays := make([]*harness.Call, 0, nRelays)
	relayParamsOf := make([]relayParams, 0, nRelays)
	echoes := make([]*harness.Call, 0, nEchoes)
	every := max(1, nEchoes/nRelays/10) // all relays start among the first tenth of the echoes
	for i := range nEchoes {
		c := clients[rng.IntN(len(clients))]
		to := nodes[rng.IntN(len(nodes))].ID()
		echoes = append(echoes, c.Call(to, map[string]any{"type": "echo", "echo": fmt.Sprintf("echo %d", i)}))
		if i%every == 0 && len(relays) < nRelays {
			from, target := rng.IntN(len(nodes)), rng.IntN(len(nodes)-1)
			if target >= from {
				target++
			}
			p := relayParams{maxRetries: 5, base: 0.02, max: 0.2, jitter: 0.5, seed: rng.Uint64N(1 << 53), strategy: "exponential", timeout: 0.5}
			relayParamsOf = append(relayParamsOf, p)
			tag := fmt.Sprintf("relay %d", len(relays))
			relays = append(relays, c.Call(nodes[from].ID(), p.request(nodes[target].ID(), map[string]any{"type": "echo", "echo": tag})))
		}
	}
	gotEchoes := waitAll(echoes, 2*replyTimeout)
	gotRelays := waitAll(relays, replyTimeout)
	var e struct {
		Type string `json:"type"`
		Echo string `json:"echo"`
	}
	for i, call := range echoes {
		m, _ := call.Reply()
		if m == nil {
			t.Errorf("echo %d to %s: no reply", i, call.Dest)
			continue
		}
		e.Type, e.Echo = "", ""
		if err := m.Decode(&e); err != nil || e.Type != "echo_ok" || e.Echo != fmt.Sprintf("echo %d", i) || m.Src != call.Dest {
			t.Errorf("echo %d to %s: reply %s", i, call.Dest, m)
		}
	}
	var succeeded int
	for i, call := range relays {
		what := fmt.Sprintf("relay %d", i)
		m, _ := call.Reply()
		if m == nil {
			t.Errorf("%s: no reply", what)
			continue
		}
		// The schedule is not asked for here (that would add load, not
		// check it); the other scenarios check delays_ms.
		var r relayReply
		if err := json.Unmarshal(m.Body, &r); err != nil {
			t.Errorf("%s: %s: %v", what, m, err)
			continue
		}
		switch {
		case r.ok():
			succeeded++
			echoResult(t, what, r, what)
		case r.Type == "error" && r.Code != nil && *r.Code == 0 && r.Attempts == 1+relayParamsOf[i].maxRetries:
		default:
			t.Errorf("%s: %s, want backoff_relay_ok or a give-up with code 0", what, m)
		}
	}
	st := net.Stats()
	t.Logf("%d/%d echoes and %d/%d relays answered (%d succeeded); network: %v", gotEchoes, nEchoes, gotRelays, nRelays, succeeded, st)
	for _, p := range nodes {
		p.Stop()
		if rss := p.PeakRSS(); rss >= 64<<20 || rss == 0 {
			t.Errorf("%s: peak RSS %.1f MiB, want under 64 MiB", p.ID(), mib(rss))
		}
	}
	record(t, row{
		scenario: "4 load: 5 nodes, relays + echoes", requests: nEchoes + nRelays,
		faults:   fmt.Sprintf("%d of %d messages lost, %d delayed", st.Lost, st.Sent, st.Delayed),
		answered: gotEchoes + gotRelays, lost: nEchoes + nRelays - gotEchoes - gotRelays,
	}, start, nodes...)
}

// A bad field value and the field its error must name.
type badValue struct{ field, value string }

// Bad values of the compute_backoff fields, valid as JSON; each must be
// answered with error 12 naming the field. base_delay is not the default
// 0.1 where max_delay is, so that max_delay 0.05 is below it.
var badScheduleValues = []badValue{
	{"max_retries", `"five"`}, {"max_retries", `1e9`}, {"max_retries", `2.5`}, {"max_retries", `-1`},
	{"max_retries", `10001`}, {"max_retries", `true`}, {"max_retries", `[]`}, {"max_retries", `{}`},
	{"base_delay", `-1`}, {"base_delay", `0.0001`}, {"base_delay", `0`}, {"base_delay", `1e400`},
	{"base_delay", `86401`}, {"base_delay", `"x"`},
	{"max_delay", `0.05`}, {"max_delay", `86401`}, {"max_delay", `-5`}, {"max_delay", `false`},
	{"jitter", `1.5`}, {"jitter", `-0.1`}, {"jitter", `"x"`}, {"jitter", `1e400`},
	{"seed", `-1`}, {"seed", `9007199254740993`}, {"seed", `1.5`}, {"seed", `"s"`},
	{"strategy", `"fibonacci"`}, {"strategy", `5`}, {"strategy", `""`}, {"strategy", `["exponential"]`},
}

// Bad fields of backoff_relay alone, with the rest of the request valid.
var badRelayValues = []badValue{
	{"target", ``}, {"target", `""`}, {"target", `5`}, {"target", `["n2"]`},
	{"payload", ``}, {"payload", `{"v":1}`}, {"payload", `{"type":"read","in_reply_to":3}`}, {"payload", `[1]`},
	{"payload", `"x"`}, {"payload", `{"type":7}`},
	{"attempt_timeout", `0`}, {"attempt_timeout", `61`}, {"attempt_timeout", `-1`}, {"attempt_timeout", `"x"`},
	{"attempt_timeout", `1e400`},
}

// badRequest builds a well-formed request from cbad with one bad field: the
// node must answer it with an error of the given code naming field.
func badRequest(r *rand.Rand) (build func(id int64) []byte, code int, field string) {
	head := func(id int64, typ string) string {
		return fmt.Sprintf(`{"src":"cbad","dest":"n1","body":{"type":%q,"msg_id":%d`, typ, id)
	}
	switch k := r.IntN(10); {
	case k == 0:
		typ := fmt.Sprintf("frob%d", r.IntN(1000))
		return func(id int64) []byte { return []byte(head(id, typ) + `}}`) }, 10, typ
	case k < 6:
		b := badScheduleValues[r.IntN(len(badScheduleValues))]
		typ, rest := "compute_backoff", ""
		if r.IntN(2) == 0 {
			typ, rest = "backoff_relay", `,"target":"n2","payload":{"type":"echo"}`
		}
		return func(id int64) []byte {
			return []byte(head(id, typ) + rest + `,"base_delay":0.08,` + fmt.Sprintf("%q:%s}}", b.field, b.value))
		}, 12, b.field
	default:
		b := badRelayValues[r.IntN(len(badRelayValues))]
		fields := map[string]string{"target": `"n2"`, "payload": `{"type":"echo","echo":"x"}`, "attempt_timeout": `0.5`}
		fields[b.field] = b.value
		return func(id int64) []byte {
			s := head(id, "backoff_relay")
			for _, f := range []string{"target", "payload", "attempt_timeout"} {
				if fields[f] != "" {
					s += fmt.Sprintf(",%q:%s", f, fields[f])
				}
			}
			return []byte(s + "}}")
		}, 12, b.field
	}
}

// skippedLine builds a line the node must log and skip, answering nothing.
// Where it has a src at all it is cquiet, a client that expects no reply: one
// fails the test.
func skippedLine(r *rand.Rand, i int, long bool) []byte {
	good := fmt.Sprintf(`{"src":"cquiet","dest":"n1","body":{"type":"echo","msg_id":%d,"echo":"skip %d"}}`, 1_000_000+i, i)
	req := func(body string) []byte { return []byte(`{"src":"cquiet","dest":"n1","body":` + body + `}`) }
	if long {
		return []byte(fmt.Sprintf(`{"src":"cquiet","dest":"n1","body":{"type":"echo","msg_id":%d,"echo":"%s"}}`, i, strings.Repeat("y", 1<<20)))
	}
	switch r.IntN(16) {
	case 0: // random printable garbage
		b := make([]byte, 1+r.IntN(200))
		for j := range b {
			b[j] = byte(' ' + r.IntN(95))
		}
		return b
	case 1: // a good request cut short
		return []byte(good[:1+r.IntN(len(good)-2)])
	case 2:
		return req(`{"type":"echo","msg_id":5,"echo":"` + "\xff\xfe" + `"}`)
	case 3:
		return []byte([]string{`[1,2,3]`, `"echo"`, `42`, `null`, `true`}[r.IntN(5)])
	case 4:
		return []byte(`{"src":"cquiet","dest":"n1"}`)
	case 5:
		return []byte(`{"src":"cquiet","dest":"n1","body":"echo"}`)
	case 6:
		return req(`{"msg_id":5,"echo":"no type"}`)
	case 7:
		return req(fmt.Sprintf(`{"type":%s,"msg_id":5}`, []string{`7`, `null`, `["echo"]`, `{}`}[r.IntN(4)]))
	case 8:
		return req(`{"type":"echo","msg_id":5,"x":` + []string{"NaN", "Infinity", "-Infinity", "undefined"}[r.IntN(4)] + `}`)
	case 9:
		d := 1000 + r.IntN(100000)
		return req(`{"type":"echo","msg_id":5,"echo":` + strings.Repeat("[", d) + strings.Repeat("]", d-r.IntN(2)) + `}`)
	case 10: // a reply to nothing, from a node
		return []byte(fmt.Sprintf(`{"src":"n2","dest":"n1","body":{"type":"echo_ok","in_reply_to":%d}}`, 1_000_000_000_000+r.Int64N(1<<40)))
	case 11:
		return []byte(strings.Repeat(" \t", r.IntN(10)))
	case 12:
		return []byte(good + " trailing")
	case 13:
		return []byte(`{"src":5,"dest":"n1","body":{"type":"echo","msg_id":5}}`)
	case 14: // no src: nowhere to reply
		return []byte(`{"dest":"n1","body":{"type":"echo","msg_id":5}}`)
	default:
		return []byte(`{"src":"cquiet","dest":"n1","body":{"type":"echo","msg_id":5}` + "\x00}")
	}
}

// corpus returns the fuzz corpus of the node's line handling and the lines
// of its transcripts, except init lines and lines that claim to come from
// a sender this network cannot route a reply to.
func corpus(t *testing.T, nodes []string) (lines [][]byte, srcs []string) {
	t.Helper()
	files, _ := filepath.Glob("../../node/testdata/fuzz/FuzzLine/*")
	var raw [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for l := range strings.Lines(string(b)) {
			if q, ok := strings.CutPrefix(strings.TrimSpace(l), "[]byte("); ok {
				if s, err := strconv.Unquote(strings.TrimSuffix(q, ")")); err == nil {
					raw = append(raw, []byte(s))
				}
			}
		}
	}
	ins, _ := filepath.Glob("../../handlers/testdata/transcripts/*.in")
	for _, f := range ins {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for l := range bytes.Lines(b) {
			raw = append(raw, bytes.TrimRight(l, "\r\n"))
		}
	}
	if len(files) == 0 || len(ins) == 0 {
		t.Fatalf("no corpus: %d fuzz files, %d transcripts", len(files), len(ins))
	}
	seen := map[string]bool{}
	for _, l := range raw {
		var m struct {
			Src  any `json:"src"`
			Body struct {
				Type any `json:"type"`
			} `json:"body"`
		}
		_ = json.Unmarshal(l, &m)
		src, _ := m.Src.(string)
		switch {
		case m.Body.Type == "init":
			continue
		case strings.HasPrefix(src, "c") && src != "c0":
			if !seen[src] {
				seen[src] = true
				srcs = append(srcs, src)
			}
		case src != "" && !slices.Contains(nodes, src):
			continue
		}
		lines = append(lines, slices.Clone(l))
	}
	return lines, srcs
}

// Scenario 5: hostile input at scale. Node n1 gets 10,000 generated bad
// lines (2,000 under the race detector): malformed, or well-formed with a
// wrong or out-of-range field, interleaved with good requests; node n3 gets the node's fuzz corpus and
// transcript lines. Neither exits; every good request is answered
// correctly; every bad request that deserves a structured error gets
// exactly one, with the right code and naming the field; the rest get
// nothing.
func TestHostileInput(t *testing.T) {
	start := time.Now()
	net, rng := seededNet(t, 5, harness.Config{})
	n1 := net.AddNode("n1", backoffNode)
	net.AddService("n2", func(req *harness.Message) (map[string]any, time.Duration) {
		f := req.Fields()
		delete(f, "msg_id")
		f["type"] = req.Type + "_ok"
		return f, 0
	})
	n3 := net.AddNode("n3", backoffNode)
	net.Start()
	// The scenario's own clients have ids the corpus does not use.
	good, bad := net.Client("cgood"), net.Client("cbad").Lenient()
	net.Client("cquiet") // expects nothing

	lines, srcs := corpus(t, net.NodeIDs())
	for _, s := range srcs {
		net.Client(s).Lenient()
	}
	for _, l := range lines {
		net.Inject("n3", l)
	}

	type expect struct {
		call  *harness.Call
		code  int
		field string
	}
	var goods []*harness.Call
	var errs []expect
	strays, skipped := 0, 0
	nBad, nLong := size(lighter(10000), 100000), size(3, 20)
	for i := range nBad {
		if i%2 == 0 {
			switch i % 3 {
			case 0:
				goods = append(goods, good.Call("n1", map[string]any{"type": "echo", "echo": fmt.Sprintf("good %d", i)}))
			case 1:
				goods = append(goods, good.Call("n1", map[string]any{"type": "compute_backoff", "max_retries": rng.IntN(20), "seed": rng.Uint64N(1 << 53)}))
			default:
				goods = append(goods, good.Call("n1", map[string]any{"type": "backoff_relay", "target": "n2", "payload": map[string]any{"type": "echo", "echo": fmt.Sprintf("good %d", i)}}))
			}
		}
		switch k := rng.IntN(10); {
		case k < 5:
			build, code, field := badRequest(rng)
			errs = append(errs, expect{bad.Raw("n1", build), code, field})
		case k == 5:
			strays++
			id := []string{`"abc"`, `1.5`, `true`, `[1]`, `1e400`}[rng.IntN(5)]
			net.Inject("n1", []byte(`{"src":"cbad","dest":"n1","body":{"type":"echo","msg_id":`+id+`}}`))
		default:
			skipped++
			net.Inject("n1", skippedLine(rng, i, i%(nBad/nLong) == 1))
		}
	}
	// The node answers in order: once this is answered, so is every line
	// before it but the relays.
	last := good.Call("n1", map[string]any{"type": "echo", "echo": "last"})
	if _, err := last.Wait(replyTimeout); err != nil {
		t.Fatal(err)
	}
	gotGood := waitAll(goods, replyTimeout)
	gotErrs := 0
	for i, call := range goods {
		m, _ := call.Reply()
		if m == nil {
			t.Errorf("good request %d: no reply", i)
			continue
		}
		if want := []string{"echo_ok", "compute_backoff_ok", "backoff_relay_ok"}[(2*i)%3]; m.Type != want {
			t.Errorf("good request %d: %s, want %s", i, m, want)
		}
	}
	var e struct {
		Code int    `json:"code"`
		Text string `json:"text"`
	}
	for _, x := range errs {
		m, _ := x.call.Reply()
		if m == nil {
			t.Errorf("bad request %d (%s): no reply, want error %d", x.call.ID, x.field, x.code)
			continue
		}
		gotErrs++
		e.Code, e.Text = -1, ""
		if err := m.Decode(&e); err != nil || m.Type != "error" || e.Code != x.code || !strings.Contains(e.Text, x.field) {
			t.Errorf("bad request %d: %s, want error %d naming %q", x.call.ID, m, x.code, x.field)
		}
	}
	deadline := time.Now().Add(replyTimeout)
	for len(bad.Strays()) < strays && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := bad.Strays(); len(got) != strays {
		t.Errorf("%d errors without in_reply_to, want %d (one per msg_id that is not an integer)", len(got), strays)
		for _, m := range got {
			t.Logf("stray: %s", m)
		}
	} else {
		for _, m := range got {
			if m.Decode(&e) != nil || m.Type != "error" || e.Code != 12 || !strings.Contains(e.Text, "msg_id") {
				t.Errorf("reply to a request whose msg_id is not an integer: %s, want error 12 naming msg_id", m)
			}
		}
	}
	check := good.Call("n3", map[string]any{"type": "echo", "echo": "after the corpus"})
	if _, err := check.Wait(replyTimeout); err != nil {
		t.Errorf("n3 after the corpus: %v", err)
	}
	if !n1.Running() || !n3.Running() {
		t.Errorf("a node exited under hostile input")
	}
	n1.Stop()
	n3.Stop()
	t.Logf("n1: %d good, %d bad (%d structured errors, %d with a bad msg_id, %d skipped, %d over 1 MiB); n3: %d corpus lines",
		len(goods), nBad, len(errs), strays, skipped, nLong, len(lines))
	record(t, row{
		scenario: "5 hostile input", requests: len(goods) + nBad + len(lines),
		faults:   fmt.Sprintf("%d bad lines + %d corpus lines", nBad, len(lines)),
		answered: gotGood + gotErrs, lost: len(goods) + len(errs) - gotGood - gotErrs,
	}, start, n1, n3)
}

// Scenario 6: the target of relays, the demo echo node, is killed with
// SIGKILL while relays to it are in flight, and started again a second
// later. Every relay completes with the echo of its payload from the new
// process, or gives up cleanly with code 0; those whose schedule outlasts
// the downtime complete.
func TestTargetCrashAndRestart(t *testing.T) {
	waitBound(t)
	start := time.Now()
	events := newEventLog()
	// Latency keeps attempts in flight when the kill comes.
	net, rng := seededNet(t, 6, harness.Config{Trace: events.add, Latency: harness.Uniform(40*time.Millisecond, 120*time.Millisecond)})
	n1 := net.AddNode("n1", backoffNode)
	n2 := net.AddNode("n2", echoNode)
	net.Start()
	c := net.Client("c1")

	cycles, perCycle := size(1, 10), size(60, 200)
	const downtime = time.Second
	total, gotAll := 0, 0
	var tally faultTally
	for cycle := range cycles {
		ps := make([]relayParams, perCycle)
		for i := range ps {
			if i%3 == 2 { // short: gives up if it meets the downtime
				ps[i] = relayParams{maxRetries: 1, base: 0.01, max: 0.02, jitter: 0.1, seed: rng.Uint64N(1 << 53), strategy: "exponential", timeout: 0.25}
				continue
			}
			ps[i] = relayParams{maxRetries: 8, base: between(rng, 0.02, 0.08), max: 0.4, jitter: between(rng, 0, 0.5), seed: rng.Uint64N(1 << 53), strategy: "exponential", timeout: 0.3}
		}
		scheds := schedules(t, c, "n1", ps)
		calls := make([]*harness.Call, perCycle)
		tag := func(i int) string { return fmt.Sprintf("cycle %d relay %d", cycle, i) }
		send := func(from, to int) {
			for i := from; i < to; i++ {
				calls[i] = c.Call("n1", ps[i].request("n2", map[string]any{"type": "echo", "echo": tag(i)}))
			}
		}
		send(0, perCycle/2)
		time.Sleep(80 * time.Millisecond) // some attempts are in flight, some at n2
		n2.Kill()
		killedAt := time.Now()
		send(perCycle/2, perCycle) // these start while n2 is down
		time.Sleep(time.Until(killedAt.Add(downtime)))
		n2.Restart()
		restartedAt := n2.Started()
		gotAll += waitAll(calls, replyTimeout)
		total += perCycle

		for i, call := range calls {
			what := tag(i)
			r, won := tally.settle(t, what, what, call, ps[i], scheds[i], restartedAt)
			if !r.ok() {
				continue
			}
			for _, e := range events.attempts(what) {
				if e.Msg.MsgID == won && !e.At.Before(killedAt) && e.At.Before(restartedAt) {
					t.Errorf("%s: the answered attempt was delivered while n2 was down", what)
				}
			}
		}
	}
	st := net.Stats()
	t.Logf("%d relays over %d crash(es): %d completed, %d outlasting the downtime; network: %v", total, cycles, tally.succeeded, tally.outlasting, st)
	if st.Down == 0 || tally.outlasting == 0 || tally.succeeded == total {
		t.Errorf("the crash did not bite: %d messages to n2 while down, %d outlasting, %d of %d completed", st.Down, tally.outlasting, tally.succeeded, total)
	}
	if !n1.Running() {
		t.Errorf("n1 exited")
	}
	n1.Stop()
	n2.Stop()
	record(t, row{
		scenario: fmt.Sprintf("6 target killed and restarted (%d×, %v down)", cycles, downtime), requests: total,
		faults:   fmt.Sprintf("%d kill(s), %d messages to a dead node", cycles, st.Down),
		answered: gotAll, lost: total - gotAll,
	}, start, n1, n2)
}
