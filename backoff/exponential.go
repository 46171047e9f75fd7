package backoff

import (
	"errors"
	"math"

	"github.com/backoff-node/backoff-node/backoff/internal/draw"
)

// Exponential is capped exponential backoff with proportional jitter. The
// delay before retry k = 0, 1, 2, ... is
//
//	d_k = min(Max, Base · 2^k · (1 + Jitter·u_k)),   u_k uniform in [0, 1)
//
// The base doubles every retry, up to Jitter times the delay is added at
// random, and the cap applies after the jitter, so no delay exceeds Max, even
// when 2^k overflows a float64. This is the jitter form of Kubernetes'
// wait.Backoff (d + U·J·d), except that there the cap is applied before the
// jitter and a sleep can exceed it.
//
// With Base 0.1 s, Max 2 s and Jitter 0.1 the delays lie in:
//
//	k      0           1           2           3           4       5...
//	d_k    [0.1,0.11)  [0.2,0.22)  [0.4,0.44)  [0.8,0.88)  [1.6,2]  2
//
// u_k is draw k of the stream the key names, so the k-th draw always
// belongs to retry k and a longer schedule extends a shorter one.
//
// The zero value is usable and does not spin: a Base of 0 means 100 ms, a
// Max of 0 means no cap, and a Jitter of 0 means none. (Retry's default
// strategy is Exponential{Jitter: 0.5}, capped at Retry's max delay.)
// Negative or NaN fields are invalid: Retry rejects them with
// ErrInvalidOption, and Delay treats them as zero.
type Exponential struct {
	Base   float64 // delay before the first retry, seconds
	Max    float64 // cap on any delay, seconds
	Jitter float64 // jitter fraction, 0..1
}

// defaultBase is the Base that the zero Exponential uses, in seconds.
const defaultBase = 0.1

// norm gives the zero fields their meaning.
func (e Exponential) norm() Exponential {
	if !(e.Base > 0) {
		e.Base = defaultBase
	}
	if !(e.Max > 0) {
		e.Max = math.Inf(1)
	}
	return e
}

// Delay implements Strategy.
func (e Exponential) Delay(k int, key uint64, _, _ float64) float64 {
	return e.delay(k, draw.At(key, k))
}

// delay is d_k for the draw u: the formula alone, so tests can check exact
// values.
func (e Exponential) delay(k int, u float64) float64 {
	e = e.norm()
	// float64(...) rounds the product: Go may otherwise fuse it into a
	// multiply-add (arm64 does), and a key would name another schedule.
	return math.Min(e.Max, math.Ldexp(e.Base, k)*(1+float64(e.Jitter*u)))
}

func (e Exponential) validate() error {
	return errors.Join(nonNegative("Exponential.Base", e.Base), nonNegative("Exponential.Max", e.Max), nonNegative("Exponential.Jitter", e.Jitter))
}

// fillRange computes delays k, k+1, ... of the schedule keyed by key,
// capped at max, the fast path of Cursor.Fill. It equals Delay bit for bit (a test checks it):
// doubling d in a loop is exact (a power-of-two step) and equals
// math.Ldexp(Base, k) until d reaches Max; from then on every delay is
// capped, so d stops growing and can never overflow; the stream is stepped
// by addition.
func (e Exponential) fillRange(dst []float64, k int, key uint64, max float64) bool {
	e = e.norm()
	e.Max = math.Min(e.Max, max)     // min(max, min(Max, v)) = min(min(max, Max), v)
	z := key + uint64(k)*draw.Golden // draw.At(key, k) is Mix(key + (k+1)·Golden)
	d := math.Ldexp(e.Base, k)
	for i := range dst {
		z += draw.Golden
		v := d * (1 + float64(e.Jitter*draw.Mix(z)))
		if v > e.Max {
			v = e.Max
		}
		dst[i] = v
		if d < e.Max {
			d *= 2
		}
	}
	return true
}
