package main

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/backoff-node/backoff-node/herdsim"
)

// A sweep is an experiment that runs one scenario at several points (error
// rates, fleet sizes) under every contender.
type sweep struct {
	name, scenario, doc   string
	pointsFlag, pointsDoc string
	defaultPoints         string
	// points returns the scenarios of the sweep from the flag's values.
	points func(sc herdsim.Scenario, values []float64) ([]herdsim.Scenario, error)
	// x is the sweep's axis: its label and a row's value on it.
	xLabel string
	x      func(r herdsim.OverloadRow) float64
	logX   bool
}

// errorsSweep: success and attempts a request against the error rate under
// steady load, the shape of Brooker's token-bucket figure.
var errorsSweep = sweep{
	name: "errors", scenario: "steady", doc: "success and attempts a request against the error rate X, under steady load",
	pointsFlag: "rates", pointsDoc: "comma-separated error `rates`, each 0 to 1", defaultPoints: "0:1:0.05",
	points: func(sc herdsim.Scenario, xs []float64) ([]herdsim.Scenario, error) {
		for _, x := range xs {
			if !(x >= 0 && x <= 1) {
				return nil, fmt.Errorf("%w: --rates: %g is not an error rate from 0 to 1", errUsage, x)
			}
		}
		return herdsim.Points(sc, xs, func(sc *herdsim.Scenario, x float64) { sc.ErrorRate = x }), nil
	},
	xLabel: "error rate X (attempts that fail on their own)",
	x:      func(r herdsim.OverloadRow) float64 { return r.ErrorRate },
}

// fleetSweep: storm recovery and amplification against the number of
// clients, each with controls of its own.
var fleetSweep = sweep{
	name: "fleet", scenario: "storm", doc: "recovery and attempts a request against the number of clients K, each with its own control",
	pointsFlag: "fleets", pointsDoc: "comma-separated numbers of `clients`, each 1 to 100000", defaultPoints: "1,10,100,1000",
	points: func(sc herdsim.Scenario, ks []float64) ([]herdsim.Scenario, error) {
		var fleets []int
		for _, k := range ks {
			if k != math.Trunc(k) || k < 1 || k > herdsim.MaxFleet {
				return nil, fmt.Errorf("%w: --fleets: %g is not a number of clients from 1 to %d", errUsage, k, herdsim.MaxFleet)
			}
			fleets = append(fleets, int(k))
		}
		return herdsim.Points(sc, fleets, func(sc *herdsim.Scenario, k int) { sc.Fleet = k }), nil
	},
	xLabel: "clients K",
	x:      func(r herdsim.OverloadRow) float64 { return float64(r.Clients) },
	logX:   true,
}

func errorsCmd(args []string, stdout, stderr io.Writer) error {
	return errorsSweep.run(args, stdout, stderr)
}

func fleetCmd(args []string, stdout, stderr io.Writer) error {
	return fleetSweep.run(args, stdout, stderr)
}

// run parses the overload flags and the sweep's own, runs the sweep and
// writes its table (and chart, with --charts).
func (s sweep) run(args []string, stdout, stderr io.Writer) error {
	fs := flagSet(s.name, "[flags]", stderr)
	f := addOverloadFlags(fs)
	list := fs.String(s.pointsFlag, s.defaultPoints, s.pointsDoc+" (or FROM:TO:STEP)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *f.scenario == "" {
		*f.scenario = s.scenario
	}
	if err := checkFormat(*f.format); err != nil {
		return err
	}
	base, err := f.scenarios()
	if err != nil {
		return err
	}
	values, err := parseList(s.pointsFlag, *list)
	if err != nil {
		return err
	}
	var points []herdsim.Scenario
	for _, sc := range base {
		p, err := s.points(sc, values)
		if err != nil {
			return err
		}
		points = append(points, p...)
	}
	contenders, err := f.contenders()
	if err != nil {
		return err
	}
	rows := herdsim.Sweep(points, contenders, *f.seed)
	if *f.charts != "" {
		if err := s.chart(*f.charts, rows, stderr); err != nil {
			return err
		}
	}
	return emit(f.table(rows), *f.out, s.name, *f.format, stdout, stderr)
}

