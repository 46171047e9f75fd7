// Command backoff-node is a Maelstrom node that computes jittered, capped
// exponential backoff schedules and relays messages to other nodes with
// retries. It speaks JSON lines on stdin and stdout and logs to stderr; see
// README.md and the wire contract.
package main

import (
	cryptorand "crypto/rand"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/backoff-node/backoff-node/handlers"
	"github.com/backoff-node/backoff-node/node"
)

func main() {
	verbose := flag.Bool("v", os.Getenv("BACKOFF_NODE_VERBOSE") != "", "log every message received and sent to stderr")
	flag.Parse()

	n := node.New(os.Stdin, os.Stdout, os.Stderr)
	n.Verbose = *verbose
	handlers.Register(n, rand.New(rand.NewPCG(osSeed(), osSeed())))
	if err := n.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "backoff-node:", err)
		os.Exit(1)
	}
}

// osSeed seeds the choice of seeds for requests that give none. It must not
// be a constant or the clock: a fleet started together would then draw the
// same schedules and retry in lockstep.
func osSeed() uint64 {
	var b [8]byte
	_, _ = cryptorand.Read(b[:]) // never fails on Linux (Go 1.24+ crashes rather than return an error)
	return binary.LittleEndian.Uint64(b[:])
}
