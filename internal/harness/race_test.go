//go:build race

package harness_test

// raceDetector reports whether this test binary runs under the race
// detector, which slows the harness's own routing of each message about
// fivefold (the node processes are built without it).
const raceDetector = true
