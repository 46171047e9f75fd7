// Command backoff-lab compares backoff strategies side by side: a
// thundering-herd simulation with its metrics, the raw retry times, charts,
// AWS's contention experiment, and an overload and recovery simulation.
//
// Usage:
//
//	backoff-lab compare    [--jobs N] [--retries R] [--seed S] [--seeds K] [--equal-median SECONDS] [--format table|json|csv] [--out DIR]
//	backoff-lab sim        --strategy NAME [--jobs N] [--retries R] [--seed S] [--format csv|json|table] [--out DIR]
//	backoff-lab plot       [--jobs N] [--retries R] [--seed S] [--out DIR]
//	backoff-lab contention [--runs N] [--clients 10,50,100,190] [--seed S] [--format table|json|csv] [--out DIR]
//	backoff-lab overload   [--seed S] [--scenario LIST] [--policy LIST] [--format table|json|csv] [--out DIR] [--charts DIR]
//	                       [--normal RATE] [--queue N] [--retries R] [--drop] [--reject-cost F] [--deadline S --rtt S]
//
// compare prints, for every strategy, the herd metrics averaged over the
// seeds S..S+K−1, or with --equal-median at one median completion time;
// sim prints the retry times (job, retry, time) of one
// strategy so anyone can check the metrics; plot writes PNG and SVG charts
// (one dot per retry, and retries per window over time); contention
// reproduces AWS's published figures and then runs our own strategies, each
// beside the serial limit; overload runs an overloaded server under every
// strategy, with and without a retry budget, on the model's server or a
// variant of it (docs/lab.md). Counts are bounded (a herd is held in
// memory) and long runs report progress on stderr. With
// --out, tables are written to DIR/<command>.<format> instead of stdout.
// Everything is reproducible from --seed.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
