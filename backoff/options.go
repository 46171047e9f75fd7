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
// Make them with the With functions; the zero Option is invalid.
type Option struct {
	kind     optionKind
	d        time.Duration // WithMaxDelay, WithMaxElapsed, WithAttemptTimeout
	n        int           // WithMaxRetries
	key      uint64        // WithSeed
	strategy Strategy
	control  Control
	notify   func(RetryEvent)
	err      error // why the option cannot be used, found when it was made
}

// An optionKind says which setting an Option holds. Options are values
// rather than functions so that Retry applies them without a call through
// a func value, which would move its configuration to the heap.
type optionKind uint8

const (
	optNone optionKind = iota
	optStrategy
	optMaxDelay
	optSeed
	optMaxRetries
	optMaxElapsed
	optAttemptTimeout
	optControl
	optNotify
)

// config is what the options of one call say.
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

// apply sets what o holds.
func (c *config) apply(o Option) {
	if o.err != nil {
		c.err = errors.Join(c.err, o.err)
		return
	}
	switch o.kind {
	case optStrategy:
		c.strategy = o.strategy
	case optMaxDelay:
		c.maxDelay = o.d
	case optSeed:
		c.key, c.keySet = o.key, true
	case optMaxRetries:
		c.maxRetries = o.n
	case optMaxElapsed:
		c.maxElapsed = o.d
	case optAttemptTimeout:
		c.attemptTimeout = o.d
	case optControl:
		c.control = o.control
	case optNotify:
		c.notify = o.notify
	default:
		c.err = errors.Join(c.err, invalid("the zero Option"))
	}
}

// invalid is an error wrapping ErrInvalidOption.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...)
}

// WithStrategy sets the strategy of the delays; its delays are capped at
// the max delay (WithMaxDelay). The default is Exponential{Jitter: 0.5}:
// 100 ms before the first retry, doubling, plus up to half again at random.
// A nil strategy, or one of this package's with negative fields, is
// invalid.
func WithStrategy(s Strategy) Option {
	o := Option{kind: optStrategy, strategy: s}
	if err := checkStrategy(s); err != nil {
		o.err = invalid("WithStrategy: %v", err)
	}
	return o
}

// WithMaxDelay caps every delay of the strategy at d; 0 means the default,
// 10 s; a negative d is invalid. It does not cap a Retry-After (see
// RetryAfter).
func WithMaxDelay(d time.Duration) Option {
	return duration(optMaxDelay, "WithMaxDelay", "the default, 10s", d)
}

// duration returns the Option of the given kind holding d, or reporting a
// negative d; zero says what 0 means.
func duration(kind optionKind, name, zero string, d time.Duration) Option {
	o := Option{kind: kind, d: d}
	if d < 0 {
		o.err = invalid("%s(%v): want >= 0 (0 is %s)", name, d, zero)
	}
	return o
}

// WithSeed makes the schedule a function of seed: every call given this
// option sleeps the same delays (the strategy's schedule of the key the
// seed names). Without it each call draws a key from the operating system,
// so that clients that fail together do not retry in lockstep: use a seed
// to reproduce a schedule, in a test or from a log, not to configure a
// fleet. A program with its own *rand.Rand passes WithSeed(r.Uint64()),
// drawn when it makes the option, on one goroutine.
func WithSeed(seed uint64) Option { return Option{kind: optSeed, key: draw.Key(seed)} }

// WithMaxRetries sets how many retries may follow the first attempt: at
// most n for n > 0; 0 means the default, 5 (so at most 6 attempts); -1
// means no limit, which then needs another limit (WithMaxElapsed, a
// control, the context) to stop a call that keeps failing. Other negative
// values are invalid.
func WithMaxRetries(n int) Option {
	o := Option{kind: optMaxRetries, n: n}
	if n < -1 {
		o.err = invalid("WithMaxRetries(%d): want >= 0 (0 is the default, 5) or -1 (no limit)", n)
	}
	return o
}

// WithMaxElapsed stops retrying when the next attempt would start more than
// d after the first began, whatever the wait (a delay, a Retry-After, a
// control's). 0, the default, means no limit; a negative d is invalid.
func WithMaxElapsed(d time.Duration) Option {
	return duration(optMaxElapsed, "WithMaxElapsed", "no limit", d)
}

// WithAttemptTimeout gives each attempt's context a timeout of d. An
// attempt that fails after its timeout passed, while the caller's context
// is still live, is reported with ErrAttemptTimeout rather than
// context.DeadlineExceeded. 0, the default, means no timeout; a negative d
// is invalid.
func WithAttemptTimeout(d time.Duration) Option {
	return duration(optAttemptTimeout, "WithAttemptTimeout", "none", d)
}

// WithControl makes every attempt ask ctl first: Retry calls Allow before
// each attempt, the first included, waits the Ticket's Wait, stops with
// ReasonRefused when it is refused, and hands each allowed ticket back to
// Done with how the attempt ended (see Outcome). Share one control among
// all calls to a service. A nil control, or one whose fields are invalid,
// is invalid.
func WithControl(ctl Control) Option {
	o := Option{kind: optControl, control: ctl}
	if ctl == nil {
		o.err = invalid("WithControl: nil control")
	} else if v, ok := ctl.(interface{ validate() error }); ok {
		if err := v.validate(); err != nil {
			o.err = invalid("WithControl: %v", err)
		}
	}
	return o
}

// WithNotify calls f before each retry's sleep, on the goroutine that
// called Retry; nil means no call.
func WithNotify(f func(RetryEvent)) Option { return Option{kind: optNotify, notify: f} }

// A RetryEvent describes a failed attempt that will be retried.
type RetryEvent struct {
	Attempt int           // the attempt that failed, from 1
	Err     error         // its error
	Delay   time.Duration // the sleep before the next attempt
	Elapsed time.Duration // since the first attempt began
}
