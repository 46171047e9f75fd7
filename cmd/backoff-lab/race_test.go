//go:build race

package main

// raceBuild: the race detector slows the simulations about tenfold, so the
// slowest pinned tables are left to `make lab-findings`, which runs without it.
const raceBuild = true
