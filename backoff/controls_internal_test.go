package backoff

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// controlValidator is what Retry can ask of a control before any attempt.
type controlValidator interface {
	Control
	validate() error
}

// TestControlValidate: zero fields are the defaults; a negative, NaN or
// infinite field is an error naming it, and the control then refuses every
// retry while first attempts still go.
func TestControlValidate(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tt := range []struct {
		c     controlValidator
		field string // "" when valid
	}{
		{&GRPCThrottle{}, ""},
		{&GRPCThrottle{MaxTokens: 1000, TokenRatio: 0.001}, ""},
		{&GRPCThrottle{MaxTokens: -1}, "GRPCThrottle.MaxTokens"},
		{&GRPCThrottle{TokenRatio: nan}, "GRPCThrottle.TokenRatio"},
		{&AWSQuota{}, ""},
		{&AWSQuota{Capacity: inf}, "AWSQuota.Capacity"},
		{&AWSQuota{RetryCost: -5}, "AWSQuota.RetryCost"},
		{&AWSQuota{TimeoutCost: nan}, "AWSQuota.TimeoutCost"},
		{&AWSQuota{NoRetryIncrement: -1}, "AWSQuota.NoRetryIncrement"},
		{&AWSAdaptive{}, ""},
		{&AWSAdaptive{Beta: 1.5}, "AWSAdaptive.Beta"},
		{&AWSAdaptive{Scale: -0.4}, "AWSAdaptive.Scale"},
		{&AWSAdaptive{MinRate: nan}, "AWSAdaptive.MinRate"},
		{&AWSAdaptive{Quota: AWSQuota{Capacity: -1}}, "AWSQuota.Capacity"},
		{&TokenBucket{}, ""},
		{&TokenBucket{Deposit: -0.1}, "TokenBucket.Deposit"},
		{&TokenBucket{Size: inf}, "TokenBucket.Size"},
		{&Breaker{}, ""},
		{&Breaker{Window: 10, MinCalls: 5, Probes: 1, OpenFor: time.Second, FailureRatio: 1}, ""},
		{&Breaker{FailureRatio: 1.1}, "Breaker.FailureRatio"},
		{&Breaker{Window: -1}, "Breaker.Window"},
		{&Breaker{Window: 1 << 21}, "Breaker.Window"},
		{&Breaker{Window: 10}, "Breaker.MinCalls"}, // 100 > 10
		{&Breaker{Probes: -1}, "Breaker.Probes"},
		{&Breaker{OpenFor: -time.Second}, "Breaker.OpenFor"},
		{&RetryCredit{}, ""},
		{&RetryCredit{Ratio: -0.5}, "RetryCredit.Ratio"},
		{&RetryCredit{Credit: nan}, "RetryCredit.Credit"},
		{&RetryCredit{Gate: inf}, "RetryCredit.Gate"},
	} {
		err := tt.c.validate()
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%T%+v: %v, want valid", tt.c, tt.c, err)
		case tt.field == "":
			continue
		case !errors.Is(err, errControl):
			t.Errorf("%T with a bad %s: error %v, want one wrapping errControl", tt.c, tt.field, err)
			continue
		case !strings.Contains(err.Error(), tt.field):
			t.Errorf("error %q does not name %s", err, tt.field)
		}
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if tk := tt.c.Allow(now, 1, 0); !tk.OK {
			t.Errorf("%T with a bad %s refused a first attempt", tt.c, tt.field)
		}
		if tk := tt.c.Allow(now, 2, Failure); tk.OK {
			t.Errorf("%T with a bad %s granted a retry", tt.c, tt.field)
		}
	}
}
