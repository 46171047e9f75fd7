package main

import (
	"path/filepath"
	"testing"

	"github.com/backoff-node/backoff-node/internal/golden"
)

// TestDocsTables: the tables under docs/lab are what `make lab-docs` writes,
// byte for byte, so a change to a strategy or a model that moves a figure
// the docs show fails here until the tables are regenerated (make golden,
// or make lab-docs) and the prose re-read.
func TestDocsTables(t *testing.T) {
	docs := filepath.Join("..", "..", "docs", "lab")
	tables := []struct {
		file string
		args []string
		slow bool // seconds, tens of them under the race detector
	}{
		{"compare.txt", []string{"compare", "--seed", "1"}, false},
		{"overload.txt", []string{"overload", "--seed", "1"}, false},
		{"spike-drop/overload.txt", []string{"overload", "--seed", "1", "--scenario", "spike", "--normal", "20", "--drop"}, false},
		{"spike-deadline/overload.txt", []string{"overload", "--seed", "1", "--scenario", "spike", "--normal", "20", "--deadline", "10", "--rtt", "0.02"}, true},
		{"contention.txt", []string{"contention", "--seed", "1"}, true},
		{"errors.txt", []string{"errors", "--seed", "1"}, true},
		{"fleet.txt", []string{"fleet", "--seed", "1"}, true},
		{"fleet-defences/fleet.txt", []string{"fleet", "--seed", "1", "--queue", "100", "--drop-stale", "--lifo"}, false},
	}
	for _, tt := range tables {
		t.Run(tt.file, func(t *testing.T) {
			if tt.slow && raceBuild {
				t.Skip("slow under the race detector: make lab-findings checks it")
			}
			t.Parallel()
			code, stdout, stderr := runLab(t, tt.args...)
			if code != exitOK {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			golden.Check(t, filepath.Join(docs, tt.file), []byte(stdout), nil)
		})
	}
}
