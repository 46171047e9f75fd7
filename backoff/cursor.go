package backoff

import (
	"errors"
	"math"
	"time"
)

// A Cursor walks the schedule of Strategy that Key names, one delay at a
// time, in O(1) memory: a caller that retries up to 10,000 times holds a
// Cursor, not a 10,000-entry schedule. It passes the strategy the state it
// asks for (the previous delay, the time already waited). Set Strategy and
// Key, then call Next or Fill; the zero Cursor has no strategy and is not
// usable.
//
//	c := backoff.Cursor{Strategy: backoff.FullJitter{Base: 1, Max: 60}, Key: key}
//	d := c.Next() // the delay before retry 0, in seconds
type Cursor struct {
	Strategy Strategy
	Key      uint64

	k             int
	prev, elapsed float64
	max           float64 // Retry's cap, as Capped's, without boxing a Capped; 0 for none
}

// Next returns the delay, in seconds, before the next retry, and moves on.
func (c *Cursor) Next() float64 {
	d := c.Strategy.Delay(c.k, c.Key, c.prev, c.elapsed)
	if c.max > 0 {
		d = math.Min(c.max, d)
	}
	c.k++
	c.prev = d
	c.elapsed += d
	return d
}

// Fill writes the next len(dst) delays into dst and moves on, as len(dst)
// calls of Next would, bit for bit; it is faster for Exponential (also under
// Capped), whose delays it computes as a run.
func (c *Cursor) Fill(dst []float64) {
	max := c.max
	if max <= 0 {
		max = math.Inf(1)
	}
	if f, ok := c.Strategy.(rangeFiller); ok && f.fillRange(dst, c.k, c.Key, max) {
		// A range filler ignores prev and elapsed, so they need no update.
		c.k += len(dst)
		return
	}
	for i := range dst {
		dst[i] = c.Next()
	}
}

// Retry returns the number of the retry whose delay Next returns next.
func (c *Cursor) Retry() int { return c.k }

// A rangeFiller computes delays k, k+1, ... of the schedule key names into
// dst, as Delay would, each capped at max, in one call; it reports false
// if it cannot. Only strategies whose delays do not depend on prev and
// elapsed can.
type rangeFiller interface {
	fillRange(dst []float64, k int, key uint64, max float64) bool
}

// Capped bounds every delay of S at Max seconds. The cap applies after any
// jitter, so no delay exceeds it, and S is given the capped delays as prev
// and elapsed, the ones actually slept. Use it for strategies whose formula
// has no cap of its own, such as Constant or a Func; Retry caps every
// strategy at its max delay this way.
type Capped struct {
	S   Strategy
	Max float64 // seconds
}

// Delay implements Strategy.
func (c Capped) Delay(k int, key uint64, prev, elapsed float64) float64 {
	return math.Min(c.Max, c.S.Delay(k, key, prev, elapsed))
}

func (c Capped) fillRange(dst []float64, k int, key uint64, max float64) bool {
	f, ok := c.S.(rangeFiller)
	return ok && f.fillRange(dst, k, key, math.Min(max, c.Max))
}

func (c Capped) validate() error {
	if c.S == nil {
		return errors.New("Capped.S is nil")
	}
	return errors.Join(nonNegative("Capped.Max", c.Max), checkStrategy(c.S))
}

// Duration converts seconds to a time.Duration, saturating: NaN and
// negative values give 0, and values beyond the largest Duration (about 292
// years), +Inf included, give the largest Duration. A plain
// time.Duration(d*1e9) would wrap such a value into a negative duration, a
// timer that fires at once.
func Duration(seconds float64) time.Duration {
	switch {
	case !(seconds > 0): // NaN too
		return 0
	case seconds >= float64(math.MaxInt64)/float64(time.Second):
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(seconds * float64(time.Second))
}
