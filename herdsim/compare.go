package herdsim

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
