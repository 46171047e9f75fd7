package harness_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/harness"
)

// Scenario 1: relays through 30% loss, each way, to the maelstrom demo echo
// node. Every relay succeeds with the echo of its payload or gives up with
// code 0 after all its attempts; attempts never exceed 1 + max_retries;
// delays_ms is always a prefix of the schedule compute_backoff gives for the
// same fields and seed.
func TestRelayThroughLoss(t *testing.T) {
	start := time.Now()
	seed, rng := seeded(t, 1)
	net := harness.New(t, harness.Config{Seed: seed, Loss: 0.3, Latency: harness.Uniform(0, 20*time.Millisecond)})
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
		if m == nil {
			t.Errorf("%s: no reply", what)
			continue
		}
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

// lowerBound is the earliest the last attempt of a relay sent at sent can
// go out: every attempt before it waited its full attempt_timeout and
// every delay was slept.
func lowerBound(sent time.Time, p relayParams, sched []int64) time.Time {
	d := time.Duration(float64(p.maxRetries) * p.timeout * float64(time.Second))
	for _, x := range sched {
		d += time.Duration(x) * time.Millisecond
	}
	return sent.Add(d)
}

// Scenario 2: the target is cut off by a partition that heals after a
// while. Relays started during it whose schedule outlasts it succeed after
// the heal; any success comes from an attempt delivered after the heal,
// every attempt before it was cut, and attempts counts them all.
func TestRelayAcrossHealingPartition(t *testing.T) {
	start := time.Now()
	seed, rng := seeded(t, 2)
	heal := time.Duration(size(1500, 10000)) * time.Millisecond
	events := newEventLog()
	net := harness.New(t, harness.Config{
		Seed:       seed,
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

	var outlasting, succeeded int
	for i, call := range calls {
		what := fmt.Sprintf("relay %d %+v sent %v after the partition began", i, ps[i], call.Sent.Sub(net.Epoch()).Round(time.Millisecond))
		m, _ := call.Reply()
		if m == nil {
			t.Errorf("%s: no reply", what)
			continue
		}
		r := checkRelay(t, what, m, ps[i], scheds[i])
		outlasts := lowerBound(call.Sent, ps[i], scheds[i]).After(healAt.Add(100 * time.Millisecond))
		if outlasts {
			outlasting++
			if !r.ok() {
				t.Errorf("%s: its schedule outlasts the partition, yet %s", what, m)
			}
		}
		if !r.ok() {
			continue
		}
		succeeded++
		tag := fmt.Sprintf("relay %d", i)
		echoResult(t, what, r, tag)
		won := answeredID(t, what, r)
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
	t.Logf("%d relays, %d outlasting the partition, %d succeeded; network: %v", len(ps), outlasting, succeeded, st)
	if outlasting == 0 || st.Cut == 0 || succeeded == len(ps) {
		t.Errorf("the partition did not bite: %d outlasting, %d cut, %d of %d succeeded", outlasting, st.Cut, succeeded, len(ps))
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

// Scenario 3: the target answers every attempt 1.5 x attempt_timeout after
// it arrives. Each relay times out its first attempt, retries, and takes the
// late reply to the first attempt. After rounds of 1000 relays the node's
// goroutines are back to those of an idle twin, and so is its live heap.
func TestLateReplies(t *testing.T) {
	start := time.Now()
	seed, rng := seeded(t, 3)
	const timeout = 0.4 // s; the target answers after 1.5 x this
	var mu sync.Mutex
	firstID := make(map[string]int64) // echo tag -> msg_id of its first attempt
	net := harness.New(t, harness.Config{Seed: seed})
	traced := backoffNode
	traced.Env = append(slices.Clone(traced.Env), "GODEBUG=gctrace=1")
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
		return map[string]any{"type": "echo_ok", "echo": b.Echo}, time.Duration(1.5 * timeout * float64(time.Second))
	})
	net.Start()
	c := net.Client("c1")

	rounds, perRound := size(3, 30), 1000
	answeredAll := 0
	for round := range rounds {
		ps := make([]relayParams, perRound)
		for i := range ps {
			ps[i] = relayParams{maxRetries: 3, base: 0.05, max: 0.1, jitter: 0.1, seed: rng.Uint64N(1 << 53), strategy: "exponential", timeout: timeout}
		}
		scheds := schedules(t, c, "n1", ps)
		calls := make([]*harness.Call, perRound)
		for i, p := range ps {
			calls[i] = c.Call("n1", p.request("n2", map[string]any{"type": "echo", "echo": fmt.Sprintf("round %d relay %d", round, i)}))
		}
		answeredAll += waitAll(calls, replyTimeout)
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
			if got := answeredID(t, tag, r); got != first || r.Attempts < 2 {
				t.Errorf("%s: result answers msg_id %d after %d attempts, want the late reply to the first attempt (%d) after a retry", tag, got, r.Attempts, first)
			}
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

	// Memory: after the same burst of allocation on both nodes (fat echoes
	// force collections), the live heap of the node that ran the relays is
	// that of its idle twin.
	offsets := map[*harness.Process]int{n1: len(n1.Stderr()), idle: len(idle.Stderr())}
	fat := strings.Repeat("x", 16<<10)
	var echoes []*harness.Call
	for i := range size(600, 2000) {
		for _, p := range []*harness.Process{n1, idle} {
			echoes = append(echoes, c.Call(p.ID(), map[string]any{"type": "echo", "echo": fat, "i": i}))
		}
	}
	if got := waitAll(echoes, replyTimeout); got != len(echoes) {
		t.Fatalf("%d of %d echoes answered", got, len(echoes))
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
		scenario: "3 late replies (1.5 x attempt_timeout)", requests: rounds * perRound,
		faults:   fmt.Sprintf("%d replies late", rounds*perRound),
		answered: answeredAll, lost: rounds*perRound - answeredAll,
	}, start, n1, idle)
}
