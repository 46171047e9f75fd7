package herdsim

import (
	"math"
	"reflect"
	"testing"
)

// TestOverloadCommonRandomNumbers: with no retries a strategy decides
// nothing, so under common random numbers every strategy gives the same
// run, series and all, with or without a control and with several clients.
func TestOverloadCommonRandomNumbers(t *testing.T) {
	var o Overload
	for j, sc := range Scenarios() {
		if raceBuild && j%2 == 1 {
			continue // steady, storm and sustained_open under the race detector
		}
		sc.Retries, sc.ErrorRate, sc.Fleet = 0, 0.1, 3
		for _, suffix := range []string{"", "+budget"} {
			want := o.Run(sc, policy(t, "none"+suffix), 2).summaryWithSeries()
			for i, e := range Strategies() {
				if i%invariantStride != 0 {
					continue
				}
				if got := o.Run(sc, policy(t, e.Name+suffix), 2).summaryWithSeries(); !reflect.DeepEqual(got, want) {
					t.Fatalf("%s, no retries: %s%s differs from none%s:\n%+v\n%+v", sc.Name, e.Name, suffix, suffix, *got.summary(), *want.summary())
				}
			}
		}
	}
}

// summaryWithSeries copies r, which a later Run overwrites, with a NaN
// recovery as -1 so that copies compare equal.
func (r *OverloadResult) summaryWithSeries() OverloadResult {
	c := *r
	if !c.Recovered {
		c.Recovery = -1
	}
	c.Offered, c.Sent, c.Served, c.Goodput = append([]float64(nil), r.Offered...), append([]float64(nil), r.Sent...),
		append([]float64(nil), r.Served...), append([]float64(nil), r.Goodput...)
	return c
}

// TestOverloadErrorRate: on a healthy server each attempt fails with
// probability X on its own, so a request with R retries fails only if all
// 1 + R attempts do: success 1 − X^(1+R), attempts (1 − X^(1+R))/(1 − X),
// as long as the attempts stay below the capacity (at X = 0.6 with 3 retries
// they would not: 50 × 2.18 > 100 a second).
func TestOverloadErrorRate(t *testing.T) {
	sc := scenario(t, "steady")
	for _, x := range []float64{0, 0.1, 0.3, 0.4} {
		for _, retries := range []int{0, 3} {
			sc.ErrorRate, sc.Retries = x, retries
			r := RunOverload(sc, policy(t, "full_jitter"), 4)
			n := float64(1 + retries)
			success, attempts := 1-math.Pow(x, n), 1.0
			if x > 0 {
				attempts = (1 - math.Pow(x, n)) / (1 - x)
			}
			// 3000 requests: a few standard errors.
			if math.Abs(r.SuccessRate-success) > 0.03 || math.Abs(r.Amplification-attempts) > 0.05 {
				t.Errorf("X %v, %d retries: success %.3f, %.3f attempts a request; want %.3f, %.3f",
					x, retries, r.SuccessRate, r.Amplification, success, attempts)
			}
		}
	}
}

// TestOverloadFleet: the clients split the load and each has a control of
// its own: in the storm, a fleet of budgets at Finagle's defaults (a floor
// of 10 retries a second each) lets through more retries than one budget.
func TestOverloadFleet(t *testing.T) {
	sc := scenario(t, "storm")
	p := policy(t, "full_jitter+budget")
	one := RunOverload(sc, p, 1)
	sc.Fleet = 50
	fleet := RunOverload(sc, p, 1)
	if one.Requests != fleet.Requests {
		t.Errorf("%d requests with one client, %d with 50: want the same arrivals", one.Requests, fleet.Requests)
	}
	if fleet.Amplification < 2*one.Amplification {
		t.Errorf("amplification %.2f with one budget, %.2f with 50: want the floors to add up (at least twice)", one.Amplification, fleet.Amplification)
	}
}

// TestOverloadDefences: each server defence alone (a queue no deeper than
// the client timeout, skipping attempts whose client gave up, LIFO) ends
// the storm's metastable failure for immediate retries, which never recover
// on the model's server (TestOverloadStorm); and the event-driven server
// serves no more than its capacity under any of them.
func TestOverloadDefences(t *testing.T) {
	defences := []struct {
		name string
		set  func(*Scenario)
	}{
		{"queue 100", func(sc *Scenario) { sc.Queue = OverloadCapacity * OverloadTimeout }},
		{"drop stale", func(sc *Scenario) { sc.DropStale = true }},
		{"lifo", func(sc *Scenario) { sc.LIFO = true }},
	}
	var o Overload
	for _, d := range defences {
		sc := scenario(t, "storm")
		d.set(&sc)
		for _, seed := range findingSeeds {
			r := o.Run(sc, policy(t, "none"), seed)
			if !r.Recovered || r.Recovery > 3 {
				t.Errorf("%s, seed %d: none recovered %v in %v s, want within 3 s", d.name, seed, r.Recovered, r.Recovery)
			}
			for i, v := range r.Served {
				if v > sc.Capacity+1 {
					t.Errorf("%s, seed %d: bin %d served %v", d.name, seed, i, v)
				}
			}
		}
	}
}
