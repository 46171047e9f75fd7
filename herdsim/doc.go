// Package herdsim simulates a thundering herd of failing jobs retrying with a
// backoff strategy, and measures how the retries spread over time.
//
// N jobs fail at time 0 and every attempt fails; each job retries R times
// with delays from a [Strategy]. T(j,k), the time of job j's retry k,
// is the sum of its first k+1 delays. [Measure] turns the retry times into
// [Metrics]: how many jobs retry at the same moment (HerdPeak), how much of
// the time line sees no retry at all (IdleFraction) and how much the wait
// before a given retry differs from job to job (WaitCV).
//
// The package also reproduces the contention experiment of AWS's
// "Exponential Backoff And Jitter" (see [Contend]): clients race to update
// one row under optimistic concurrency.
//
// It also simulates a server in overload and its clients' retries (see
// [Overload.Run]): scenarios with a fault, fleets of clients each with its
// own retry control (the library's backoff.Control types), independent
// errors, and server defences, with policies compared on common random
// numbers.
//
// Everything is a pure function of a seed; nothing here reads a clock or
// does I/O. Dependencies point one way: cmd/backoff-lab uses herdsim, which
// uses backoff.
package herdsim
