package herdsim

import (
	"math/rand/v2"

	"github.com/backoff-node/backoff-node/backoff/catalog"
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
// drawn from the source: a [KeyedStrategy] gets job j's id through
// FillKey instead of a Fill call. Wrap a strategy built for ids in
// RandomIDs(s) to give it random keys instead.
func Simulate(h *Herd, s Strategy, jobs, retries int, seed uint64) {
	SimulateRand(h, s, jobs, retries, catalog.NewRand(seed))
}

// SimulateRand is Simulate drawing from r; it does not allocate once h has
// room.
func SimulateRand(h *Herd, s Strategy, jobs, retries int, r *rand.Rand) {
	h.Jobs, h.Retries = jobs, retries
	h.T = grow(h.T, jobs*retries)
	var first uint64
	if _, ok := s.(KeyedStrategy); ok {
		first = r.Uint64()
	}
	for j := 0; j < jobs; j++ {
		row := h.T[j*retries : (j+1)*retries]
		fillJob(row, s, first+uint64(j), r)
		t := 0.0
		for k, d := range row {
			t += d
			row[k] = t
		}
	}
}

// fillJob fills row with the delays of the job with the given key: through
// FillKey for a keyed strategy, else through Fill from r.
func fillJob(row []float64, s Strategy, key uint64, r *rand.Rand) {
	if keyed, ok := s.(KeyedStrategy); ok {
		keyed.FillKey(row, key)
	} else {
		s.Fill(row, r)
	}
}

// grow returns s resliced to length n, or a new slice if s has no room.
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}
