package backoff_test

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(seconds float64) time.Time { return t0.Add(time.Duration(seconds * float64(time.Second))) }

// grant counts how many retries b grants at now, asking until it refuses.
func grant(b *backoff.Budget, now time.Time) int {
	n := 0
	for b.AllowRetry(now) {
		n++
		if n > 1e6 {
			panic("budget never refuses")
		}
	}
	return n
}

func TestBudgetRatio(t *testing.T) {
	tests := []struct {
		name     string
		ratio    float64
		floor    float64
		requests int
		want     int
	}{
		{"no requests, no floor", 0.2, 0, 0, 0},
		{"one request is a fifth of a retry", 0.2, 0, 1, 0},
		{"five requests make one", 0.2, 0, 5, 1},
		{"100 requests make 20", 0.2, 0, 100, 20},
		{"ratio 0 grants nothing", 0, 0, 1000, 0},
		{"ratio 1 grants one per request", 1, 0, 7, 7},
		{"ratio above 1", 2.5, 0, 4, 10},
		{"the floor alone: 10/s over 10 s", 0.2, 10, 0, 100},
		{"floor and ratio add up", 0.2, 10, 100, 120},
		{"a fractional floor", 0, 0.25, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := backoff.NewBudget(tt.ratio, tt.floor, 10*time.Second)
			for range tt.requests {
				b.Request(t0)
			}
			if got := grant(b, t0); got != tt.want {
				t.Errorf("granted %d retries, want %d", got, tt.want)
			}
			if got := b.Balance(t0); got < 0 || got >= 1 {
				t.Errorf("balance after refusal = %v, want in [0, 1)", got)
			}
		})
	}
}

// TestBudgetWindow: requests leave the window a tenth of a window at a time,
// and so do the retries they paid for.
func TestBudgetWindow(t *testing.T) {
	b := backoff.NewBudget(0.5, 0, 10*time.Second)
	for range 10 {
		b.Request(at(0)) // slot 0
	}
	if got := grant(b, at(3)); got != 5 { // slot 3
		t.Fatalf("granted %d at 3 s, want 5", got)
	}
	for range 10 {
		b.Request(at(5.5)) // slot 5
	}
	for _, tt := range []struct {
		at   float64
		want float64
	}{
		{9.99, 0.5*20 - 5}, // everything in the window
		{10, 0.5*10 - 5},   // slot 0 left with 10 requests
		{13, 0.5 * 10},     // slot 3 left with its 5 retries
		{15.5, 0},          // slot 5 left
		{1000, 0},
	} {
		if got := b.Balance(at(tt.at)); got != tt.want {
			t.Errorf("balance at %v s = %v, want %v", tt.at, got, tt.want)
		}
	}
	// Time going back counts as the latest time seen.
	b.Request(at(500))
	b.Request(at(500))
	if got, want := b.Balance(at(1000)), 1.0; got != want {
		t.Errorf("balance after requests from the past = %v, want %v", got, want)
	}
	if got, want := b.Balance(at(1010)), 0.0; got != want {
		t.Errorf("balance a window later = %v, want %v", got, want)
	}
}

func TestBudgetZeroValue(t *testing.T) {
	var b backoff.Budget
	b.Request(t0)
	if b.AllowRetry(t0) {
		t.Error("the zero Budget granted a retry")
	}
	if got := b.Balance(t0); got != 0 {
		t.Errorf("zero Budget balance = %v", got)
	}
}

func TestNewBudgetPanics(t *testing.T) {
	for _, tt := range []struct {
		ratio, floor float64
		window       time.Duration
	}{
		{-0.1, 0, time.Second},
		{math.NaN(), 0, time.Second},
		{math.Inf(1), 0, time.Second},
		{0.2, -1, time.Second},
		{0.2, math.NaN(), time.Second},
		{0.2, 10, 0},
		{0.2, 10, -time.Second},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewBudget(%v, %v, %v) did not panic", tt.ratio, tt.floor, tt.window)
				}
			}()
			backoff.NewBudget(tt.ratio, tt.floor, tt.window)
		}()
	}
}

// TestBudgetConcurrent: under many goroutines the budget grants exactly what
// it would grant in sequence.
func TestBudgetConcurrent(t *testing.T) {
	b := backoff.NewBudget(0.2, 0, time.Minute)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				b.Request(t0)
			}
		})
	}
	wg.Wait()
	var mu sync.Mutex
	granted := 0
	for range 8 {
		wg.Go(func() {
			n := grant(b, t0)
			mu.Lock()
			granted += n
			mu.Unlock()
		})
	}
	wg.Wait()
	if granted != 1600 {
		t.Errorf("granted %d retries to 8000 requests at ratio 0.2, want 1600", granted)
	}
}

func BenchmarkBudget(b *testing.B) {
	bud := backoff.NewBudget(backoff.DefaultBudgetRatio, backoff.DefaultBudgetMinPerSecond, backoff.DefaultBudgetWindow)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now := t0.Add(time.Duration(i) * time.Millisecond)
		bud.Request(now)
		bud.AllowRetry(now)
	}
}

// TestBudgetControl: as a Control, a Budget records attempt 1 as a first
// attempt, asks AllowRetry for the others, and learns nothing from Done.
func TestBudgetControl(t *testing.T) {
	b := backoff.NewBudget(0.5, 0, 10*time.Second)
	balance := func() string { return fmt.Sprint(b.Balance(t0)) }
	runSteps(t, b, balance, []step{
		{Attempt: 2, Last: failure, OK: false, After: "0"},
		{Attempt: 1, OK: true, Done: failure, After: "0.5"},
		{Attempt: 0, OK: true, Done: failure, After: "1"}, // attempt 0 counts as a first
		{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: success, After: "0"},
		{Attempt: 3, Last: timeout, OK: false},
		{Attempt: 1, OK: true, Done: success, Repeat: 4, After: "2"},
		{Attempt: 2, Last: failure, OK: true, Cost: 1, Done: unsent, After: "1"}, // still counted
	})
	var zero backoff.Budget
	if tk := zero.Allow(t0, 1, 0); !tk.OK {
		t.Error("the zero Budget refused a first attempt")
	}
	if tk := zero.Allow(t0, 2, failure); tk.OK {
		t.Error("the zero Budget granted a retry")
	}
}
