package main

import (
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/backoff-node/backoff-node/herdsim"
)

// chartPolicies are the policies each overload chart shows, one panel each.
var chartPolicies = []string{"none", "constant", "full_jitter", "full_jitter+budget"}

// overloadCharts writes DIR/overload-<scenario>.png and .svg: per policy,
// offered load, attempts sent, server load and goodput over time.
func overloadCharts(dir string, scenarios []herdsim.Scenario, seed uint64, stderr io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	policies, err := pickPolicies(strings.Join(chartPolicies, ","), "retry")
	if err != nil {
		return err
	}
	var o herdsim.Overload
	for _, sc := range scenarios {
		panels := make([]*plot.Plot, 0, len(policies))
		for _, p := range policies {
			panels = append(panels, seriesPanel(sc, p, o.Run(sc, p, seed)))
		}
		for _, format := range []string{"png", "svg"} {
			path := filepath.Join(dir, "overload-"+sc.Name+"."+format)
			if err := saveGrid(panels, path); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "overload: wrote %s\n", path)
		}
	}
	return nil
}

// Series colours: offered load, attempts sent, server load, goodput.
var (
	offeredColor = color.RGBA{R: 90, G: 90, B: 90, A: 255}
	sentColor    = color.RGBA{R: 230, G: 140, B: 30, A: 255}
	servedColor  = color.RGBA{R: 200, G: 50, B: 40, A: 255}
	goodColor    = color.RGBA{R: 30, G: 130, B: 60, A: 255}
)

// seriesPanel is one policy under one scenario: four step lines per 1 s bin
// and the capacity, with the fault shaded by two dashed verticals.
func seriesPanel(sc herdsim.Scenario, p herdsim.Policy, r *herdsim.OverloadResult) *plot.Plot {
	pl := newPanel()
	pl.Title.Text = fmt.Sprintf("%s: %s\n%s, amplification %.2f", sc.Name, p.Name, recoveryText(r), r.Amplification)
	pl.X.Label.Text = "time (s)"
	pl.Y.Label.Text = "requests per second"
	pl.X.Min, pl.X.Max = 0, sc.Horizon
	pl.Y.Min = 0
	// The same axis in every panel of a scenario; immediate retries go off it.
	top := max(3*sc.Capacity, 1.25*sc.FaultRate)
	pl.Y.Max = top
	add := func(name string, s []float64, c color.Color, width float64) {
		xys := make(plotter.XYs, 0, 2*len(s))
		for i, v := range s {
			v = min(v, top)
			xys = append(xys, plotter.XY{X: float64(i), Y: v}, plotter.XY{X: float64(i + 1), Y: v})
		}
		line, _ := plotter.NewLine(xys) // never fails on finite data
		line.Color = c
		line.Width = vg.Points(width)
		pl.Add(line)
		pl.Legend.Add(name, line)
	}
	add("attempts sent", r.Sent, sentColor, 1)
	add("offered (first attempts)", r.Offered, offeredColor, 1)
	add("server load", r.Served, servedColor, 1.5)
	add("goodput", r.Goodput, goodColor, 1.5)
	capLine, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: sc.Capacity}, {X: sc.Horizon, Y: sc.Capacity}})
	capLine.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	pl.Add(capLine)
	pl.Legend.Add(fmt.Sprintf("capacity %.0f/s", sc.Capacity), capLine)
	for _, x := range []float64{sc.FaultStart, sc.FaultEnd} {
		v, _ := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: top}})
		v.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		v.Color = color.RGBA{R: 120, G: 120, B: 200, A: 255}
		pl.Add(v)
	}
	pl.Legend.Top = true
	pl.Legend.TextStyle.Font.Size = vg.Points(8)
	return pl
}
