package herdsim

// A Contender is a policy as the experiments run it: a label for the
// tables, the policy, and how many retries it makes (-1: the scenario's).
type Contender struct {
	Label   string
	Policy  Policy
	Retries int
}

// Contenders returns what the experiments compare: no retries, 3 retries
// with full jitter, and full jitter under each control of [Controls] at
// its defaults (the budget asked both when the retry is due and at the
// failure).
func Contenders() []Contender {
	mustParse := func(name string) Policy {
		p, err := ParsePolicy(name)
		if err != nil {
			panic(err) // the names below are the lab's own
		}
		return p
	}
	out := []Contender{
		{"no_retries", mustParse("full_jitter"), 0},
		{"full_jitter", mustParse("full_jitter"), -1},
	}
	for _, c := range Controls() {
		out = append(out, Contender{"full_jitter+" + c.Name, mustParse("full_jitter+" + c.Name), -1})
		if c.Name == "budget" {
			out = append(out, Contender{"full_jitter+budget@failure", mustParse("full_jitter+budget@failure"), -1})
		}
	}
	return out
}

// An OverloadRow is one run of a scenario under a policy, as the tables
// print it. Recovery is nil when the server never recovers.
type OverloadRow struct {
	Scenario      string   `json:"scenario"`
	Policy        string   `json:"policy"`
	Clients       int      `json:"clients"`
	ErrorRate     float64  `json:"error_rate"`
	Recovery      *float64 `json:"recovery_s"`
	Amplification float64  `json:"amplification"`
	SuccessRate   float64  `json:"success_rate"`
	GoodputRatio  float64  `json:"goodput_ratio"`
	P99Latency    float64  `json:"p99_latency_s"`
}

// NewOverloadRow returns the row of a run of sc under the policy labelled label.
func NewOverloadRow(sc Scenario, label string, r *OverloadResult) OverloadRow {
	row := OverloadRow{Scenario: sc.Name, Policy: label, Clients: sc.Fleet, ErrorRate: sc.ErrorRate,
		Amplification: r.Amplification, SuccessRate: r.SuccessRate, GoodputRatio: r.GoodputRatio, P99Latency: r.P99Latency}
	if r.Recovered {
		v := r.Recovery
		row.Recovery = &v
	}
	return row
}

// runContender runs sc under c, with c's retries.
func (o *Overload) runContender(sc Scenario, c Contender, seed uint64) OverloadRow {
	if c.Retries >= 0 {
		sc.Retries = c.Retries
	}
	return NewOverloadRow(sc, c.Label, o.Run(sc, c.Policy, seed))
}

// ErrorRates are the error rates of [ErrorSweep]'s default: 0 to 1 in
// steps of 0.05.
func ErrorRates() []float64 {
	var xs []float64
	for i := 0; i <= 20; i++ {
		xs = append(xs, float64(i)/20)
	}
	return xs
}

// Points returns sc once for each value, set into it by set: the error
// rates of the steady scenario (Brooker's token-bucket figure: success and
// attempts a request against the share of attempts that fail on their
// own), or the fleet sizes of the storm (where a per-client control stops
// protecting the server).
func Points[T any](sc Scenario, values []T, set func(*Scenario, T)) []Scenario {
	out := make([]Scenario, len(values))
	for i, v := range values {
		out[i] = sc
		set(&out[i], v)
	}
	return out
}

// Fleets are the fleet sizes of [FleetSweep]'s default.
var Fleets = []int{1, 10, 100, 1000}

// Sweep runs every scenario under every contender, contender by contender.
func Sweep(scs []Scenario, cs []Contender, seed uint64) []OverloadRow {
	var o Overload
	var rows []OverloadRow
	for _, c := range cs {
		for _, sc := range scs {
			rows = append(rows, o.runContender(sc, c, seed))
		}
	}
	return rows
}
