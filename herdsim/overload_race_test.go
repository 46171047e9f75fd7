//go:build race

package herdsim

// raceBuild: under the race detector the simulations run about ten times
// slower; `make test` (which races) checks the findings on two seeds, the
// contention bars on fewer runs (as -short does) and leaves the deadline
// spike to `make lab-findings` (no race), which checks all five seeds.
const raceBuild = true

func init() {
	findingSeeds = findingSeeds[:2]
	invariantStride = 5 // every fifth policy
}
