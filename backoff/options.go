package backoff

import (
	"errors"
	"fmt"
	"time"

	"github.com/backoff-node/backoff-node/backoff/internal/draw"
)

// Retry's defaults, one per option. A zero passed to an option means its
// default; a negative value is invalid, except WithMaxRetries(-1), which
// means no limit.
const (
	defaultMaxRetries = 5                // retries after the first attempt
	defaultMaxDelay   = 10 * time.Second // cap on every delay but a Retry-After
	defaultJitter     = 0.5              // of the default strategy, Exponential{Jitter: 0.5}
)

// ErrInvalidOption is wrapped by the error Retry returns, before any
// attempt, when it cannot be used as asked: a nil context, operation,
// strategy or control, a negative duration or retry count, or a strategy or
// control whose fields are invalid.
var ErrInvalidOption = errors.New("backoff: invalid option")

// An Option configures Retry. Options are plain values: each holds what it
// was given and nothing else, so one Option may be passed to any number of
// calls, from any number of goroutines, with the same meaning every time.
type Option func(*config)

type config struct {
	strategy       Strategy
	maxDelay       time.Duration
	key            uint64
	keySet         bool
	maxRetries     int
	maxElapsed     time.Duration
	attemptTimeout time.Duration
	control        Control
	notify         func(RetryEvent)
	err            error // the options' complaints, reported before any attempt
}

func (c *config) invalid(format string, args ...any) {
	c.err = errors.Join(c.err, fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...))
}

// WithStrategy sets the strategy of the delays; its delays are capped at
// the max delay (WithMaxDelay). The default is Exponential{Jitter: 0.5}:
// 100 ms before the first retry, doubling, plus up to half again at random.
// A nil strategy, or one of this package's with negative fields, is
// invalid.
func WithStrategy(s Strategy) Option {
	err := checkStrategy(s)
	return func(c *config) {
		if err != nil {
			c.invalid("WithStrategy: %v", err)
		}
		c.strategy = s
	}
}

// WithMaxDelay caps every delay of the strategy at d; 0 means the default,
// 10 s; a negative d is invalid. It does not cap a Retry-After (see
// RetryAfter).
func WithMaxDelay(d time.Duration) Option {
	return duration("WithMaxDelay", "the default, 10s", d, func(c *config) *time.Duration { return &c.maxDelay })
}

// duration returns the Option that sets the field of a config to d, or
// reports a negative d; zero says what 0 means.
func duration(name, zero string, d time.Duration, field func(*config) *time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.invalid("%s(%v): want >= 0 (0 is %s)", name, d, zero)
		}
		*field(c) = d
	}
}

// WithSeed makes the schedule a function of seed: every call given this
// option sleeps the same delays (the strategy's schedule of the key the
// seed names). Without it each call draws a key from the operating system,
// so that clients that fail together do not retry in lockstep: use a seed
// to reproduce a schedule, in a test or from a log, not to configure a
// fleet.
func WithSeed(seed uint64) Option {
	key := draw.Key(seed)
	return func(c *config) { c.key, c.keySet = key, true }
}

// WithMaxRetries sets how many retries may follow the first attempt: at
// most n for n > 0; 0 means the default, 5 (so at most 6 attempts); -1
// means no limit, which then needs another limit (WithMaxElapsed, a
// control, the context) to stop a call that keeps failing. Other negative
// values are invalid.
func WithMaxRetries(n int) Option {
	return func(c *config) {
		if n < -1 {
			c.invalid("WithMaxRetries(%d): want >= 0 (0 is the default, 5) or -1 (no limit)", n)
		}
		c.maxRetries = n
	}
}

// WithMaxElapsed stops retrying when the next attempt would start more than
// d after the first began, whatever the wait (a delay, a Retry-After, a
// control's). 0, the default, means no limit; a negative d is invalid.
func WithMaxElapsed(d time.Duration) Option {
	return duration("WithMaxElapsed", "no limit", d, func(c *config) *time.Duration { return &c.maxElapsed })
}

// WithAttemptTimeout gives each attempt's context a timeout of d. An
// attempt that fails after its timeout passed, while the caller's context
// is still live, is reported with ErrAttemptTimeout rather than
// context.DeadlineExceeded. 0, the default, means no timeout; a negative d
// is invalid.
func WithAttemptTimeout(d time.Duration) Option {
	return duration("WithAttemptTimeout", "none", d, func(c *config) *time.Duration { return &c.attemptTimeout })
}

// WithControl makes every attempt ask ctl first: Retry calls Allow before
// each attempt, the first included, waits the Ticket's Wait, stops with
// ReasonRefused when it is refused, and hands each allowed ticket back to
// Done with how the attempt ended (see Outcome). Share one control among
// all calls to a service. A nil control, or one whose fields are invalid,
// is invalid.
func WithControl(ctl Control) Option {
	var err error
	if ctl == nil {
		err = errors.New("nil control")
	} else if v, ok := ctl.(interface{ validate() error }); ok {
		err = v.validate()
	}
	return func(c *config) {
		if err != nil {
			c.invalid("WithControl: %v", err)
		}
		c.control = ctl
	}
}

// WithNotify calls f before each retry's sleep, on the goroutine that
// called Retry; nil means no call.
func WithNotify(f func(RetryEvent)) Option { return func(c *config) { c.notify = f } }

// A RetryEvent describes a failed attempt that will be retried.
type RetryEvent struct {
	Attempt int           // the attempt that failed, from 1
	Err     error         // its error
	Delay   time.Duration // the sleep before the next attempt
	Elapsed time.Duration // since the first attempt began
}
