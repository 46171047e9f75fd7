package contract

import (
	"fmt"
	"strings"
	"testing"

	"github.com/backoff-node/backoff-node/backoff"
	goldenfile "github.com/backoff-node/backoff-node/internal/golden"
	"github.com/google/go-cmp/cmp"
)

// TestSchedulesGolden pins the schedule every strategy gives for a few seeds
// (testdata/schedules.golden): clients keep seeds to reproduce what the node
// did, so a change to any formula or to the random streams must show up
// here, and be accepted on purpose with make golden.
func TestSchedulesGolden(t *testing.T) {
	var b strings.Builder
	fmt.Fprintln(&b, "# strategy seed: the first 8 delays in seconds, with DefaultParams (base 0.1, max 2, jitter 0.1), capped at max as the node does")
	for _, name := range Names() {
		s, err := Lookup(name, DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		for _, seed := range []uint64{1, 2, 8130955412} {
			fmt.Fprintf(&b, "%s %d:", name, seed)
			c := backoff.Cursor{Strategy: s, Key: Key(s, seed)}
			for range 8 {
				d := c.Next()
				fmt.Fprintf(&b, " %.6f", d)
			}
			fmt.Fprintln(&b)
		}
	}
	goldenfile.Check(t, "testdata/schedules.golden", []byte(b.String()), func(want, got []byte) string {
		return cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n"))
	})
}
