package catalog

import "github.com/backoff-node/backoff-node/backoff/internal/draw"

// Spreads of the random term of Sidekiq's retry formula.
const (
	// SidekiqSpread is the blog's (and Sidekiq 7's) spread: up to 30·(k+1) s.
	SidekiqSpread = 30
	// Sidekiq8Spread is Sidekiq 8's: up to 10·(k+1) s, because the wide
	// spread made retries fall into discrete buckets (sidekiq #6513).
	Sidekiq8Spread = 10
)

// Sidekiq is Sidekiq's job-retry formula (job_retry.rb), in seconds:
//
//	d_k = k^4 + 15 + u_k · Spread · (k+1),   u_k uniform in [0, 1)
//
// With Spread = SidekiqSpread, the version the blog "Visualization of
// backoff functions" plots, the delays lie in:
//
//	k      0         1         2         3          4
//	d_k    [15,45)   [16,76)   [31,121)  [96,216)   [271,421)
//
// Sidekiq draws an integer, rand(Spread·(k+1)); here the draw is continuous,
// draw k of the stream the key names. The scale is fixed in seconds: use
// Scaled for another.
type Sidekiq struct {
	Spread float64 // seconds of random spread per retry number
}

// Delay implements backoff.Strategy.
func (s Sidekiq) Delay(k int, key uint64, _, _ float64) float64 { return s.delay(k, draw.At(key, k)) }

// delay is d_k for the draw u.
func (s Sidekiq) delay(k int, u float64) float64 {
	n := float64(k)
	return float64(n*n*n*n) + 15 + float64(u*s.Spread*(n+1)) // no fused multiply-adds
}
