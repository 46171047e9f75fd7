// Package benchbase holds the minimal encoding/json programs the node's
// speed is measured against (handlers/bench_test.go): each decodes every
// line with encoding/json, into the fewest, simplest fields it needs, and
// appends the reply's bytes. They are lower bounds on such a program's
// cost: they copy an echoed value as it came, where writing it the way
// Python does (as the node does) would cost more. The command
// cmd/jsonbaseline runs them as a process.
package benchbase

import (
	"bufio"
	"encoding/json"
	"io"
	"strconv"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/backoff/catalog"
	"github.com/backoff-node/backoff-node/internal/contract"
)

// A request is a Maelstrom message with a body of type B.
type request[B any] struct {
	Src, Dest string
	Body      B
}

// header is what every request body has.
type header struct {
	Type  string `json:"type"`
	MsgID int64  `json:"msg_id"`
}

// Echo answers init and echo requests from in on out, as the node would.
func Echo(in io.Reader, out io.Writer) error {
	return serve(in, out, func(buf, line []byte) ([]byte, int64, error) {
		var m request[struct {
			header
			Echo json.RawMessage `json:"echo"`
		}]
		if err := json.Unmarshal(line, &m); err != nil {
			return nil, 0, err
		}
		buf = append(buf, `{"src": `...)
		buf = strconv.AppendQuote(buf, m.Dest)
		buf = append(buf, `, "dest": `...)
		buf = strconv.AppendQuote(buf, m.Src)
		if m.Body.Type == "init" {
			return append(buf, `, "body": {"type": "init_ok"`...), m.Body.MsgID, nil
		}
		buf = append(buf, `, "body": {"type": "echo_ok", "echo": `...)
		return append(buf, m.Body.Echo...), m.Body.MsgID, nil
	})
}

// Compute answers init and compute_backoff requests (with the default
// strategy and delays) from in on out: the same arithmetic fills the
// schedule, and encoding/json writes it.
func Compute(in io.Reader, out io.Writer) error {
	var ms []int64
	var delays []float64
	return serve(in, out, func(buf, line []byte) ([]byte, int64, error) {
		var m request[struct {
			header
			MaxRetries int     `json:"max_retries"`
			Seed       uint64  `json:"seed"`
			Base       float64 `json:"base_delay"`
		}]
		if err := json.Unmarshal(line, &m); err != nil {
			return nil, 0, err
		}
		buf = append(buf, `{"src": "n1", "dest": `...)
		buf = strconv.AppendQuote(buf, m.Src)
		if m.Body.Type != "compute_backoff" {
			return buf, m.Body.MsgID, nil
		}
		e := backoff.Exponential{Base: contract.DefaultBase, Max: contract.DefaultMax, Jitter: contract.DefaultJitter}
		delays = append(delays[:0], make([]float64, m.Body.MaxRetries)...)
		c := backoff.Cursor{Strategy: e, Key: catalog.NewRand(m.Body.Seed).Uint64()}
		c.Fill(delays)
		ms = ms[:0]
		var total int64
		for _, d := range delays {
			ms = append(ms, contract.Millis(d))
			total += ms[len(ms)-1]
		}
		arr, _ := json.Marshal(ms)
		buf = append(buf, `, "body": {"type": "compute_backoff_ok", "schedule_ms": `...)
		buf = append(buf, arr...)
		buf = append(buf, `, "total_ms": `...)
		buf = strconv.AppendInt(buf, total, 10)
		buf = append(buf, `, "retries": `...)
		buf = strconv.AppendInt(buf, int64(m.Body.MaxRetries), 10)
		buf = append(buf, `, "strategy": "exponential", "base_delay": 0.1, "max_delay": 2.0, "jitter": 0.1, "seed": `...)
		return strconv.AppendUint(buf, m.Body.Seed, 10), m.Body.MsgID, nil
	})
}

// serve reads in line by line; reply appends the start of each line's
// reply to buf and returns the request's msg_id, and serve ends the reply
// and writes it.
func serve(in io.Reader, out io.Writer, reply func(buf, line []byte) ([]byte, int64, error)) error {
	w := bufio.NewWriterSize(out, 64<<10)
	sc := bufio.NewScanner(in)
	sc.Buffer(nil, 1<<20)
	var buf []byte
	for id := 0; sc.Scan(); id++ {
		var inReplyTo int64
		var err error
		if buf, inReplyTo, err = reply(buf[:0], sc.Bytes()); err != nil {
			return err
		}
		buf = append(buf, `, "in_reply_to": `...)
		buf = strconv.AppendInt(buf, inReplyTo, 10)
		buf = append(buf, `, "msg_id": `...)
		buf = strconv.AppendInt(buf, int64(id), 10)
		w.Write(append(buf, "}}\n"...))
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return w.Flush()
}
