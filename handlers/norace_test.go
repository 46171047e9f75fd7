//go:build !race

package handlers_test

// raceDetector reports whether this test binary runs under the race
// detector, which slows in-process fleets of nodes about fivefold.
const raceDetector = false
