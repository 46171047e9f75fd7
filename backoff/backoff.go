package backoff

import "time"

// A Strategy gives the delays of a retry schedule: Delay returns the delay,
// in seconds, before retry k (k = 0 is the first retry, after the first
// attempt failed) of the schedule that key names. A strategy that needs
// state is given it: prev is the delay before retry k−1 (0 when k = 0) and
// elapsed the sum of the delays before retry k, as the caller actually
// slept them. Decorrelated jitter uses prev; the others ignore both.
//
// The key is where the randomness comes from: a strategy with jitter
// derives every draw from it (the strategies of this package use draw k
// of a counter-based stream keyed by key), so Delay is a pure function of
// its arguments, a Strategy value can be shared by any number of
// goroutines, and one key always names one schedule. [Retry] takes the key
// from [WithSeed] or, by default, from the operating system; a [Cursor]
// walks the schedule of a key one delay at a time, and [Capped] bounds it.
//
// Delays are float64 seconds so that a schedule is the same, bit for bit,
// whether it is slept through by Retry or computed in a simulation; Retry
// converts them with [Duration].
type Strategy interface {
	Delay(k int, key uint64, prev, elapsed float64) float64
}

// Func adapts a plain function of the retry number to a Strategy, for
// schedules that need no randomness or bring their own:
//
//	backoff.Retry(ctx, op, backoff.WithStrategy(backoff.Func(func(k int) time.Duration {
//		return time.Duration(k+1) * time.Second // 1 s, 2 s, 3 s, ...
//	})))
//
// The key, prev and elapsed are ignored. A negative delay counts as 0.
type Func func(retry int) time.Duration

// Delay implements Strategy.
func (f Func) Delay(k int, _ uint64, _, _ float64) float64 { return f(k).Seconds() }