// contenders returns the contenders of the experiments, or the policies
// --policy names (with the scenario's retries).
func (f overloadFlags) contenders() ([]herdsim.Contender, error) {
	if *f.policy == "" {
		cs := herdsim.Contenders()
		for i := range cs {
			cs[i].Policy = askAt([]herdsim.Policy{cs[i].Policy}, *f.ask)[0]
		}
		return cs, nil
	}
	ps, err := pickPolicies(*f.policy, *f.ask)
	if err != nil {
		return nil, err
	}
	var cs []herdsim.Contender
	for _, p := range ps {
		cs = append(cs, herdsim.Contender{Label: p.Name, Policy: p, Retries: -1})
	}
	return cs, nil
}

// maxPoints bounds a sweep's list.
const maxPoints = 1000

// parseList parses "a,b,c" or "from:to:step" into numbers.
func parseList(name, s string) ([]float64, error) {
	bad := fmt.Errorf("%w: --%s %q: want numbers separated by commas, or FROM:TO:STEP, at most %d", errUsage, name, s, maxPoints)
	if parts := strings.Split(s, ":"); len(parts) == 3 {
		var v [3]float64
		for i, p := range parts {
			x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return nil, bad
			}
			v[i] = x
		}
		if !(v[2] > 0) || !(v[1] >= v[0]) || (v[1]-v[0])/v[2] >= maxPoints {
			return nil, bad
		}
		var out []float64
		for i := 0; v[0]+float64(i)*v[2] <= v[1]+v[2]/1e6; i++ {
			out = append(out, math.Round((v[0]+float64(i)*v[2])*1e9)/1e9)
		}
		return out, nil
	}
	var out []float64
	for _, p := range strings.Split(s, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || len(out) == maxPoints {
			return nil, bad
		}
		out = append(out, x)
	}
	return out, nil
}

// chart writes DIR/<sweep>.png and .svg: success rate and attempts a
// request (and, for the fleet, recovery) against the sweep's axis, one
// line per contender.
func (s sweep) chart(dir string, rows []herdsim.OverloadRow, stderr io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	panels := []*plot.Plot{
		s.panel(rows, "success rate", func(r herdsim.OverloadRow) float64 { return r.SuccessRate }),
		s.panel(rows, "attempts a request", func(r herdsim.OverloadRow) float64 { return r.Amplification }),
	}
	if s.logX {
		panels = append(panels, s.panel(rows, "recovery (s; top: never)", func(r herdsim.OverloadRow) float64 {
			if r.Recovery == nil {
				return 100
			}
			return *r.Recovery
		}))
	}
	for _, format := range []string{"png", "svg"} {
		path := filepath.Join(dir, s.name+"."+format)
		if err := saveGrid(panels, path); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%s: wrote %s\n", s.name, path)
	}
	return nil
}

// sweepColors tell the lines of a sweep's chart apart.
var sweepColors = []color.Color{
	color.RGBA{90, 90, 90, 255}, color.RGBA{230, 140, 30, 255}, color.RGBA{200, 50, 40, 255},
	color.RGBA{240, 120, 160, 255}, color.RGBA{30, 130, 60, 255}, color.RGBA{40, 90, 200, 255},
	color.RGBA{120, 200, 230, 255}, color.RGBA{150, 80, 190, 255}, color.RGBA{180, 160, 40, 255},
	color.RGBA{0, 0, 0, 255}, color.RGBA{120, 60, 20, 255},
}

// panel plots y of the rows against the sweep's axis, a line per policy.
func (s sweep) panel(rows []herdsim.OverloadRow, yLabel string, y func(herdsim.OverloadRow) float64) *plot.Plot {
	pl := newPanel()
	pl.Title.Text = rows[0].Scenario + ": " + yLabel
	pl.X.Label.Text, pl.Y.Label.Text = s.xLabel, yLabel
	if s.logX {
		pl.X.Scale = plot.LogScale{}
		pl.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	pl.Y.Min = 0
	var names []string
	series := map[string]plotter.XYs{}
	for _, r := range rows {
		if _, ok := series[r.Policy]; !ok {
			names = append(names, r.Policy)
		}
		series[r.Policy] = append(series[r.Policy], plotter.XY{X: s.x(r), Y: y(r)})
	}
	for i, name := range names {
		line, points, _ := plotter.NewLinePoints(series[name]) // never fails on finite data
		c := sweepColors[i%len(sweepColors)]
		line.Color, points.Color = c, c
		if i >= len(sweepColors) {
			line.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		pl.Add(line, points)
		pl.Legend.Add(name, line, points)
	}
	pl.Legend.Top = true
	pl.Legend.TextStyle.Font.Size = vg.Points(7)
	return pl
}
