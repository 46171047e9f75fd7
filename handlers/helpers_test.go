package handlers_test

// The one way handlers' tests run nodes and read what they write: a net of
// in-process nodes (one, for most tests) inside a synctest bubble, wired by
// function calls, and msg, the one decoder of their output.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/backoff-node/backoff-node/handlers"
	"github.com/backoff-node/backoff-node/node"
)

// testSeeds is the seed source of in-process nodes: requests without a seed
// then get the same "random" seed on every run, so transcripts are exact.
func testSeeds() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

// newNode is the node main builds, in-process: node and handlers.
func newNode(in io.Reader, out, logs io.Writer, seeds *rand.Rand) *node.Node {
	n := node.New(in, out, logs)
	handlers.Register(n, seeds)
	return n
}

// A net is in-process nodes and scripted services, run inside a synctest
// bubble (so timeouts and backoff sleeps take no real time), with the
// network between them a function call: a line a node writes to another
// node goes to that node's input, one to a service is answered by it, and
// one to anyone else (a client, a node that never answers) is kept for
// take. Each message to a member or a service is lost with probability
// loss, and each reply of a service with probability replyLoss.
type net struct {
	t testing.TB

	mu        sync.Mutex
	members   map[string]*member
	services  map[string]service
	loss      float64
	replyLoss float64
	seed      uint64 // of the loss draws
	sent      map[string]int
	kept      []msg
	read      int // kept messages already returned by take
}

// A service answers a message addressed to it: the reply body, or nil for
// no reply. Its in_reply_to is set by the net.
type service func(m msg) map[string]any

