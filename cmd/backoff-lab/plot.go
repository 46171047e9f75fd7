package main

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/backoff-node/backoff-node/herdsim"
)

// Chart geometry.
const (
	plotCols    = 4
	panelWidth  = 4.6 * vg.Inch
	panelHeight = 3.3 * vg.Inch
	dotRadius   = 1.3 // points
	yCut        = 6   // chart (b) cuts its axis at this many times the mean
)

// The charts plot writes, without extension.
const (
	retriesChart = "retries" // (a) one dot per retry
	windowsChart = "windows" // (b) retries per window over time
)

func plotCmd(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("plot", "[flags]", stderr)
	hf := addHerdFlags(fs)
	jobs, retries, seed := hf.jobs, hf.retries, hf.seed
	out := fs.String("out", defaultOut, "folder to write the charts into")
	only := fs.String("strategies", "", "comma-separated strategies to plot (default all)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := hf.check(); err != nil {
		return err
	}
	entries := herdsim.Lab()
	if *only != "" {
		var picked []herdsim.Entry
		for _, name := range strings.Split(*only, ",") {
			e, ok := labEntry(strings.TrimSpace(name))
			if !ok {
				return fmt.Errorf("%w: unknown strategy %q; valid: %s", errUsage, name, strings.Join(labNames(), ", "))
			}
			picked = append(picked, e)
		}
		entries = picked
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}

	herds := make([]*herdsim.Herd, len(entries))
	metrics := make([]herdsim.Metrics, len(entries))
	for i, e := range entries {
		herds[i] = new(herdsim.Herd)
		herdsim.Simulate(herds[i], e.Strategy, *jobs, *retries, *seed)
		metrics[i] = herdsim.Measure(herds[i])
	}
	colors := retryColors(*retries)
	charts := map[string][]*plot.Plot{}
	for i, e := range entries {
		charts[retriesChart] = append(charts[retriesChart], dotsPanel(e.Name, herds[i], metrics[i], colors))
		charts[windowsChart] = append(charts[windowsChart], windowsPanel(e.Name, herds[i], metrics[i]))
	}
	charts[retriesChart] = append(charts[retriesChart], legendPanel(colors))

	for _, name := range []string{retriesChart, windowsChart} {
		for _, format := range []string{"png", "svg"} {
			path := filepath.Join(*out, name+"."+format)
			if err := saveGrid(charts[name], path); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "plot: wrote %s\n", path)
		}
	}
	return nil
}

// retryColors returns one colour per retry number, from red (retry 0)
// through the hues to violet.
func retryColors(n int) []color.Color {
	return palette.Rainbow(max(n, 2), 0, 0.8, 1, 0.85, 1).Colors()[:n]
}

// timeUnit returns the unit that shows times up to maxT best.
func timeUnit(maxT float64) (seconds float64, name string) {
	switch {
	case maxT <= 300:
		return 1, "s"
	case maxT <= 5*3600:
		return 60, "min"
	case maxT <= 5*86400:
		return 3600, "h"
	default:
		return 86400, "days"
	}
}

// dotsPanel is chart (a) for one strategy: a dot per retry at x = its time,
// y = its job, coloured by retry number.
func dotsPanel(name string, h *herdsim.Herd, m herdsim.Metrics, colors []color.Color) *plot.Plot {
	div, unit := timeUnit(slices.Max(h.T))
	xys := make(plotter.XYs, len(h.T))
	for i, t := range h.T {
		xys[i] = plotter.XY{X: t / div, Y: float64(i / h.Retries)}
	}
	sc, _ := plotter.NewScatter(xys) // never fails on finite data
	sc.GlyphStyleFunc = func(i int) draw.GlyphStyle {
		return draw.GlyphStyle{Color: colors[i%h.Retries], Radius: vg.Points(dotRadius), Shape: draw.CircleGlyph{}}
	}
	p := newPanel()
	p.Title.Text = fmt.Sprintf("%s\nherd_peak %.2f  idle %.2f  wait_cv %.2f", name, m.HerdPeak, m.IdleFraction, m.WaitCV)
	p.X.Label.Text = "time since the failure (" + unit + ")"
	p.Y.Label.Text = "job"
	p.X.Min = 0
	p.Y.Min, p.Y.Max = -1, float64(h.Jobs)
	p.Add(sc)
	return p
}

