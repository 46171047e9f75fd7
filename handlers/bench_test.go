package handlers_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/backoff/catalog"
	"github.com/backoff-node/backoff-node/internal/contract"
)

// The node's request handling against minimal programs that decode each
// line with encoding/json and write the reply's bytes (make bench compares
// them with benchstat -col /impl). The baselines are lower bounds on such a
// program's cost: they decode into the fewest, simplest fields and copy the
// echoed value as it came, where writing it the Python way would cost more.

// echoInputs are the bench inputs: one line each, sent benchLines times.
func echoInputs() map[string]string {
	obj := map[string]any{}
	for i := 0; len(fmt.Sprint(obj)) < 10<<10; i++ {
		obj[fmt.Sprintf("key%04d", i)] = []any{i, "value " + strconv.Itoa(i), map[string]any{"n": i * 7, "ok": i%2 == 0}}
	}
	b, _ := json.Marshal(obj)
	return map[string]string{
		"small":       `"Please echo 35"`,
		"string1KiB":  strconv.Quote(strings.Repeat("backoff ", 128)),
		"object10KiB": string(b),
	}
}

const benchLines = 10_000 // enough that setting a node up (buffers, goroutine) is not what is measured

func echoScript(value string) []byte {
	var in bytes.Buffer
	in.WriteString(`{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}` + "\n")
	for i := range benchLines {
		fmt.Fprintf(&in, `{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":%d,"echo":%s}}`+"\n", i+2, value)
	}
	return in.Bytes()
}

// runNodeBench runs script through an in-process node; one op is one line.
func runNodeBench(b *testing.B, script []byte) {
	b.ReportAllocs()
	for b.Loop() {
		n := newNode(bytes.NewReader(script), io.Discard, io.Discard, rand.New(rand.NewPCG(1, 2)))
		if err := n.Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchLines), "ns/line")
}

// echoJSON is the baseline echo: encoding/json decodes each line, and the
// reply is appended in wire order.
func echoJSON(in []byte, out io.Writer) {
	w := bufio.NewWriterSize(out, 64<<10)
	sc := bufio.NewScanner(bytes.NewReader(in))
	sc.Buffer(nil, 1<<20)
	var buf []byte
	id := 0
	for sc.Scan() {
		var m struct {
			Src, Dest string
			Body      struct {
				Type  string          `json:"type"`
				MsgID int64           `json:"msg_id"`
				Echo  json.RawMessage `json:"echo"`
			}
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			panic(err)
		}
		buf = append(buf[:0], `{"src": `...)
		buf = strconv.AppendQuote(buf, m.Dest)
		buf = append(buf, `, "dest": `...)
		buf = strconv.AppendQuote(buf, m.Src)
		if m.Body.Type == "init" {
			buf = append(buf, `, "body": {"type": "init_ok"`...)
		} else {
			buf = append(buf, `, "body": {"type": "echo_ok", "echo": `...)
			buf = append(buf, m.Body.Echo...)
		}
		buf = append(buf, `, "in_reply_to": `...)
		buf = strconv.AppendInt(buf, m.Body.MsgID, 10)
		buf = append(buf, `, "msg_id": `...)
		buf = strconv.AppendInt(buf, int64(id), 10)
		buf = append(buf, "}}\n"...)
		id++
		w.Write(buf)
	}
	w.Flush()
}

func BenchmarkEcho(b *testing.B) {
	for name, v := range echoInputs() {
		script := echoScript(v)
		b.Run("input="+name+"/impl=node", func(b *testing.B) { runNodeBench(b, script) })
		b.Run("input="+name+"/impl=encoding_json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				echoJSON(script, io.Discard)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchLines), "ns/line")
		})
	}
}

func computeScript(retries int) []byte {
	var in bytes.Buffer
	in.WriteString(`{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}` + "\n")
	for i := range benchLines {
		fmt.Fprintf(&in, `{"src":"c1","dest":"n1","body":{"type":"compute_backoff","msg_id":%d,"max_retries":%d,"seed":%d}}`+"\n", i+2, retries, i)
	}
	return in.Bytes()
}

// computeJSON is the baseline compute_backoff: encoding/json decodes each
// request, the same arithmetic fills a schedule, and encoding/json writes
// the array; the rest of the reply is appended.
func computeJSON(in []byte, out io.Writer) {
	w := bufio.NewWriterSize(out, 64<<10)
	sc := bufio.NewScanner(bytes.NewReader(in))
	var buf []byte
	var ms []int64
	var delays []float64
	id := 0
	for sc.Scan() {
		var m struct {
			Src, Dest string
			Body      struct {
				Type       string  `json:"type"`
				MsgID      int64   `json:"msg_id"`
				MaxRetries int     `json:"max_retries"`
				Seed       uint64  `json:"seed"`
				Base       float64 `json:"base_delay"`
			}
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			panic(err)
		}
		buf = append(buf[:0], `{"src": "n1", "dest": `...)
		buf = strconv.AppendQuote(buf, m.Src)
		if m.Body.Type == "compute_backoff" {
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
			buf = strconv.AppendUint(buf, m.Body.Seed, 10)
		}
		buf = append(buf, `, "in_reply_to": `...)
		buf = strconv.AppendInt(buf, m.Body.MsgID, 10)
		buf = append(buf, `, "msg_id": `...)
		buf = strconv.AppendInt(buf, int64(id), 10)
		buf = append(buf, "}}\n"...)
		id++
		w.Write(buf)
	}
	w.Flush()
}

func BenchmarkCompute(b *testing.B) {
	for _, retries := range []int{5, 10000} {
		script := computeScript(retries)
		b.Run(fmt.Sprintf("max_retries=%d/impl=node", retries), func(b *testing.B) { runNodeBench(b, script) })
		b.Run(fmt.Sprintf("max_retries=%d/impl=encoding_json", retries), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				computeJSON(script, io.Discard)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchLines), "ns/line")
		})
	}
}
