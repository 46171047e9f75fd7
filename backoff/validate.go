package backoff

import (
	"errors"
	"fmt"
	"math"
)

// checkStrategy returns why s cannot be used, or nil. The strategies of this
// package say it themselves; any other is taken as it is.
func checkStrategy(s Strategy) error {
	if s == nil {
		return errors.New("nil strategy")
	}
	if v, ok := s.(interface{ validate() error }); ok {
		return v.validate()
	}
	return nil
}

// nonNegative rejects a negative or NaN field.
func nonNegative(name string, v float64) error {
	if !(v >= 0) {
		return fmt.Errorf("%s = %v, want >= 0", name, v)
	}
	return nil
}

// baseMax checks the Base and Max of an AWS-style strategy: both finite or
// +Inf, neither negative.
func baseMax(strategy string, base, max float64) error {
	return errors.Join(nonNegative(strategy+".Base", base), nonNegative(strategy+".Max", max), finiteBase(strategy, base))
}

func finiteBase(strategy string, base float64) error {
	if math.IsInf(base, 1) {
		return fmt.Errorf("%s.Base is +Inf", strategy)
	}
	return nil
}