// newPanel returns a plot whose tick labels read 2.5, 10, 250 rather than
// 2.50, 10.00, 250.00.
func newPanel() *plot.Plot {
	p := plot.New()
	p.X.Tick.Marker = shortTicks{}
	p.Y.Tick.Marker = shortTicks{}
	return p
}

// shortTicks are plot.DefaultTicks with the shortest labels.
type shortTicks struct{}

// Ticks implements plot.Ticker.
func (shortTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = strconv.FormatFloat(math.Round(t.Value*1e6)/1e6, 'f', -1, 64)
		}
	}
	return ticks
}

// legendPanel is the key of chart (a): which colour is which retry.
func legendPanel(colors []color.Color) *plot.Plot {
	p := plot.New()
	p.HideAxes()
	p.Title.Text = "colour = retry number"
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = vg.Points(11)
	p.Legend.Padding = vg.Points(1)
	for k, c := range colors {
		sc, _ := plotter.NewScatter(plotter.XYs{{}})
		sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}
		p.Legend.Add(fmt.Sprintf("retry %d", k), sc)
	}
	return p
}

// windowsPanel is chart (b) for one strategy: how many retries fall in each
// of the herdsim.Windows windows between the first and the last retry.
func windowsPanel(name string, h *herdsim.Herd, m herdsim.Metrics) *plot.Plot {
	lo, hi := slices.Min(h.T), slices.Max(h.T)
	div, unit := timeUnit(hi)
	width := (hi - lo) / herdsim.Windows
	counts := make([]float64, herdsim.Windows)
	for _, t := range h.T {
		i := herdsim.Windows - 1
		if width > 0 {
			i = min(int((t-lo)/width), herdsim.Windows-1)
		}
		counts[i]++
	}
	steps := make(plotter.XYs, 0, 2*herdsim.Windows)
	for i, c := range counts {
		x0 := (lo + float64(i)*width) / div
		steps = append(steps, plotter.XY{X: x0, Y: c}, plotter.XY{X: x0 + width/div, Y: c})
	}
	line, _ := plotter.NewLine(steps)
	line.Color = color.RGBA{R: 31, G: 90, B: 160, A: 255}
	line.FillColor = color.NRGBA{R: 31, G: 90, B: 160, A: 70}
	mean := float64(len(h.T)) / herdsim.Windows
	avg, _ := plotter.NewLine(plotter.XYs{{X: lo / div, Y: mean}, {X: hi / div, Y: mean}})
	avg.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	avg.Color = color.RGBA{R: 200, G: 60, B: 40, A: 255}

	p := newPanel()
	p.Title.Text = fmt.Sprintf("%s\nwindow %s  idle %.0f %%", name, human(width), 100*m.IdleFraction)
	p.X.Label.Text = "time since the failure (" + unit + ")"
	p.Y.Label.Text = "retries per window"
	p.Y.Min = 0
	p.Add(line, avg)
	// The first window holds most first retries of every strategy; cut the
	// axis so that the rest, and the idle gaps, stay visible.
	if peak := slices.Max(counts); peak > yCut*mean {
		p.Y.Max = yCut * mean
		p.Title.Text += fmt.Sprintf("  (axis cut; peak %.0f)", peak)
	}
	p.Legend.Add(fmt.Sprintf("mean %.0f", mean), avg)
	p.Legend.Top = true
	return p
}

// saveGrid draws the panels in rows of plotCols into path, as PNG or SVG
// by its extension.
func saveGrid(panels []*plot.Plot, path string) error {
	rows := (len(panels) + plotCols - 1) / plotCols
	cols := min(plotCols, len(panels))
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for c := range grid[r] {
			if i := r*cols + c; i < len(panels) {
				grid[r][c] = panels[i]
			}
		}
	}
	w, h := vg.Length(cols)*panelWidth, vg.Length(rows)*panelHeight
	c, err := draw.NewFormattedCanvas(w, h, strings.TrimPrefix(filepath.Ext(path), "."))
	if err != nil {
		return err
	}
	pad := vg.Points(14)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: pad, PadY: pad, PadTop: pad / 2, PadBottom: pad / 2, PadLeft: pad / 2, PadRight: pad}
	canvases := plot.Align(grid, tiles, draw.New(c))
	for r := range grid {
		for col, p := range grid[r] {
			if p != nil {
				p.Draw(canvases[r][col])
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
