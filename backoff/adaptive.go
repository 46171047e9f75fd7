package backoff

import (
	"math"
	"time"
)

// An AWSAdaptive is the AWS SDKs' adaptive retry mode: the standard mode's
// retry quota ([AWSQuota]) plus a client-side rate limiter, a token bucket
// whose fill rate is cut when the service throttles and regrown along a
// CUBIC curve. The AWS SDKs reference guide calls the mode "appropriate
// only for specialized use-cases" and advises against it for multi-tenant
// applications: one limiter paces everything the client sends.
//
// # Model
//
// Retries are first asked of the quota (see [AWSQuota]). Then, once the
// service has throttled the client at least once, every attempt (first or
// retry) takes a token from the limiter's bucket; when there is none, the
// Ticket's Wait says how long until the bucket has paid for it, at its fill
// rate r: tokens are reserved, so concurrent callers queue behind each
// other, as golang.org/x/time/rate's Reserve does. The caller must wait
// Wait before sending.
//
// Every outcome handed to Done updates the rate, as botocore's
// ClientRateLimiter (retries/adaptive.py, throttling.py, bucket.py) does:
//
//   - the measured send rate m counts outcomes in half-second buckets,
//     smoothed: m ← 0.8·(count/elapsed) + 0.2·m when a bucket closes;
//   - a throttling outcome (Throttled) sets Wmax to the rate at hand (m,
//     or min(m, r) once the limiter is on), K = ∛(Wmax·(1−Beta)/Scale),
//     remembers the time t₀, and gives the new rate Beta·Wmax;
//   - any other outcome, timeouts included, gives the CUBIC rate
//     Scale·(t−t₀−K)³ + Wmax;
//   - then r = max(MinRate, min(new rate, 2·m)), and the bucket holds at
//     most max(1, min(new rate, 2·m)) tokens.
//
// Before the first throttle Wmax is 0 and t₀ is the first time seen; the
// bucket starts empty with r = 1.
//
// # Defaults
//
//	field    zero value means        source (botocore)
//	Quota    AWSQuota's defaults     RetryQuota, RetryQuotaChecker
//	Beta     0.7                     CubicCalculator._BETA
//	Scale    0.4                     CubicCalculator._SCALE_CONSTANT
//	MinRate  0.5 tokens a second     TokenBucket._MIN_RATE
//
// The smoothing (0.8), the bucket width (0.5 s) and the cap of twice the
// measured rate are botocore's constants and not configurable.
//
// # Zero value and concurrency
//
// The zero AWSAdaptive uses the defaults. Set the fields before first use;
// a negative, NaN or infinite field makes it refuse every retry (first
// attempts still go, paced). Time is passed in and a time earlier than one
// already seen counts as that one. An AWSAdaptive is safe for concurrent
// use; it must not be copied after first use.
type AWSAdaptive struct {
	Quota   AWSQuota
	Beta    float64
	Scale   float64
	MinRate float64

	ctlState
	q       quota
	clock   ctlClock
	beta    float64
	scale   float64
	minRate float64

	enabled   bool    // a throttle has been seen: the limiter paces
	rate      float64 // fill rate r, tokens a second
	capacity  float64 // the most the bucket holds
	tokens    float64 // what it holds; below 0 when reserved ahead
	filled    float64 // when tokens was last brought up to date, seconds
	wmax, k   float64 // CUBIC: the rate at the last throttle, and its zero point
	lastThrot float64 // t₀, seconds
	measured  float64 // m, attempts a second
	bucket    float64 // start of the open half-second bucket, seconds
	count     float64 // outcomes in it
}

// Botocore's fixed constants (retries/adaptive.py).
const (
	adaptiveSmoothing = 0.8 // RateClocker._DEFAULT_SMOOTHING
	adaptiveBucket    = 0.5 // RateClocker._TIME_BUCKET_RANGE, seconds
	adaptiveMaxScale  = 2.0 // ClientRateLimiter._MAX_RATE_ADJUST_SCALE
)

