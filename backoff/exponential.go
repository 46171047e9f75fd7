package backoff

import (
	"math"
	"math/rand/v2"
)

// Exponential is the node's default strategy, the formula of the wire
// contract. The delay before retry k = 0, 1, 2, ... is
//
//	d_k = min(Max, Base · 2^k · (1 + Jitter·u_k)),   u_k uniform in [0, 1)
//
// The base doubles every retry, up to Jitter times the delay is added at
// random, and the cap applies after the jitter, so no delay exceeds Max, even
// when 2^k overflows a float64. This is the jitter form of Kubernetes'
// wait.Backoff (d + U·J·d), except that there the cap is applied before the
// jitter and a sleep can exceed it.
//
// With the defaults (Base 0.1 s, Max 2 s, Jitter 0.1) the delays lie in:
//
//	k      0           1           2           3           4       5...
//	d_k    [0.1,0.11)  [0.2,0.22)  [0.4,0.44)  [0.8,0.88)  [1.6,2]  2
//
// Fill takes one key from its *rand.Rand and uses u_k = stream.At(k), so the
// k-th draw always belongs to retry k and a longer schedule extends a shorter
// one.
//
// The zero value is usable and does not spin: a Base of 0 (or less) means
// DefaultRetryBase (0.1 s), a Max of 0 (or less) means no cap, and a
// Jitter of 0 means none.
type Exponential struct {
	Base   float64 // delay before the first retry, seconds
	Max    float64 // cap on any delay, seconds
	Jitter float64 // jitter fraction, 0..1
}

// norm gives the zero fields their meaning.
func (e Exponential) norm() Exponential {
	if !(e.Base > 0) {
		e.Base = DefaultRetryBase.Seconds()
	}
	if !(e.Max > 0) {
		e.Max = math.Inf(1)
	}
	return e
}

// Delay returns d_k for the random draw u in [0, 1). It is the formula alone,
// so tests can check exact values.
func (e Exponential) Delay(k int, u float64) float64 {
	e = e.norm()
	// float64(...) rounds the product: Go may otherwise fuse it into a
	// multiply-add (arm64 does), and a seed would name another schedule.
	return math.Min(e.Max, math.Ldexp(e.Base, k)*(1+float64(e.Jitter*u)))
}

// Fill implements Strategy: the schedule keyed by one draw from r.
func (e Exponential) Fill(dst []float64, r *rand.Rand) { e.fillRange(dst, 0, r.Uint64()) }

// Step implements Stepper.
func (e Exponential) Step(k int, key uint64, _, _ float64) float64 {
	return e.Delay(k, stream(key).At(k))
}

// fillRange computes delays k, k+1, ... of the schedule keyed by key. It
// equals Delay(k, stream(key).At(k)) bit for bit: doubling d in a loop is
// exact (a power-of-two step) and equals math.Ldexp(Base, k) until d
// reaches Max; from then on every delay is capped, so d stops growing and
// can never overflow; the stream is stepped by addition.
func (e Exponential) fillRange(dst []float64, k int, key uint64) bool {
	e = e.norm()
	z := key + uint64(k)*golden // stream.At(k) is mix(key + (k+1)·golden)
	d := math.Ldexp(e.Base, k)
	for i := range dst {
		z += golden
		v := d * (1 + float64(e.Jitter*mix(z)))
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
