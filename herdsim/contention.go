package herdsim

import (
	"math"
	"math/rand/v2"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/backoff/catalog"
)

// Parameters of AWS's contention experiment (aws-arch-backoff-simulator,
// backoff_simulator.py), in simulated milliseconds.
const (
	// NetMean and NetSD describe the network delay of one message,
	// |N(NetMean, NetSD)|.
	NetMean = 10
	NetSD   = 2
	// AWSBase and AWSCap are the base and cap of the experiment's backoffs.
	AWSBase = 5
	AWSCap  = 2000
	// AWSRuns is how many runs the experiment averages per point.
	AWSRuns = 100
)

// AWSStrategies returns the five backoffs of AWS's experiment as backoff
// strategies. The experiment numbers its first backoff n = 1, so the
// exponential ones start at 2·AWSBase; decorrelated jitter starts its state
// at AWSBase.
func AWSStrategies() []Entry {
	return []Entry{
		{"none", Of(backoff.Constant{Interval: 0}), "no backoff"},
		{"exponential_no_jitter", Of(backoff.Exponential{Base: 2 * AWSBase, Max: AWSCap}), "min(2000, 10·2^k) ms"},
		{"equal_jitter", Of(backoff.EqualJitter{Base: 2 * AWSBase, Max: AWSCap}), "base 10 ms, cap 2000 ms"},
		{"full_jitter", Of(backoff.FullJitter{Base: 2 * AWSBase, Max: AWSCap}), "base 10 ms, cap 2000 ms"},
		{"decorrelated_jitter", Of(backoff.DecorrelatedJitter{Base: AWSBase, Max: AWSCap}), "base 5 ms, cap 2000 ms"},
	}
}

// PacedBase is the first window of paced in the contention experiment, in
// ms: six times the first interval of the other strategies (a few round
// trips of 20 ms).
const PacedBase = 6 * 2 * AWSBase

// OurContenders returns our own strategies configured for the contention
// experiment, on the experiment's scale (first interval 10 ms, cap
// 2000 ms; paced's first window PacedBase): paced and anchored, our
// strategies for contention, each also with random instead of consecutive
// client ids; then staggered, our strategy for herds, as the default
// (scales in [1/2, 1)), with scales in [0, 1), and with random client ids;
// and sawtooth backoff, from the contention-resolution literature.
func OurContenders() []Entry {
	paced := catalog.Paced{Base: PacedBase, Max: AWSCap}
	anchored := catalog.Anchored{Base: 2 * AWSBase, Max: AWSCap}
	def := catalog.Staggered{Base: 2 * AWSBase, Max: AWSCap, Low: catalog.StaggeredLow}
	wide := catalog.Staggered{Base: 2 * AWSBase, Max: AWSCap, Low: 0}
	return []Entry{
		{"paced", Of(paced), "first window 60 ms, growth √2, cap 2000 ms, consecutive client ids"},
		{"paced_random_ids", RandomIDs(paced), "the same, random client ids"},
		{"anchored", Of(anchored), "base 10 ms, cap 2000 ms, consecutive client ids"},
		{"anchored_random_ids", RandomIDs(anchored), "the same, random client ids"},
		{"staggered", Of(def), "base 10 ms, cap 2000 ms, scale [1/2, 1), consecutive client ids"},
		{"staggered_low0", Of(wide), "the same, scale [0, 1)"},
		{"staggered_random_ids", RandomIDs(def), "the default, random client ids"},
		{"sawtooth", Of(catalog.Sawtooth{Base: 2 * AWSBase, Max: AWSCap}), "base 10 ms, cap 2000 ms (Bender et al., SPAA 2005)"},
	}
}

// AWSFigures are the published means of AWS's simulator (100 runs a point,
// from docs/ANCHORS.md): [calls, time in ms] by strategy name (as
// AWSStrategies names them) and number of clients.
var AWSFigures = map[string]map[int][2]float64{
	"none":                  {10: {50, 375}, 50: {692, 1147}, 100: {2420, 2020}, 190: {8011, 3540}},
	"exponential_no_jitter": {10: {51, 3536}, 50: {622, 36747}, 100: {1858, 63348}, 190: {5185, 101825}},
	"equal_jitter":          {10: {42, 721}, 50: {346, 4268}, 100: {812, 6585}, 190: {1760, 9355}},
	"full_jitter":           {10: {38, 462}, 50: {331, 2960}, 100: {796, 4989}, 190: {1772, 7472}},
	"decorrelated_jitter":   {10: {37, 435}, 50: {375, 2286}, 100: {1000, 4594}, 190: {2430, 7927}},
}

