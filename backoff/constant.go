package backoff

import "math/rand/v2"

// BlogConstantInterval is the constant strategy's wait in the blog
// "Visualization of backoff functions": 5 minutes, in seconds.
const BlogConstantInterval = 300

// Constant waits the same Interval before every retry:
//
//	d_k = Interval
//
// It is the baseline of the blog "Visualization of backoff functions", where
// Interval is 5 minutes. Jobs that failed together retry together forever:
// it never breaks up a herd. Lookup uses the request's base delay as the
// Interval. Fill draws nothing from its *rand.Rand.
type Constant struct {
	Interval float64 // seconds between retries
}

// Delay returns d_k.
func (c Constant) Delay(k int) float64 { return c.Interval }

// Fill implements Strategy.
func (c Constant) Fill(dst []float64, _ *rand.Rand) {
	for k := range dst {
		dst[k] = c.Interval
	}
}

// Step implements Stepper.
func (c Constant) Step(k int, _ uint64, _, _ float64) float64 { return c.Delay(k) }
