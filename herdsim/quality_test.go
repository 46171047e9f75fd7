package herdsim

import (
	"testing"
)

// The quality bar for our own strategy, averaged over seeds 1..20 at
// the defaults: idle_fraction at most 0.01; strictly better than
// decorrelated_jitter_v2 and buckets on herd_peak, idle_fraction and wait_cv
// at once; no other strategy at least as good on all three.
func TestStaggeredQualityBar(t *testing.T) {
	avg := map[string]Metrics{}
	for _, row := range Compare(Lab(), DefaultJobs, DefaultRetries, 1, 20) {
		avg[row.Name] = row.Metrics
	}
	ours := avg["staggered"]
	t.Logf("staggered: herd_peak %.3f idle_fraction %.3f wait_cv %.3f", ours.HerdPeak, ours.IdleFraction, ours.WaitCV)
	if ours.IdleFraction > 0.01 {
		t.Errorf("staggered idle_fraction = %.3f, want <= 0.01", ours.IdleFraction)
	}
	for _, rival := range []string{"decorrelated_jitter_v2", "buckets"} {
		m := avg[rival]
		if !(ours.HerdPeak < m.HerdPeak && ours.IdleFraction < m.IdleFraction && ours.WaitCV < m.WaitCV) {
			t.Errorf("staggered %+v is not strictly better than %s %+v on all three", ours, rival, m)
		}
	}
	for name, m := range avg {
		if name != "staggered" && m.HerdPeak <= ours.HerdPeak && m.IdleFraction <= ours.IdleFraction && m.WaitCV <= ours.WaitCV {
			t.Errorf("%s %+v is at least as good as staggered %+v on all three", name, m, ours)
		}
	}
}
