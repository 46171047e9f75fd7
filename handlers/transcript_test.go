package handlers_test

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/backoff-node/backoff-node/internal/golden"
	"github.com/google/go-cmp/cmp"
)

// TestTranscripts runs every testdata/transcripts/NAME.in through an
// in-process node, in a synctest bubble so that relay timeouts and backoff
// sleeps take no real time and happen in a fixed order, and compares stdout
// with NAME.golden and stderr with NAME.stderr byte for byte; a mismatch in
// stdout is explained as a diff of the decoded JSON lines, and where the
// JSON is equal, by the first line whose bytes differ.
//
// In NAME.in, a line "# wait DURATION" pauses the input for that long (fake
// time); other lines starting with "#" are comments.
func TestTranscripts(t *testing.T) {
	inputs, err := filepath.Glob("testdata/transcripts/*.in")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no transcripts found (%v)", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in")
		t.Run(name, func(t *testing.T) {
			script, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			stdout, stderr := runScript(t, script)
			base := strings.TrimSuffix(in, ".in")
			golden.Check(t, base+".golden", stdout, func(want, got []byte) string {
				return cmp.Diff(jsonLines(t, want), jsonLines(t, got))
			})
			golden.Check(t, base+".stderr", stderr, func(want, got []byte) string {
				return cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n"))
			})
		})
	}
}

// runScript feeds script to a fresh in-process node and returns what it wrote.
func runScript(t *testing.T, script []byte) (stdout, stderr []byte) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		n1 := newNet(t).start("n1")
		go func() {
			defer n1.in.Close()
			sc := bufio.NewScanner(bytes.NewReader(script))
			sc.Buffer(nil, 4<<20)
			for sc.Scan() {
				line := sc.Text()
				if d, ok := strings.CutPrefix(line, "# wait "); ok {
					dur, err := time.ParseDuration(d)
					if err != nil {
						t.Errorf("bad directive %q: %v", line, err)
					}
					time.Sleep(dur)
					continue
				}
				if strings.HasPrefix(line, "#") {
					continue
				}
				if _, err := io.WriteString(n1.in, line+"\n"); err != nil {
					t.Errorf("write: %v", err)
					return
				}
				// Let the node handle the line before the next comes, so
				// that the order of what it writes does not depend on how
				// far ahead its reader got (replies go first).
				synctest.Wait()
			}
		}()
		if err := <-n1.runErr; err != nil {
			t.Errorf("Run: %v", err)
		}
		stdout, stderr = n1.stdout.Bytes(), []byte(n1.logs.String())
	})
	return stdout, stderr
}

// jsonLines decodes each line of b as JSON, failing on a line that is not.
func jsonLines(t *testing.T, b []byte) []any {
	t.Helper()
	var out []any
	for i, line := range bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var v any
		if err := decode(line, &v); err != nil {
			t.Fatalf("output line %d is not JSON (%v): %s", i+1, err, line)
		}
		out = append(out, v)
	}
	return out
}
