package backoff

import "math/rand/v2"

// A stream is a counter-based sequence of uniform draws: At(k) depends only on
// the stream's key and k. A strategy takes one 64-bit key from the caller's
// *rand.Rand per schedule and derives the draw for retry k from it, which
// makes the k-th delay a pure function of (key, k), keeps a shorter schedule
// a prefix of a longer one, and costs a few arithmetic instructions a delay
// instead of a method call through the rand.Source interface.
type stream uint64

// newStream takes the key of a new stream from r.
func newStream(r *rand.Rand) stream { return stream(r.Uint64()) }

// At returns draw k of the stream, uniform in [0, 1) with 53 random bits.
// It is SplitMix64 (Steele, Lea and Flood, 2014) evaluated at position k+1,
// a mixer whose outputs pass BigCrush.
func (s stream) At(k int) float64 {
	return mix(uint64(s) + uint64(k+1)*golden)
}

// golden is SplitMix64's increment, 2^64 divided by the golden ratio.
const golden = 0x9e3779b97f4a7c15

// mix is SplitMix64's output function, scaled to [0, 1).
func mix(z uint64) float64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(int64(z>>11)) * 0x1p-53 // int64: a one-instruction conversion
}