// ContentionBound is the serial lower bound of the contention experiment
// with n clients: each client's write must succeed once, so at least n
// write calls; and the commits cannot overlap (each makes every version
// read before it stale), each needing at least a read reply and a write
// request after the one before, two network delays of NetMean: a time of
// at least 2·n·NetMean ms. Delays vary (|N(10, 2)|), and with no backoff
// and many clients the fastest messages win each round, so a run can beat
// the time bound by a few per cent (190 clients without backoff: 0.93 of
// it); it is the distance to the limit, not a floor every run respects.
func ContentionBound(n int) (calls, timeMS float64) {
	return float64(n), 2 * float64(n) * NetMean
}

// ContentionResult is the outcome of the contention experiment at one point.
type ContentionResult struct {
	Clients int     `json:"clients"`
	Calls   float64 `json:"calls"`   // write calls, mean over the runs
	Time    float64 `json:"time_ms"` // when the last client learnt it committed, mean
}

// Contend runs AWS's contention experiment runs times with the given number
// of clients backing off with s, and returns the means. One row has a
// version number; each client reads it, then writes with the version it
// read; a write with a stale version fails, and the client backs off (delay
// k of its schedule after its (k+1)-th failure), re-reads and tries again,
// until its one write succeeds. Each message takes |N(10, 2)| ms. A
// [KeyedStrategy] gets client i's key as (run·clients + i), so the
// clients of a run have consecutive ids. All randomness comes from one
// source seeded with seed.
func Contend(s Strategy, clients, runs int, seed uint64) ContentionResult {
	r := catalog.NewRand(seed)
	var c contention
	var calls, time float64
	for run := 0; run < runs; run++ {
		n, t := c.run(s, clients, uint64(run*clients), r)
		calls += float64(n)
		time += t
	}
	return ContentionResult{Clients: clients, Calls: calls / float64(runs), Time: time / float64(runs)}
}

// contention holds the state of one run, reused between runs.
type contention struct {
	sched   []float64 // client i's delays at sched[i*clients:]
	version []int     // the version each client last read
	fails   []int     // failed writes per client
	q       eventQueue
}

// Kinds of events.
const (
	readArrives  = iota // a client's read reaches the row
	writeArrives        // a client's write reaches the row
)

func (c *contention) run(s Strategy, clients int, firstKey uint64, r *rand.Rand) (calls int, end float64) {
	c.sched = grow(c.sched, clients*clients)
	c.version = grow(c.version, clients)
	c.fails = grow(c.fails, clients)
	clear(c.fails)
	for i := 0; i < clients; i++ {
		// A client fails at most once per other client's commit.
		fillJob(c.sched[i*clients:(i+1)*clients], s, firstKey+uint64(i), r)
	}
	net := func() float64 { return math.Abs(r.NormFloat64()*NetSD + NetMean) }
	c.q = c.q[:0]
	for i := 0; i < clients; i++ {
		c.q.push(event{net(), int32(i), readArrives})
	}
	row := 0 // the row's version
	for len(c.q) > 0 {
		e := c.q.pop()
		i := int(e.id)
		switch e.kind {
		case readArrives: // the reply travels back, the write travels out
			c.version[i] = row
			c.q.push(event{e.t + net() + net(), e.id, writeArrives})
		case writeArrives:
			calls++
			if c.version[i] == row {
				row++
				end = math.Max(end, e.t+net()) // the client learns of it
				continue
			}
			// The failure travels back; the client sleeps, then reads again.
			back := net()
			sleep := c.sched[i*clients+c.fails[i]]
			c.fails[i]++
			c.q.push(event{e.t + back + sleep + net(), e.id, readArrives})
		}
	}
	return calls, end
}
