// Package draw holds the random arithmetic that package backoff and its
// catalog share, so that both name a schedule by the same key: the
// counter-based stream a key names, the golden-ratio phase of a key, and
// the seeded source that turns a seed into a key.
package draw

import "math/rand/v2"

// At returns draw k of the stream named by key, uniform in [0, 1) with 53
// random bits. It depends only on key and k, which makes the k-th delay of
// a schedule a pure function of (key, k) and a shorter schedule a prefix of
// a longer one. It is SplitMix64 (Steele, Lea and Flood, 2014) evaluated at
// position k+1, a mixer whose outputs pass BigCrush.
func At(key uint64, k int) float64 {
	return Mix(key + uint64(k+1)*Golden)
}

// Golden is SplitMix64's increment, 2^64 divided by the golden ratio.
const Golden = 0x9e3779b97f4a7c15

// Mix is SplitMix64's output function, scaled to [0, 1).
func Mix(z uint64) float64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(int64(z>>11)) * 0x1p-53 // int64: a one-instruction conversion
}

// Phase returns the fractional part of key times the golden ratio, in
// [0, 1): the Weyl sequence, which spreads consecutive keys evenly (the
// three-gap theorem).
func Phase(key uint64) float64 {
	return float64(int64((key*Golden)>>11)) * 0x1p-53
}

// seedStream is the second PCG word. It is fixed so that a seed alone names a
// schedule; changing it would change every published schedule.
const seedStream = 0x6261636b6f666621 // "backoff!"

// NewRand returns a random source seeded with seed alone. The same seed
// yields the same sequence on every machine and Go release: PCG and
// Rand.Uint64 are specified exactly.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seedStream))
}

// Key returns the key a seed names: the first Uint64 of NewRand(seed).
func Key(seed uint64) uint64 {
	p := rand.NewPCG(seed, seedStream)
	return p.Uint64()
}
