// Package golden holds the -update flag of the project's golden-file tests,
// in the manner of cmd/gofmt's: a test compares its output with a file under
// testdata, and `go test ./... -update` rewrites the file (never the input)
// instead. Every test package imports it, so the flag is accepted by all of
// them in one `go test ./... -update` run.
package golden

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata with the actual output")

// Updating reports whether the tests run with -update.
func Updating() bool { return *update }

// Check compares got with the golden file at path, or rewrites the file
// under -update. equal compares the two; nil means byte for byte. On a
// mismatch it reports the difference with diff, which formats (-want +got).
func Check(t testing.TB, path string, got []byte, diff func(want, got []byte) string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := diff(want, got); d != "" {
		t.Errorf("output differs from %s (-want +got):\n%s\n(if the change is intended, run go test -update and review the diff)", path, d)
	}
}
