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
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"syscall"

	"github.com/backoff-node/backoff-node/handlers"
	"github.com/backoff-node/backoff-node/node"
)

func main() {
	verbose := flag.Bool("v", os.Getenv("BACKOFF_NODE_VERBOSE") != "", "log every message received and sent to stderr")
	flag.Parse()

	// A write to a closed stdout or stderr fails with EPIPE instead of
	// killing the process: logs are best effort, and a lost stdout is
	// reported by Run.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)

	n := newNode(os.Stdin, os.Stdout, os.Stderr, rand.New(rand.NewPCG(osSeed(), osSeed())))
	n.Verbose = *verbose
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	go func() {
		s := <-stop
		n.Logf("%v: stopping; in-flight requests are answered with error 11", s)
		n.Stop()
	}()
	if err := n.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "backoff-node:", err)
		os.Exit(1)
	}
}

// newNode wires the handlers to a node; seeds picks the seeds of requests
// that give none. The tests build the same node in-process.
func newNode(in io.Reader, out, logs io.Writer, seeds *rand.Rand) *node.Node {
	n := node.New(in, out, logs)
	handlers.Register(n, seeds)
	return n
}

// osSeed seeds the choice of seeds for requests that give none. It must not
// be a constant or the clock: a fleet started together would then draw the
// same schedules and retry in lockstep.
func osSeed() uint64 {
	var b [8]byte
	_, _ = cryptorand.Read(b[:]) // never fails on Linux (Go 1.24+ crashes rather than return an error)
	return binary.LittleEndian.Uint64(b[:])
}