// setup reads the fields, once: see [ctlState.enter].
func (a *AWSAdaptive) setup() {
	a.q.init(&a.Quota)
	a.beta = ctlShare(&a.invalid, "AWSAdaptive.Beta", a.Beta, 0.7)
	a.scale = ctlField(&a.invalid, "AWSAdaptive.Scale", a.Scale, 0.4)
	a.minRate = ctlField(&a.invalid, "AWSAdaptive.MinRate", a.MinRate, 0.5)
	if a.invalid == nil {
		a.invalid = a.q.invalid
	}
	a.rate, a.capacity = max(1, a.minRate), 1
}

// now returns t in seconds, starting the clocks at the first call. a.mu is
// held.
func (a *AWSAdaptive) now(now time.Time) float64 {
	first := !a.clock.started
	t := a.clock.seconds(now)
	if first {
		a.filled, a.lastThrot = t, t
		a.bucket = math.Floor(t) // botocore starts its clocker at a whole second
	}
	return t
}

func (a *AWSAdaptive) validate() error { return a.check(a.setup) }

// Allow implements [Control]: a retry must first be paid for by the quota;
// then, once the service has throttled, the attempt reserves a token of the
// limiter and Wait says how long until it is paid for.
func (a *AWSAdaptive) Allow(now time.Time, attempt int, last Outcome) Ticket {
	defer a.enter(a.setup).Unlock()
	t := a.now(now)
	if a.invalid != nil && attempt > 1 {
		return refusal(attempt)
	}
	tk := a.q.allow(attempt, last)
	if !tk.OK || !a.enabled {
		return tk
	}
	a.refill(t)
	a.tokens--
	if a.tokens < 0 {
		tk.Wait = Duration(-a.tokens / a.rate)
	}
	return tk
}

// Done implements [Control]: the quota refunds as [AWSQuota.Done] does, and
// the outcome updates the limiter's rate. A ticket given back unsent (the
// zero Outcome) returns its quota and its limiter token and changes no rate.
func (a *AWSAdaptive) Done(now time.Time, tk Ticket, o Outcome) {
	defer a.enter(a.setup).Unlock()
	t := a.now(now)
	a.q.done(tk, o)
	if !wasSent(o) {
		if a.enabled {
			a.refill(t)
			a.tokens = min(a.capacity, a.tokens+1)
		}
		return
	}
	m := a.measure(t)
	var rate float64
	if o == Throttled {
		at := m
		if a.enabled {
			at = min(m, a.rate)
		}
		a.wmax, a.lastThrot = at, t
		a.k = math.Cbrt(a.wmax * (1 - a.beta) / a.scale)
		rate = at * a.beta
		a.enabled = true
	} else {
		d := t - a.lastThrot - a.k
		rate = a.scale*d*d*d + a.wmax
	}
	a.setRate(t, min(rate, adaptiveMaxScale*m))
}

// measure counts one outcome at t and returns the measured rate m.
func (a *AWSAdaptive) measure(t float64) float64 {
	a.count++
	b := math.Floor(t/adaptiveBucket) * adaptiveBucket
	if b > a.bucket {
		cur := a.count / (b - a.bucket)
		a.measured = adaptiveSmoothing*cur + (1-adaptiveSmoothing)*a.measured
		a.count, a.bucket = 0, b
	}
	return a.measured
}

// refill brings the bucket up to t at the current rate.
func (a *AWSAdaptive) refill(t float64) {
	a.tokens = min(a.capacity, a.tokens+(t-a.filled)*a.rate)
	a.filled = t
}

// setRate fills the bucket at the old rate up to t, then sets the new one.
func (a *AWSAdaptive) setRate(t, rate float64) {
	a.refill(t)
	a.rate = max(rate, a.minRate)
	a.capacity = max(rate, 1)
	a.tokens = min(a.tokens, a.capacity)
}

// Rate returns the limiter's fill rate, in attempts a second, and whether
// it paces attempts yet (only after a throttle).
func (a *AWSAdaptive) Rate() (perSecond float64, pacing bool) {
	defer a.enter(a.setup).Unlock()
	return a.rate, a.enabled
}
