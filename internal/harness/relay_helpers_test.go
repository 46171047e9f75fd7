package harness_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/internal/harness"
)

// replyTimeout bounds the wait for any one reply a scenario expects; it is
// generous because CI machines are loaded.
const replyTimeout = 60 * time.Second

// relayParams are the fields of one backoff_relay, as sent.
type relayParams struct {
	maxRetries        int
	base, max, jitter float64 // seconds, seconds, fraction
	seed              uint64
	strategy          string
	timeout           float64 // attempt_timeout, seconds
}

// scheduleFields are the compute_backoff fields of p.
func (p relayParams) scheduleFields() map[string]any {
	return map[string]any{
		"max_retries": p.maxRetries, "base_delay": p.base, "max_delay": p.max,
		"jitter": p.jitter, "seed": p.seed, "strategy": p.strategy,
	}
}

// request is the backoff_relay request delivering payload to target. The
// scenarios check the schedule itself, every attempt it allows, through
// loss and partitions that fail most attempts, so the retry budget, which
// exists to cut exactly those retries, is off; overload_test.go tests it.
func (p relayParams) request(target string, payload map[string]any) map[string]any {
	f := p.scheduleFields()
	f["type"] = "backoff_relay"
	f["target"] = target
	f["payload"] = payload
	f["attempt_timeout"] = p.timeout
	f["retry_budget"] = false
	return f
}

// ms rounds seconds to whole milliseconds, so that parameters read well in
// logs; the node takes them as they are.
func ms(s float64) float64 { return math.Round(s*1000) / 1000 }

// between draws a number of seconds uniformly from [lo, hi], to the ms.
func between(r *rand.Rand, lo, hi float64) float64 { return ms(lo + r.Float64()*(hi-lo)) }

// relayReply is a backoff_relay_ok or the error of a relay that gave up:
// the one decoding of a relay's reply in these tests.
type relayReply struct {
	Type         string          `json:"type"`
	Code         *int64          `json:"code"`
	Text         string          `json:"text"`
	Attempts     int             `json:"attempts"`
	TotalDelayMS int64           `json:"total_delay_ms"`
	DelaysMS     []int64         `json:"delays_ms"`
	Result       json.RawMessage `json:"result"`
}

func (r relayReply) ok() bool { return r.Type == "backoff_relay_ok" }

// decodeRelay decodes a relay's reply, failing the test if it cannot.
func decodeRelay(t testing.TB, m *harness.Message) relayReply {
	t.Helper()
	var r relayReply
	if err := m.Decode(&r); err != nil {
		t.Fatalf("reply %s: %v", m, err)
	}
	return r
}

// checkRelay checks what every relay reply must satisfy, whatever the
// faults: there is one (m is not nil); it succeeded or gave up with code 0
// after all its attempts; attempts is within 1..1+max_retries; delays_ms is
// the prefix of the seeded schedule that the attempts imply, and
// total_delay_ms its sum.
func checkRelay(t *testing.T, what string, m *harness.Message, p relayParams, sched []int64) relayReply {
	t.Helper()
	var r relayReply
	if m == nil {
		t.Errorf("%s: no reply", what)
		return r
	}
	if err := m.Decode(&r); err != nil {
		t.Errorf("%s: reply %s does not decode: %v", what, m, err)
		return r
	}
	switch {
	case r.ok():
		if len(r.Result) == 0 {
			t.Errorf("%s: backoff_relay_ok without result: %s", what, m)
		}
	case r.Type == "error":
		if r.Code == nil || *r.Code != 0 {
			t.Errorf("%s: gave up with %s, want code 0 present", what, m)
		}
		if r.Attempts != 1+p.maxRetries {
			t.Errorf("%s: gave up after %d attempts, want all %d: %s", what, r.Attempts, 1+p.maxRetries, m)
		}
	default:
		t.Errorf("%s: reply %s, want backoff_relay_ok or error", what, m)
		return r
	}
	if r.Attempts < 1 || r.Attempts > 1+p.maxRetries {
		t.Errorf("%s: attempts %d, want 1..%d (1 + max_retries): %s", what, r.Attempts, 1+p.maxRetries, m)
		return r
	}
	if want := sched[:r.Attempts-1]; !slices.Equal(r.DelaysMS, want) {
		t.Errorf("%s: delays_ms %v, want %v, the first %d of the seeded schedule %v", what, r.DelaysMS, want, r.Attempts-1, sched)
	}
	var sum int64
	for _, d := range r.DelaysMS {
		sum += d
	}
	if r.TotalDelayMS != sum {
		t.Errorf("%s: total_delay_ms %d, want %d, the sum of delays_ms", what, r.TotalDelayMS, sum)
	}
	return r
}

