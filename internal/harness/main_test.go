package harness_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backoff-node/backoff-node/internal/harness"
)

var (
	soak     = flag.Bool("soak", false, "run the long versions of the scenarios (minutes) and print the soak table")
	seedFlag = flag.Uint64("seed", 0, "seed every scenario with this instead of its own fixed seed")
	tableOut = flag.String("table", "", "also write the scenario table, as Markdown, to this file")
)

// The programs TestMain builds: the project's node and the maelstrom
// library's demo echo node.
var backoffNode, echoNode harness.Program

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "harness-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	backoffNode, echoNode, err = harness.Build(dir)
	if err != nil {
		os.RemoveAll(dir)
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if t := table(); t != "" && (*soak || *tableOut != "") {
		fmt.Print(t)
		if *tableOut != "" {
			if err := os.WriteFile(*tableOut, []byte(t), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, err)
				code = 1
			}
		}
	}
	os.Exit(code)
}

// size picks the short or the soak version of a number.
func size(short, long int) int {
	if *soak {
		return long
	}
	return short
}

// seededNet returns a scenario's network, seeded with own or, if given,
// -seed (logged, so that a failure can be replayed), and a generator from
// the same seed for the scenario's own draws.
func seededNet(t *testing.T, own uint64, cfg harness.Config) (*harness.Network, *rand.Rand) {
	seed, r := seeded(t, own)
	cfg.Seed = seed
	return harness.New(t, cfg), r
}

// seeded returns own or, if given, -seed (logged, so that a failure can be
// replayed), and a generator from that seed for the scenario's own draws.
func seeded(t *testing.T, own uint64) (uint64, *rand.Rand) {
	seed := own
	if *seedFlag != 0 {
		seed = *seedFlag
	}
	t.Logf("seed %d (replay with -seed %d)", seed, seed)
	return seed, rand.New(rand.NewPCG(seed, 0x5eed))
}

// A row of the soak table.
type row struct {
	scenario string
	requests int
	faults   string
	answered int
	lost     int
	maxRSS   int64
	wall     time.Duration
}

var (
	rowsMu sync.Mutex
	rows   []row
)

// record adds a scenario's row to the table: wall time since start, peak
// RSS over procs, which must have exited.
func record(t *testing.T, r row, start time.Time, procs ...*harness.Process) {
	r.wall = time.Since(start)
	for _, p := range procs {
		r.maxRSS = max(r.maxRSS, p.PeakRSS())
	}
	t.Logf("%s: %d requests, faults %s, %d answered, %d lost, max RSS %.1f MiB, %v",
		r.scenario, r.requests, r.faults, r.answered, r.lost, mib(r.maxRSS), r.wall.Round(time.Millisecond))
	rowsMu.Lock()
	rows = append(rows, r)
	rowsMu.Unlock()
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func table() string {
	rowsMu.Lock()
	defer rowsMu.Unlock()
	if len(rows) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintln(&b, "| scenario | requests | faults injected | answered | lost | max RSS | wall time |")
	fmt.Fprintln(&b, "| --- | ---: | --- | ---: | ---: | ---: | ---: |")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %s | %d | %d | %.1f MiB | %.1f s |\n",
			r.scenario, r.requests, r.faults, r.answered, r.lost, mib(r.maxRSS), r.wall.Seconds())
	}
	return b.String()
}
