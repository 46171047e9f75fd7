package maelstromrpc_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/backoff-node/backoff-node/backoff"
	maelstrom "github.com/jepsen-io/maelstrom/demo/go"
)

// Retrying an RPC from a node written with the maelstrom library: transient
// errors (11 temporarily unavailable, 0 timeout, 13 crash, 14 abort) are
// retried with backoff, any other error code is permanent, and each attempt
// gets its own timeout. Here the peer n2 is simulated in memory and answers
// "busy" twice before it answers.
func Example() {
	w := log.Writer()
	log.SetOutput(io.Discard) // the library logs every message it sends
	defer log.SetOutput(w)

	n, stop := exampleNode()
	defer stop()

	read := func(ctx context.Context) (int, error) {
		m, err := n.SyncRPC(ctx, "n2", map[string]any{"type": "read"})
		var rpcErr *maelstrom.RPCError
		if errors.As(err, &rpcErr) {
			switch rpcErr.Code {
			case maelstrom.Timeout, maelstrom.TemporarilyUnavailable, maelstrom.Crash, maelstrom.Abort:
				return 0, err // worth retrying
			}
			return 0, backoff.Permanent(err)
		}
		if err != nil {
			return 0, err // the attempt's timeout
		}
		var body struct{ Value int }
		if err := json.Unmarshal(m.Body, &body); err != nil {
			return 0, backoff.Permanent(err)
		}
		return body.Value, nil
	}

	budget := backoff.NewBudget(backoff.DefaultBudgetRatio, backoff.DefaultBudgetMinPerSecond, backoff.DefaultBudgetWindow)
	v, err := backoff.Retry(context.Background(), read,
		backoff.WithStrategy(backoff.Exponential{Base: 0.001, Max: 0.01, Jitter: 0.5}),
		backoff.WithAttemptTimeout(time.Second),
		backoff.WithControl(budget), // one budget for every call to n2
		backoff.WithNotify(func(e backoff.RetryEvent) { fmt.Printf("attempt %d: %v\n", e.Attempt, e.Err) }))
	fmt.Println(v, err)
	// Output:
	// attempt 1: RPCError(TemporarilyUnavailable, "busy")
	// attempt 2: RPCError(TemporarilyUnavailable, "busy")
	// 42 <nil>
}

// exampleNode starts a maelstrom node n1 whose only peer, n2, lives in
// memory: it answers the first two requests with error 11 and then with a
// value. stop ends both.
func exampleNode() (n *maelstrom.Node, stop func()) {
	toNode, fromPeer := io.Pipe()
	fromNode, toPeer := io.Pipe()
	n = maelstrom.NewNode()
	n.Stdin, n.Stdout = toNode, toPeer
	n.Init("n1", []string{"n1", "n2"})
	done := make(chan struct{})
	go func() { _ = n.Run(); close(done) }()
	go func() {
		lines := bufio.NewScanner(fromNode)
		for served := 0; lines.Scan(); served++ {
			var req struct {
				Body struct {
					MsgID int `json:"msg_id"`
				} `json:"body"`
			}
			_ = json.Unmarshal(lines.Bytes(), &req)
			reply := map[string]any{"type": "read_ok", "value": 42, "in_reply_to": req.Body.MsgID}
			if served < 2 {
				reply = map[string]any{"type": "error", "code": maelstrom.TemporarilyUnavailable, "text": "busy", "in_reply_to": req.Body.MsgID}
			}
			line, _ := json.Marshal(map[string]any{"src": "n2", "dest": "n1", "body": reply})
			fmt.Fprintf(fromPeer, "%s\n", line)
		}
	}()
	return n, func() {
		fromPeer.Close()
		<-done
		toPeer.Close()
	}
}
