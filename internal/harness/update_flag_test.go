package harness_test

// Every test package accepts -update, so that `go test ./... -update`
// regenerates all golden files in one run; this one has none of its own.
import _ "github.com/backoff-node/backoff-node/internal/golden"