// A member is one in-process node of a net.
type member struct {
	id     string
	n      *node.Node
	in     *io.PipeWriter
	stdout bytes.Buffer // everything it wrote, under net.mu
	logs   lockedBuffer
	partly []byte // the start of a line not yet ended
	runErr chan error
	nt     *net
	quiet  bool // drop what it writes (set before it writes): for measuring memory
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newNet returns an empty net; call it inside synctest.Test.
func newNet(t testing.TB) *net {
	return &net{t: t, members: map[string]*member{}, services: map[string]service{},
		sent: map[string]int{}}
}

// newSession is the common case: node n1 of the cluster n1, n2, n3, started
// and initialised, where nobody else is a member (what n1 sends is kept).
func newSession(t *testing.T) *member {
	nt := newNet(t)
	n1 := nt.start("n1")
	n1.init("n1", "n2", "n3")
	return n1
}

// start runs a new node with the given id (not yet initialised).
func (nt *net) start(id string) *member {
	pr, pw := io.Pipe()
	m := &member{id: id, in: pw, runErr: make(chan error, 1), nt: nt}
	m.n = newNode(pr, m, &m.logs, testSeeds())
	nt.mu.Lock()
	nt.members[id] = m
	nt.mu.Unlock()
	go func() { m.runErr <- m.n.Run() }()
	return m
}

// cluster starts and initialises the nodes ids[:len(ids)-dead] of the
// cluster ids, where the last dead ids are no members (what is sent to them
// is kept), and returns them in order. With dead omitted, the last id is
// the one that is not a member.
func (nt *net) cluster(ids ...string) []*member {
	var ms []*member
	for _, id := range ids[:len(ids)-1] {
		m := nt.start(id)
		m.init(ids...)
		ms = append(ms, m)
	}
	return ms
}

// stop stops every member, as SIGTERM does.
func (nt *net) stop() {
	nt.mu.Lock()
	var ms []*member
	for _, m := range nt.members {
		ms = append(ms, m)
	}
	nt.mu.Unlock()
	for _, m := range ms {
		m.stop()
	}
}

// serve makes id a service that answers with answer.
func (nt *net) serve(id string, answer service) {
	nt.mu.Lock()
	defer nt.mu.Unlock()
	nt.services[id] = answer
}

// sends returns how many messages were sent to id (lost ones included).
func (nt *net) sends(id string) int {
	nt.mu.Lock()
	defer nt.mu.Unlock()
	return nt.sent[id]
}

// Write is the node's stdout: it keeps the bytes and routes each line.
func (m *member) Write(p []byte) (int, error) {
	if m.quiet {
		return len(p), nil
	}
	nt := m.nt
	nt.mu.Lock()
	m.stdout.Write(p)
	m.partly = append(m.partly, p...)
	var route []msg
	for {
		i := bytes.IndexByte(m.partly, '\n')
		if i < 0 {
			break
		}
		line := m.partly[:i]
		var out msg
		if err := decode(line, &out); err != nil {
			nt.mu.Unlock()
			nt.t.Errorf("node %s wrote a line that is not JSON (%v): %s", m.id, err, line)
			return len(p), nil
		}
		out.line = string(line)
		m.partly = m.partly[i+1:]
		nt.sent[out.Dest]++
		if nt.members[out.Dest] == nil && nt.services[out.Dest] == nil {
			nt.kept = append(nt.kept, out)
		} else if !nt.lost(nt.loss, "to", out) {
			route = append(route, out)
		}
	}
	nt.mu.Unlock()
	// Delivered outside the lock: a delivery can make the receiver write.
	for _, out := range route {
		nt.deliver(out)
	}
	return len(p), nil
}

// deliver hands out to its destination, a member or a service.
func (nt *net) deliver(out msg) {
	nt.mu.Lock()
	dest, answer := nt.members[out.Dest], nt.services[out.Dest]
	nt.mu.Unlock()
	if dest != nil {
		io.WriteString(dest.in, out.line+"\n") // a stopped node reads no more: fine
		return
	}
	body := answer(out)
	if body == nil {
		return
	}
	body["in_reply_to"] = out.int("msg_id")
	b, err := json.Marshal(map[string]any{"src": out.Dest, "dest": out.Src, "body": body})
	if err != nil {
		nt.t.Fatal(err)
	}
	nt.mu.Lock()
	from, lost := nt.members[out.Src], nt.lost(nt.replyLoss, "reply", out)
	nt.mu.Unlock()
	if from != nil && !lost {
		io.WriteString(from.in, string(b)+"\n")
	}
}

// lost draws whether message out (or, way "reply", the reply to it) is lost
// with probability p. The draw is a hash of the seed, the way and the
// message's sender, receiver and msg_id, not the next number of a stream:
// it does not depend on the order in which goroutines happen to send, so
// a run is the same every time.
func (nt *net) lost(p float64, way string, out msg) bool {
	if p == 0 {
		return false
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d %s %s %s %d", nt.seed, way, out.Src, out.Dest, out.int("msg_id"))
	x := h.Sum64() // FNV's high bits mix poorly: finish with splitmix64's
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11)/(1<<53) < p
}

// init initialises the node as id of the cluster ids.
func (m *member) init(ids ...string) {
	m.nt.t.Helper()
	b, _ := json.Marshal(ids)
	m.send("c0", fmt.Sprintf(`{"type":"init","msg_id":1,"node_id":%q,"node_ids":%s}`, m.id, b))
	m.take()
}

// send writes a message from src to the node and lets the node handle it.
func (m *member) send(src, body string) {
	m.nt.t.Helper()
	m.line(fmt.Sprintf(`{"src":%q,"dest":%q,"body":%s}`, src, m.id, body))
	synctest.Wait()
}

// line writes one raw input line, without waiting.
func (m *member) line(l string) {
	m.nt.t.Helper()
	if _, err := io.WriteString(m.in, l+"\n"); err != nil {
		m.nt.t.Fatal(err)
	}
}

// wait lets fake time pass.
func (m *member) wait(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// take returns what the net kept (sent to clients and to non-members) since
// the last take.
func (m *member) take() []msg {
	nt := m.nt
	nt.mu.Lock()
	defer nt.mu.Unlock()
	out := nt.kept[nt.read:]
	nt.read = len(nt.kept)
	return out
}

// close ends the node's input and waits for it to finish its work.
func (m *member) close() {
	m.in.Close()
	if err := <-m.runErr; err != nil {
		m.nt.t.Fatal(err)
	}
}

// stop stops the node as SIGTERM does and waits for Run to return.
func (m *member) stop() {
	m.n.Stop()
	if err := <-m.runErr; err != nil {
		m.nt.t.Fatal(err)
	}
	m.in.Close()
}

// msg is a message a node wrote, numbers kept exact. line is its bytes.
type msg struct {
	Src, Dest string
	Body      map[string]any
	line      string
}

// decode decodes one JSON value, numbers as json.Number.
func decode(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// int returns an integer member of the body, or -1 if it has none.
func (m msg) int(key string) int64 {
	n, _ := m.Body[key].(json.Number)
	if i, err := n.Int64(); err == nil {
		return i
	}
	return -1
}

// float returns a number member of the body, or -1 if it has none.
func (m msg) float(key string) float64 {
	n, _ := m.Body[key].(json.Number)
	if f, err := n.Float64(); err == nil {
		return f
	}
	return -1
}

// ints returns an array of integers in the body.
func (m msg) ints(key string) []int64 {
	a, _ := m.Body[key].([]any)
	out := make([]int64, len(a))
	for i, v := range a {
		n, _ := v.(json.Number)
		out[i], _ = n.Int64()
	}
	return out
}

// str returns a string member of the body ("" if none).
func (m msg) str(key string) string {
	s, _ := m.Body[key].(string)
	return s
}

func (m msg) typ() string { return m.str("type") }

// to sorts messages into those to dest and the others.
func to(dest string, ms []msg) (toDest, others []msg) {
	for _, m := range ms {
		if m.Dest == dest {
			toDest = append(toDest, m)
		} else {
			others = append(others, m)
		}
	}
	return
}

// split sorts messages into those to anyone but c1 (the relays' sends) and
// the replies to c1.
func split(ms []msg) (sent, replies []msg) {
	replies, sent = to("c1", ms)
	return
}

// req is a request line from c1 to n1 with the given body.
func req(body string) string { return `{"src":"c1","dest":"n1","body":` + body + `}` }

// relayReq is a backoff_relay request body with the given msg_id, target
// n2, payload {"type":"read"}, and then fields, which may name target and
// payload again: a repeated key takes its last value.
func relayReq(id int, fields string) string {
	return fmt.Sprintf(`{"type":"backoff_relay","msg_id":%d,"target":"n2","payload":{"type":"read"},%s}`, id, fields)
}

// heapGrowth returns how much the live heap grew across f, after a GC on
// each side: negative if the GC freed more than f kept.
func heapGrowth(f func()) int64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc)
}
