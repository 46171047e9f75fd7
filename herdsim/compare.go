package herdsim

import "slices"

// A Row is one strategy's metrics, averaged over seeds.
type Row struct {
	Entry
	Metrics
}

// Compare simulates every entry at jobs × retries for each seed in
// [firstSeed, firstSeed+seeds) and returns the metrics averaged over the
// seeds, one row per entry in the order given.
func Compare(entries []Entry, jobs, retries int, firstSeed uint64, seeds int) []Row {
	var h Herd
	var m Meter
	rows := make([]Row, len(entries))
	for i, e := range entries {
		rows[i].Entry = e
		for s := 0; s < seeds; s++ {
			Simulate(&h, e.Strategy, jobs, retries, firstSeed+uint64(s))
			rows[i].Metrics.add(m.Measure(&h), 1/float64(seeds))
		}
	}
	return rows
}

// add adds w times x to m.
func (m *Metrics) add(x Metrics, w float64) {
	m.HerdPeak += w * x.HerdPeak
	m.IdleFraction += w * x.IdleFraction
	m.WaitCV += w * x.WaitCV
	m.PeakToMean += w * x.PeakToMean
	m.P50 += w * x.P50
	m.P99 += w * x.P99
}

// FairRow is one strategy's metrics at an equal median completion time
// (EqualMedian): its Metrics, measured on the scaled herd, and three more.
type FairRow struct {
	Row
	// Factor is what the strategy's times were multiplied by so that the
	// median time of the last retry, over the seeds, is the target.
	Factor float64 `json:"factor"`
	// BusiestWindow is the most retries in any window 1/100 of the target
	// long, in absolute time, as a multiple of the even rate: all the
	// retries spread evenly over [0, target]. Unlike the other herd
	// metrics it is not scale-free: waiting longer does not improve it
	// once medians are equal.
	BusiestWindow float64 `json:"busiest_window"`
	// FirstWait is the median wait before the first retry, in seconds.
	FirstWait float64 `json:"median_first_wait_s"`
}

// EqualMedian compares entries at an equal median completion time: each
// strategy's schedule is stretched or shrunk (every time multiplied by one
// factor, as if its time unit changed) so that the mean over the seeds of
// its median time to the last retry equals target seconds, and then
// measured as Compare measures it, plus BusiestWindow and FirstWait.
func EqualMedian(entries []Entry, jobs, retries int, firstSeed uint64, seeds int, target float64) []FairRow {
	var h Herd
	var m Meter
	var col []float64
	rows := make([]FairRow, len(entries))
	for i, e := range entries {
		unscaled := Compare([]Entry{e}, jobs, retries, firstSeed, seeds)[0]
		f := &rows[i]
		f.Entry = e
		f.Factor = target / unscaled.P50
		w := 1 / float64(seeds)
		for s := 0; s < seeds; s++ {
			Simulate(&h, e.Strategy, jobs, retries, firstSeed+uint64(s))
			for j := range h.T {
				h.T[j] *= f.Factor
			}
			f.Metrics.add(m.Measure(&h), w)
			col = append(col[:0], h.T...)
			slices.Sort(col)
			even := float64(len(col)) / 100
			f.BusiestWindow += w * float64(maxInWindow(col, target/100)) / even
			col = col[:0]
			for j := 0; j < h.Jobs; j++ {
				col = append(col, h.At(j, 0))
			}
			slices.Sort(col)
			f.FirstWait += w * median(col)
		}
	}
	return rows
}
