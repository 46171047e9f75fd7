// Command jsonbaseline runs one of benchbase's encoding/json programs on
// stdin and stdout: `jsonbaseline echo` or `jsonbaseline compute`. The
// node's process benchmark (handlers, BenchmarkProcess) measures it.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/backoff-node/backoff-node/internal/benchbase"
)

func main() {
	progs := map[string]func(io.Reader, io.Writer) error{"echo": benchbase.Echo, "compute": benchbase.Compute}
	if len(os.Args) != 2 || progs[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: jsonbaseline echo|compute")
		os.Exit(2)
	}
	if err := progs[os.Args[1]](os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "jsonbaseline:", err)
		os.Exit(1)
	}
}
