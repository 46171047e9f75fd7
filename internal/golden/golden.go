// Package golden checks the project's golden files: a test compares its
// output with a file under testdata (or docs), byte for byte, and with
// UPDATE_GOLDEN=1 in the environment rewrites the file (never an input)
// instead. An environment variable rather than an -update flag, because
// `go test ./... -update` fails in every package that does not define the
// flag, while every test binary sees the environment: one command from the
// root, `UPDATE_GOLDEN=1 go test -count=1 ./...` (`make golden`), rewrites
// them all.
package golden

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Env names the environment variable that makes Check rewrite golden files;
// it takes the values strconv.ParseBool accepts.
const Env = "UPDATE_GOLDEN"

// Command is how a person rewrites every golden file, from the root.
const Command = "make golden (UPDATE_GOLDEN=1 go test -count=1 ./...)"

// updating reports whether Env asks for golden files to be rewritten; a
// value that is not a boolean is an error rather than a silent "no".
func updating() (bool, error) {
	v := os.Getenv(Env)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want 1 or 0", Env, v)
	}
	return b, nil
}

// Check compares got with the golden file at path byte for byte, or
// rewrites the file when Env is set. On a mismatch it reports explain(want,
// got), which should show the difference in a form a person can read
// (-want +got), such as a diff of decoded JSON; with a nil explain, or when
// explain finds no difference (the bytes differ in spacing, key order or
// escaping only), it reports the first differing line, byte for byte.
//
// A path ending in ".in" is refused: by the project's convention that is
// a test's input, which an update must never rewrite. (Check returns after
// each Fatal so that a TB whose Fatal does not stop the goroutine still
// writes nothing.)
func Check(t testing.TB, path string, got []byte, explain func(want, got []byte) string) {
	t.Helper()
	if filepath.Ext(path) == ".in" {
		t.Fatalf("golden.Check(%s): a .in file is an input, not a golden file", path)
		return
	}
	update, err := updating()
	if err != nil {
		t.Fatal(err)
		return
	}
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
			return
		}
		t.Logf("updated %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (to create it: %s)", err, Command)
		return
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
	t.Errorf("output differs from %s (-want +got):\n%s\n(if the change is intended: %s, then review the diff)", path, d, Command)
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
