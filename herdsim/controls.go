package herdsim

import (
	"time"

	"github.com/backoff-node/backoff-node/backoff"
)

// A ControlSpec is a retry control a policy can name after a +: how to make
// one client's control, at its published defaults, and where they come from.
type ControlSpec struct {
	Name   string
	Rule   string // the rule, for people
	Source string
	New    func() backoff.Control
}

// Controls returns the retry controls of the lab, in a fixed order.
func Controls() []ControlSpec {
	return []ControlSpec{
		{"budget", "retries ≤ 0.2 × first attempts + 10/s over a 10 s window",
			"Finagle RetryBudget defaults", func() backoff.Control { return &budgetControl{budget: backoff.NewBudget(backoff.DefaultBudgetRatio, backoff.DefaultBudgetMinPerSecond, backoff.DefaultBudgetWindow)} }},
	}
}

// budgetControl is a [backoff.Budget] as a [backoff.Control]: first
// attempts fund it, retries spend it.
type budgetControl struct{ budget *backoff.Budget }

func (b *budgetControl) Allow(now time.Time, attempt int, _ backoff.Outcome) backoff.Ticket {
	if attempt <= 1 {
		b.budget.Request(now)
		return backoff.Ticket{OK: true, Attempt: attempt}
	}
	return backoff.Ticket{OK: b.budget.AllowRetry(now), Attempt: attempt, Cost: 1}
}

func (b *budgetControl) Done(time.Time, backoff.Ticket, backoff.Outcome) {}
