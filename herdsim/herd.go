package herdsim

import (
	"math/rand/v2"

	"github.com/backoff-node/backoff-node/backoff"
)

// Defaults of the simulation, from the issue that asked for it.
const (
	// DefaultJobs is the number of jobs that fail together.
	DefaultJobs = 100
	// DefaultRetries is how many times each job retries.
	DefaultRetries = 10
)

// A Herd holds the retry times of Jobs jobs that each retried Retries times.
type Herd struct {
	Jobs, Retries int
	// T holds the retry times, in seconds after the common failure, job by
	// job: T[j*Retries+k] is T(j,k), the time of job j's retry k.
	T []float64
}

// At returns T(j,k).
func (h *Herd) At(j, k int) float64 { return h.T[j*h.Retries+k] }

// Simulate fills h with the retry times of jobs × retries jobs retrying with
// s, reusing h's storage when it is large enough. All jobs draw from one
// source seeded with seed, one Fill call (so one fresh stream) per job, in
// job order, so the result is a pure function of the arguments.
//
// The jobs have consecutive ids, as a queue numbers them, starting at an id
// drawn from the source: a [backoff.KeyedStrategy] gets job j's id through
// FillKey instead of a Fill call. Wrap a keyed strategy in
// backoff.StrategyFunc(s.Fill) to give it random keys instead.
func Simulate(h *Herd, s backoff.Strategy, jobs, retries int, seed uint64) {
	SimulateRand(h, s, jobs, retries, backoff.NewRand(seed))
}

// SimulateRand is Simulate drawing from r; it does not allocate once h has
// room.
func SimulateRand(h *Herd, s backoff.Strategy, jobs, retries int, r *rand.Rand) {
	h.Jobs, h.Retries = jobs, retries
	if n := jobs * retries; cap(h.T) >= n {
		h.T = h.T[:n]
	} else {
		h.T = make([]float64, n)
	}
	keyed, _ := s.(backoff.KeyedStrategy)
	var first uint64
	if keyed != nil {
		first = r.Uint64()
	}
	for j := 0; j < jobs; j++ {
		row := h.T[j*retries : (j+1)*retries]
		if keyed != nil {
			keyed.FillKey(row, first+uint64(j))
		} else {
			s.Fill(row, r)
		}
		t := 0.0
		for k, d := range row {
			t += d
			row[k] = t
		}
	}
}