// faultTally counts, over the relays of a fault scenario, those whose
// schedule outlasts the fault and those that succeeded.
type faultTally struct{ outlasting, succeeded int }

// settle checks the reply to a relay, whose payload echoes tag, in a
// scenario whose fault ended at end: what every relay reply must satisfy
// (checkRelay); success, if the relay's schedule outlasts the fault by a
// second (the slack lets a reply slowed by a loaded machine still arrive
// before the last attempt ends); the echo of tag in a success. It returns
// the reply and, for a success, the msg_id of the attempt it answers.
func (f *faultTally) settle(t *testing.T, what, tag string, call *harness.Call, p relayParams, sched []int64, end time.Time) (r relayReply, won int64) {
	t.Helper()
	m, _ := call.Reply()
	r = checkRelay(t, what, m, p, sched)
	if lowerBound(call.Sent, p, sched).After(end.Add(time.Second)) {
		f.outlasting++
		if !r.ok() {
			t.Errorf("%s: its schedule outlasts the fault, yet %s", what, m)
		}
	}
	if !r.ok() {
		return r, -1
	}
	f.succeeded++
	echoResult(t, what, r, tag)
	return r, answeredID(t, what, r)
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

// echoResult checks that a relay's result is the echo node's answer to
// the payload {"type": "echo", "echo": tag}.
func echoResult(t *testing.T, what string, r relayReply, tag string) {
	t.Helper()
	var res struct {
		Type string `json:"type"`
		Echo string `json:"echo"`
	}
	if err := json.Unmarshal(r.Result, &res); err != nil || res.Type != "echo_ok" || res.Echo != tag {
		t.Errorf("%s: result %s, want an echo_ok of %q", what, r.Result, tag)
	}
}

// schedules asks node for the compute_backoff schedule of each params.
func schedules(t *testing.T, c *harness.Client, node string, ps []relayParams) [][]int64 {
	t.Helper()
	calls := make([]*harness.Call, len(ps))
	for i, p := range ps {
		f := p.scheduleFields()
		f["type"] = "compute_backoff"
		calls[i] = c.Call(node, f)
	}
	out := make([][]int64, len(ps))
	for i, call := range calls {
		m, err := call.Wait(replyTimeout)
		if err != nil {
			t.Fatalf("compute_backoff: %v", err)
		}
		var r struct {
			Type     string  `json:"type"`
			Schedule []int64 `json:"schedule_ms"`
		}
		if err := json.Unmarshal(m.Body, &r); err != nil || r.Type != "compute_backoff_ok" || len(r.Schedule) != ps[i].maxRetries {
			t.Fatalf("compute_backoff %v: %s, want compute_backoff_ok with %d delays", ps[i], m, ps[i].maxRetries)
		}
		out[i] = r.Schedule
	}
	return out
}

// strategies returns the strategy names the node takes, read from the
// error that names the valid ones; just the default if that text cannot
// be read.
func strategies(t *testing.T, c *harness.Client, node string) []string {
	t.Helper()
	m, err := c.RPC(node, map[string]any{"type": "compute_backoff", "strategy": "?"}, replyTimeout)
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Code int    `json:"code"`
		Text string `json:"text"`
	}
	if json.Unmarshal(m.Body, &e) != nil || m.Type != "error" || e.Code != 12 {
		t.Fatalf("unknown strategy: %s, want error 12", m)
	}
	_, list, ok := strings.Cut(e.Text, "one of ")
	list, _, _ = strings.Cut(list, ", got")
	names := strings.Split(list, ", ")
	if !ok || !slices.Contains(names, "exponential") {
		return []string{"exponential"}
	}
	return names
}

// waitAll waits for every call until one shared deadline and returns how
// many were answered.
func waitAll(calls []*harness.Call, timeout time.Duration) int {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for i, c := range calls {
		select {
		case <-c.Done():
		case <-deadline.C:
			return i + answered(calls[i:])
		}
	}
	return len(calls)
}

func answered(calls []*harness.Call) int {
	n := 0
	for _, c := range calls {
		if m, _ := c.Reply(); m != nil {
			n++
		}
	}
	return n
}
