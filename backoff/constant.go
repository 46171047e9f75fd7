package backoff

// Constant waits the same Interval, in seconds, before every retry:
//
//	d_k = Interval
//
// It is the baseline that the jittered strategies improve on: clients that
// failed together retry together forever, so it never breaks up a herd. It
// draws nothing. A negative Interval is invalid (Retry rejects it with
// ErrInvalidOption).
type Constant struct {
	Interval float64 // seconds between retries
}

// Delay implements Strategy.
func (c Constant) Delay(int, uint64, float64, float64) float64 { return c.Interval }

func (c Constant) validate() error { return nonNegative("Constant.Interval", c.Interval) }
