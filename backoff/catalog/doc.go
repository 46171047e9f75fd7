// Package catalog collects the backoff strategies that package backoff
// leaves out, so that they can be compared with the standard ones and with
// each other: the schedules of job queues and blog posts (Sidekiq's retry
// formula, the cubic buckets, a minimum plus a power of two), Polly's smooth
// decorrelated jitter, sawtooth backoff from the contention-resolution
// literature, and this project's own strategies from its experiments
// (Staggered for herds of jobs, Anchored and Paced for contention). It is
// named for what it is: a catalogue to study and simulate, not a
// recommendation; for retrying calls, package backoff's standard strategies
// (exponential with jitter, full, equal and decorrelated jitter, constant)
// are the ones to start from.
//
// Every strategy here implements backoff.Strategy with one formula, its
// Delay, so it can be passed to backoff.Retry, walked by a backoff.Cursor or
// capped by backoff.Capped; [Scaled] stretches one whose formula is in fixed
// units. Like package backoff, it is pure arithmetic: no clock, no I/O, no
// global randomness; a key names a schedule. Staggered, Anchored and Paced
// are built for keys that are job ids ([Keyed] says which), where
// consecutive ids get evenly spread phases.
//
// The zero values are usable but mostly trivial (a zero Base gives zero
// delays): set the fields.
package catalog
