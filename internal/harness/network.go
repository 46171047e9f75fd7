package harness

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Defaults of a Config.
const (
	// DefaultInitTimeout is how long Start waits for each init_ok, as
	// Maelstrom does.
	DefaultInitTimeout = 10 * time.Second
	// DefaultStopTimeout is how long a stopped node may take to finish its
	// in-flight work and exit before it is killed and the test fails.
	DefaultStopTimeout = 60 * time.Second
	// initClient is the client that sends init, as in Maelstrom.
	initClient = "c0"
)

// Config sets up a Network. The zero value is a network with no faults and
// seed 0.
type Config struct {
	// Seed seeds every random choice the network makes.
	Seed uint64
	// Loss is the probability that a message between nodes is dropped.
	Loss float64
	// Latency delays messages between nodes; nil means none.
	Latency Latency
	// Partitions cut links on a schedule.
	Partitions []Partition
	// Trace, if set, is called for every message between nodes once its
	// fate is known. It is called from the network's goroutines, at once
	// from several: it must be safe for concurrent use, and quick.
	Trace func(Event)
	// InitTimeout and StopTimeout default to DefaultInitTimeout and
	// DefaultStopTimeout.
	InitTimeout, StopTimeout time.Duration
}

// Fate is what happened to a message between nodes.
type Fate int

// The fates of a message.
const (
	Delivered Fate = iota
	Lost           // dropped by the loss probability
	Cut            // dropped by a partition
	Down           // the destination was not running
)

func (f Fate) String() string {
	return [...]string{"delivered", "lost", "cut", "down"}[f]
}

// An Event is the fate of one message between nodes.
type Event struct {
	At   time.Time // when it was delivered or dropped
	Sent time.Time // when its sender wrote it
	Msg  *Message
	Fate Fate
}

// Stats counts messages between nodes. Client traffic is not counted,
// except that Down also counts lines for a node process that was not
// running.
type Stats struct {
	Sent, Delivered, Lost, Cut, Down, Delayed int64
}

// Dropped is the number of messages the network did not deliver.
func (s Stats) Dropped() int64 { return s.Lost + s.Cut + s.Down }

func (s Stats) String() string {
	return fmt.Sprintf("%d sent, %d delivered, %d lost, %d cut, %d to a node down, %d delayed",
		s.Sent, s.Delivered, s.Lost, s.Cut, s.Down, s.Delayed)
}

// A Network routes messages between node processes, services and clients.
// Create it with New, add nodes with AddNode and AddService, then Start it.
// Its methods are safe for concurrent use once it has started.
type Network struct {
	t     testing.TB
	cfg   Config
	dir   string
	sched *scheduler

	mu      sync.Mutex
	peers   map[string]*peer
	order   []string // peer ids in the order added
	clients map[string]*Client
	epoch   time.Time

	sent, delivered, lost, cut, down, delayed atomic.Int64

	vmu        sync.Mutex
	violations []string
}

// peer is a node on the network: a process or a service. It draws the
// faults of what it sends from its own generator.
type peer struct {
	id   string
	proc *Process
	svc  *Service

	rmu sync.Mutex
	rng *rand.Rand
}

func (p *peer) up() bool {
	if p.proc != nil {
		return p.proc.running()
	}
	return true
}

func (p *peer) accept(n *Network, m *Message) {
	if p.proc != nil {
		p.proc.push(m.line)
	} else {
		p.svc.accept(m)
	}
}

// New returns a network for the test; its cleanup stops everything it
// started.
func New(t testing.TB, cfg Config) *Network {
	t.Helper()
	if cfg.InitTimeout == 0 {
		cfg.InitTimeout = DefaultInitTimeout
	}
	if cfg.StopTimeout == 0 {
		cfg.StopTimeout = DefaultStopTimeout
	}
	n := &Network{
		t:       t,
		cfg:     cfg,
		dir:     t.TempDir(),
		sched:   newScheduler(),
		peers:   make(map[string]*peer),
		clients: make(map[string]*Client),
	}
	n.clients[initClient] = &Client{id: initClient, net: n, calls: make(map[int64]*Call)}
	t.Cleanup(n.close)
	return n
}

func (n *Network) addPeer(id string) *peer {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.epoch.IsZero() {
		n.t.Fatalf("harness: %s added after Start", id)
	}
	if _, dup := n.peers[id]; dup || strings.HasPrefix(id, "c") || id == "" {
		n.t.Fatalf("harness: bad or duplicate node id %q", id)
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	p := &peer{id: id, rng: rand.New(rand.NewPCG(n.cfg.Seed, h.Sum64()))}
	n.peers[id] = p
	n.order = append(n.order, id)
	return p
}

// AddNode adds a node process running prog, with the given id. It starts
// with Start.
func (n *Network) AddNode(id string, prog Program) *Process {
	p := n.addPeer(id)
	p.proc = &Process{net: n, id: id, prog: prog, peer: p}
	return p.proc
}

// AddService adds a node simulated in the test process by h.
func (n *Network) AddService(id string, h Handler) *Service {
	p := n.addPeer(id)
	p.svc = &Service{net: n, peer: p, handler: h}
	return p.svc
}

// Client returns the client with the given id, creating it; ids start with
// "c" and c0 is the network's own.
func (n *Network) Client(id string) *Client {
	if !strings.HasPrefix(id, "c") || id == initClient {
		n.t.Fatalf("harness: client id %q must start with c and not be %s", id, initClient)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	c := n.clients[id]
	if c == nil {
		c = &Client{id: id, net: n, calls: make(map[int64]*Call)}
		n.clients[id] = c
	}
	return c
}

// NodeIDs returns the ids of all nodes and services, as init gives them.
func (n *Network) NodeIDs() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.order)
}

