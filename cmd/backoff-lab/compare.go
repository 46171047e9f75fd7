package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/backoff-node/backoff-node/herdsim"
)

// progressWork is how many simulated retries make a run long enough to
// report progress on stderr.
const progressWork = 5_000_000

func compareCmd(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("compare", "[flags]", stderr)
	hf := addHerdFlags(fs)
	jobs, retries, seed := hf.jobs, hf.retries, hf.seed
	seeds := fs.Int("seeds", defaultSeeds, "how many seeds, from --seed on, to average over")
	format := fs.String("format", "table", "output format: table, json or csv")
	out := fs.String("out", "", "write DIR/compare.<format> instead of stdout")
	equalMedian := fs.Float64("equal-median", 0, "compare at an equal median completion time: scale every strategy so that its median time to the last retry is this many `seconds`, and add busiest_window and median_first_wait_s")
	if err := parse(fs, args); err != nil {
		return err
	}
	set := false // an explicit --equal-median 0 is an error, not the default
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "equal-median" })
	if em := *equalMedian; set && !(em >= 1e-3 && em <= 1e9) {
		return fmt.Errorf("%w: --equal-median %v: want a number of seconds from 0.001 to 1e9", errUsage, em)
	}
	if err := hf.check(); err != nil {
		return err
	}
	if err := checkRange("seeds", *seeds, 10_000); err != nil {
		return err
	}
	if err := checkFormat(*format); err != nil {
		return err
	}

	entries := herdsim.Lab()
	work := (*jobs) * (*retries) * (*seeds) * len(entries)
	long := work >= progressWork
	if *equalMedian > 0 {
		var rows []herdsim.FairRow
		for i, e := range entries {
			if long {
				fmt.Fprintf(stderr, "compare: %s (%d/%d)\n", e.Name, i+1, len(entries))
			}
			rows = append(rows, herdsim.EqualMedian([]herdsim.Entry{e}, *jobs, *retries, *seed, *seeds, *equalMedian)...)
		}
		t := fairTable(rows, *format)
		t.title = fmt.Sprintf("%d jobs × %d retries, no cap, every strategy scaled to a median last retry of %s; mean over seeds %d..%d",
			*jobs, *retries, human(*equalMedian), *seed, *seed+uint64(*seeds)-1)
		return emit(t, *out, "compare", *format, stdout, stderr)
	}
	var rows []herdsim.Row
	for i, e := range entries {
		if long {
			fmt.Fprintf(stderr, "compare: %s (%d/%d)\n", e.Name, i+1, len(entries))
		}
		rows = append(rows, herdsim.Compare([]herdsim.Entry{e}, *jobs, *retries, *seed, *seeds)...)
	}
	t := compareTable(rows, *format)
	t.title = fmt.Sprintf("%d jobs × %d retries, no cap; mean over seeds %d..%d", *jobs, *retries, *seed, *seed+uint64(*seeds)-1)

	return emit(t, *out, "compare", *format, stdout, stderr)
}

// compareTable lays the rows out; the table format shows times with units,
// csv and json in seconds.
func compareTable(rows []herdsim.Row, format string) table {
	t := table{
		cols: []string{"strategy", "herd_peak", "idle_fraction", "wait_cv", "peak_to_mean", "p50_s", "p99_s", "scale"},
		json: rows,
	}
	if format == "table" {
		t.cols[5], t.cols[6] = "p50 last retry", "p99 last retry"
	}
	for _, r := range rows {
		p50, p99 := strconv.FormatFloat(r.P50, 'g', 6, 64), strconv.FormatFloat(r.P99, 'g', 6, 64)
		if format == "table" {
			p50, p99 = human(r.P50), human(r.P99)
		}
		t.rows = append(t.rows, []string{
			r.Name,
			fmt.Sprintf("%.3f", r.HerdPeak),
			fmt.Sprintf("%.3f", r.IdleFraction),
			fmt.Sprintf("%.3f", r.WaitCV),
			fmt.Sprintf("%.2f", r.PeakToMean),
			p50, p99,
			r.Scale,
		})
	}
	return t
}

// fairTable lays out the rows of an equal-median comparison.
func fairTable(rows []herdsim.FairRow, format string) table {
	plain := make([]herdsim.Row, len(rows))
	for i, r := range rows {
		plain[i] = r.Row
	}
	t := compareTable(plain, format)
	t.json = rows
	t.cols = append(t.cols[:len(t.cols)-1:len(t.cols)-1], "busiest_window", "median_first_wait_s", "factor", "scale")
	if format == "table" {
		t.cols[len(t.cols)-3] = "median first wait"
	}
	for i, r := range rows {
		first := strconv.FormatFloat(r.FirstWait, 'g', 6, 64)
		if format == "table" {
			first = human(r.FirstWait)
		}
		scale := t.rows[i][len(t.rows[i])-1]
		t.rows[i] = append(t.rows[i][:len(t.rows[i])-1:len(t.rows[i])-1],
			fmt.Sprintf("%.2f", r.BusiestWindow), first, strconv.FormatFloat(r.Factor, 'g', 4, 64), scale)
	}
	return t
}
