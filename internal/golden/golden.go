// Package golden holds the -update flag of the project's golden-file tests,
// in the manner of cmd/gofmt's: a test compares its output with a file under
// testdata, byte for byte, and `go test ./... -update` rewrites the file
// (never the input) instead. Every test package imports it, so the flag is
// accepted by all of them in one `go test ./... -update` run.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata with the actual output")

// Check compares got with the golden file at path byte for byte, or
// rewrites the file under -update. On a mismatch it reports explain(want,
// got), which should show the difference in a form a person can read
// (-want +got), such as a diff of decoded JSON; with a nil explain, or when
// explain finds no difference (the bytes differ in spacing, key order or
// escaping only), it reports the first differing line, byte for byte.
func Check(t testing.TB, path string, got []byte, explain func(want, got []byte) string) {
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
	if bytes.Equal(want, got) {
		return
	}
	d := ""
	if explain != nil {
		d = explain(want, got)
	}
	if d == "" {
		d = FirstDifference(want, got)
	}
	t.Errorf("output differs from %s (-want +got):\n%s\n(if the change is intended, run go test -update and review the diff)", path, d)
}

// FirstDifference describes the first line where want and got differ, with
// both lines quoted so that spacing and escapes show.
func FirstDifference(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl || i >= len(w) || i >= len(g) {
			return fmt.Sprintf("line %d:\n-%q\n+%q", i+1, wl, gl)
		}
	}
	return cmp.Diff(want, got)
}
