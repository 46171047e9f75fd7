package backoff

import (
	"math"
	"math/rand/v2"
	"time"
)

// A Stepper is a Strategy that can also compute one delay at a time: Step
// returns the delay before retry k (k = 0 is the first retry) of the
// schedule named by key, given the delay before retry k−1 (prev; 0 when
// k = 0) and the sum of the delays before retry k (elapsed). Step keeps no
// state, so a [Cursor] walks a schedule of any length in O(1) memory.
//
// For the same key, Step agrees with FillKey (for a [KeyedStrategy]) or
// with Fill given a *rand.Rand whose next Uint64 is key: every strategy of
// this package takes exactly one Uint64 from its *rand.Rand per schedule,
// and that number is the key.
type Stepper interface {
	Strategy
	Step(k int, key uint64, prev, elapsed float64) float64
}

// A Cursor walks the schedule of a Stepper one delay at a time, in O(1)
// memory: a caller that retries up to 10,000 times holds a Cursor, not a
// 10,000-entry schedule. The zero Cursor is not usable; use NewCursor.
type Cursor struct {
	s             Stepper
	key           uint64
	k             int
	prev, elapsed float64
}

// NewCursor returns a cursor at the start of the schedule s names by key.
func NewCursor(s Stepper, key uint64) Cursor { return Cursor{s: s, key: key} }

// Next returns the delay, in seconds, before the next retry, and moves on.
func (c *Cursor) Next() float64 {
	d := c.s.Step(c.k, c.key, c.prev, c.elapsed)
	c.k++
	c.prev = d
	c.elapsed += d
	return d
}

// Fill writes the next len(dst) delays into dst and moves on, as len(dst)
// calls of Next would, only faster for the strategies that can compute a
// run of delays at once (Exponential, also under Capped).
func (c *Cursor) Fill(dst []float64) {
	if f, ok := c.s.(rangeFiller); ok && f.fillRange(dst, c.k, c.key) {
		for _, d := range dst {
			c.elapsed += d
		}
		if len(dst) > 0 {
			c.k += len(dst)
			c.prev = dst[len(dst)-1]
		}
		return
	}
	for i := range dst {
		dst[i] = c.Next()
	}
}

// A rangeFiller computes delays k, k+1, ... of the schedule key names into
// dst, as Step would, in one call; it reports false if it cannot. Only
// strategies whose delays do not depend on prev and elapsed can.
type rangeFiller interface {
	fillRange(dst []float64, k int, key uint64) bool
}

func (c Capped) fillRange(dst []float64, k int, key uint64) bool {
	f, ok := c.S.(rangeFiller)
	if !ok || !f.fillRange(dst, k, key) {
		return false
	}
	for i, d := range dst {
		dst[i] = math.Min(c.Max, d)
	}
	return true
}

// FillKey fills dst with the first len(dst) delays of the schedule s names
// by key, as a Cursor would give them.
func FillKey(s Stepper, dst []float64, key uint64) {
	c := NewCursor(s, key)
	for k := range dst {
		dst[k] = c.Next()
	}
}

// Retry returns the number of the retry whose delay Next returns next.
func (c *Cursor) Retry() int { return c.k }

// Capped bounds every delay of S at Max seconds. The cap applies after any
// jitter, so no delay exceeds it. Use it for strategies whose formula has
// no cap of its own (constant, exponential_min, sidekiq, buckets, Polly's
// V2); the others take a Max of their own.
type Capped struct {
	S   Stepper
	Max float64 // seconds
}

var _ Stepper = Capped{}

// Fill implements Strategy. It walks the schedule as a Cursor does; it is
// written out so that it does not allocate (a Cursor over c would box it).
func (c Capped) Fill(dst []float64, r *rand.Rand) {
	key, prev, elapsed := r.Uint64(), 0.0, 0.0
	for k := range dst {
		d := math.Min(c.Max, c.S.Step(k, key, prev, elapsed))
		dst[k], prev, elapsed = d, d, elapsed+d
	}
}

// Step implements Stepper. prev and elapsed are the capped delays, the ones
// actually slept.
func (c Capped) Step(k int, key uint64, prev, elapsed float64) float64 {
	return math.Min(c.Max, c.S.Step(k, key, prev, elapsed))
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

// Scaled stretches the time of S by Unit: its delays are Unit times S's,
// for strategies whose formula is in fixed units (Sidekiq's seconds, the
// buckets' cubes of seconds), so that they keep their shape at another
// scale.
type Scaled struct {
	S    Stepper
	Unit float64 // seconds per unit of S
}

var _ Stepper = Scaled{}

// Fill implements Strategy, as a Cursor would walk it, without allocating.
func (s Scaled) Fill(dst []float64, r *rand.Rand) {
	key, prev, elapsed := r.Uint64(), 0.0, 0.0
	for k := range dst {
		d := s.Unit * s.S.Step(k, key, prev/s.Unit, elapsed/s.Unit)
		dst[k], prev, elapsed = d, d, elapsed+d
	}
}

// Step implements Stepper.
func (s Scaled) Step(k int, key uint64, prev, elapsed float64) float64 {
	return s.Unit * s.S.Step(k, key, prev/s.Unit, elapsed/s.Unit)
}
