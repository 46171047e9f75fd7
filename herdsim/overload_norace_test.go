//go:build !race

package herdsim

// raceBuild: see overload_race_test.go.
const raceBuild = false