// Start starts every node process, sends each its init and waits for every
// init_ok. The partition schedule is counted from when it returns.
func (n *Network) Start() {
	n.t.Helper()
	var procs []*Process
	n.mu.Lock()
	for _, id := range n.order {
		if p := n.peers[id].proc; p != nil {
			procs = append(procs, p)
		}
	}
	n.mu.Unlock()
	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Go(func() { errs[i] = p.start() })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			n.t.Fatal(err)
		}
	}
	n.mu.Lock()
	n.epoch = time.Now()
	n.mu.Unlock()
}

// Epoch returns when Start returned: the zero of the partition schedule.
func (n *Network) Epoch() time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.epoch
}

// Stats returns the counts of messages between nodes so far.
func (n *Network) Stats() Stats {
	return Stats{
		Sent: n.sent.Load(), Delivered: n.delivered.Load(), Lost: n.lost.Load(),
		Cut: n.cut.Load(), Down: n.down.Load(), Delayed: n.delayed.Load(),
	}
}

// Inject writes line, as it is, to the stdin of node dest: hostile input
// that did not come through the network. No reply is expected; see
// Client.Raw for one that is.
func (n *Network) Inject(dest string, line []byte) {
	p := n.peer(dest)
	if p == nil || p.proc == nil {
		n.t.Fatalf("harness: Inject to %q, not a node process", dest)
	}
	p.proc.push(line)
}

func (n *Network) initClient() *Client {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.clients[initClient]
}

func (n *Network) peer(id string) *peer {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.peers[id]
}

// violate fails the test with what Maelstrom would have rejected.
func (n *Network) violate(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	n.vmu.Lock()
	n.violations = append(n.violations, msg)
	n.vmu.Unlock()
	n.t.Errorf("harness: %s", msg)
}

// Violations returns what the network rejected so far.
func (n *Network) Violations() []string {
	n.vmu.Lock()
	defer n.vmu.Unlock()
	return slices.Clone(n.violations)
}

// route sends a message written by peer from.
func (n *Network) route(from *peer, m *Message) {
	if m.Src != from.id {
		n.violate("%s wrote a message with src %q: %s", from.id, m.Src, m)
		return
	}
	n.mu.Lock()
	c := n.clients[m.Dest]
	to := n.peers[m.Dest]
	n.mu.Unlock()
	switch {
	case c != nil:
		c.receive(m)
	case to != nil:
		n.transmit(from, to, m)
	default:
		n.violate("%s wrote to unknown dest %q: %s", from.id, m.Dest, m)
	}
}

// transmit carries a message between nodes through the faults.
func (n *Network) transmit(from, to *peer, m *Message) {
	now := time.Now()
	n.sent.Add(1)
	from.rmu.Lock()
	// Both draws are made for every message, so that the k-th message of a
	// sender meets the same fate in every run.
	lost := n.cfg.Loss > 0 && from.rng.Float64() < n.cfg.Loss
	var delay time.Duration
	if n.cfg.Latency != nil {
		delay = n.cfg.Latency.Sample(from.rng)
	}
	from.rmu.Unlock()
	switch {
	case n.isCut(from.id, to.id, now):
		n.cut.Add(1)
		n.trace(now, now, m, Cut)
	case lost:
		n.lost.Add(1)
		n.trace(now, now, m, Lost)
	case delay > 0:
		n.delayed.Add(1)
		n.sched.at(now.Add(delay), func() { n.deliver(from, to, m, now) })
	default:
		n.deliver(from, to, m, now)
	}
}

func (n *Network) deliver(from, to *peer, m *Message, sent time.Time) {
	now := time.Now()
	switch {
	case n.isCut(from.id, to.id, now):
		n.cut.Add(1)
		n.trace(now, sent, m, Cut)
	case !to.up():
		n.down.Add(1)
		n.trace(now, sent, m, Down)
	default:
		n.delivered.Add(1)
		n.trace(now, sent, m, Delivered)
		to.accept(n, m)
	}
}

func (n *Network) trace(at, sent time.Time, m *Message, f Fate) {
	if n.cfg.Trace != nil {
		n.cfg.Trace(Event{At: at, Sent: sent, Msg: m, Fate: f})
	}
}

func (n *Network) isCut(a, b string, at time.Time) bool {
	if len(n.cfg.Partitions) == 0 {
		return false
	}
	epoch := n.Epoch()
	if epoch.IsZero() {
		return false
	}
	d := at.Sub(epoch)
	for _, p := range n.cfg.Partitions {
		if p.cuts(a, b, d) {
			return true
		}
	}
	return false
}

// close stops every process (they must exit 0 unless the test killed
// them), then the scheduler.
func (n *Network) close() {
	n.mu.Lock()
	var procs []*Process
	for _, id := range n.order {
		if p := n.peers[id].proc; p != nil {
			procs = append(procs, p)
		}
	}
	n.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(func() { p.Stop() })
	}
	wg.Wait()
	n.sched.close()
	if n.t.Failed() {
		for _, p := range procs {
			n.t.Logf("harness: stderr of %s (last lines):\n%s", p.id, p.StderrTail(4096))
		}
	}
}
