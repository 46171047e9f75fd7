//go:build race

package backoff_test

// raceEnabled: the race detector slows the single-goroutine simulations
// tenfold and can find nothing in them, so they skip under -race.
const raceEnabled = true
