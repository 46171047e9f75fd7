//go:build !race

package harness_test

// raceDetector reports whether this test binary runs under the race
// detector (see race_test.go).
const raceDetector = false
