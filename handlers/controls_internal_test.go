package handlers

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
)

var defaultChoice = policyChoice{policy: lookupPolicy("budget"), p: [4]float64{backoff.DefaultBudgetRatio, backoff.DefaultBudgetMinPerSecond}}

// TestBudgetsForgetIdleOnly: the node's controls stay at most maxBudgets,
// and only idle ones (held by no relay, unused for idleAfter) are forgotten:
// a busy target keeps its control whatever else arrives; past maxBudgets
// busy targets a further one gets the overflow (first attempts only); once
// controls go idle they make room.
func TestBudgetsForgetIdleOnly(t *testing.T) {
	var b budgets
	t0 := time.Unix(1000, 0)
	dead := b.acquire(t0, "dead", defaultChoice)
	b.release(t0, dead) // released, but used just now: not idle
	var held []*held
	for i := range maxBudgets - 1 {
		held = append(held, b.acquire(t0, fmt.Sprint("t", i), defaultChoice))
	}
	if got := b.acquire(t0, "one more", defaultChoice); got != overflow {
		t.Fatalf("target %d of %d busy ones: got its own control, want the overflow", maxBudgets+1, maxBudgets)
	}
	// 50,000 further targets within the window: none displaces "dead".
	for i := range 50_000 {
		now := t0.Add(time.Duration(i) * time.Millisecond / 10)
		b.release(now, b.acquire(now, fmt.Sprint("x", i), defaultChoice))
	}
	if got := b.acquire(t0.Add(5*time.Second), "dead", defaultChoice); got != dead {
		t.Errorf("the control of a target used 5 s ago was forgotten")
	}
	b.release(t0.Add(5*time.Second), dead)
	if n := b.size(); n != maxBudgets {
		t.Errorf("%d controls held, want %d", n, maxBudgets)
	}
	// Idle: the others released at t0 and not used for a window.
	for _, h := range held {
		b.release(t0, h)
	}
	later := t0.Add(idleAfter + time.Second)
	if got := b.acquire(later, "new", defaultChoice); got == overflow || got == nil {
		t.Errorf("after the others went idle, a new target got %v, want its own control", got)
	}
	if got := b.acquire(later, "dead", defaultChoice); got != dead {
		t.Errorf("the control of a target used %v ago (less than %v) was forgotten", later.Sub(t0.Add(5*time.Second)), idleAfter)
	}
	if n := b.size(); n > 3 {
		t.Errorf("%d controls held after the sweep, want 3 (dead, new and at most one more)", n)
	}
}

// BenchmarkBudgetsDistinctTargets: the per-target state of 50,000 distinct
// targets, each asked by one relay, 1,000 relays a second (50 s: the first
// go idle while new ones come), stays bounded: it reports the bytes held per
// target asked and the controls held (at most maxBudgets).
func BenchmarkBudgetsDistinctTargets(b *testing.B) {
	const targets = 50_000
	names := make([]string, targets)
	for i := range names {
		names[i] = fmt.Sprintf("target-%d", i)
	}
	var held int
	var grew int64
	for b.Loop() {
		var ms0, ms1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms0)
		bs := new(budgets)
		t0 := time.Unix(1000, 0)
		for i, name := range names {
			now := t0.Add(time.Duration(i) * time.Millisecond)
			h := bs.acquire(now, name, defaultChoice)
			h.ctl.Allow(now, 1, 0)
			bs.release(now, h)
		}
		runtime.GC()
		runtime.ReadMemStats(&ms1)
		grew, held = int64(ms1.HeapAlloc)-int64(ms0.HeapAlloc), bs.size()
		runtime.KeepAlive(bs)
	}
	b.ReportMetric(float64(grew)/targets, "B/target")
	b.ReportMetric(float64(held), "controls")
}
