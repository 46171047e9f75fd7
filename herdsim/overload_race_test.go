//go:build race

package herdsim

// Under the race detector the simulations run ten times slower; `make test`
// (which races) checks the findings on two seeds, `make lab-findings` (no
// race) on all five.
func init() {
	findingSeeds = findingSeeds[:2]
	invariantStride = 3 // none, exponential_min, ...: with and without budget
}
