package harness_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// echoRequests is how many echo requests BenchmarkEchoPipe pipes into a node.
const echoRequests = 200_000

// BenchmarkEchoPipe pipes init and 200,000 echo requests into a node process,
// stdout to a pipe that is read and counted, stderr to a file, and checks
// that every request was answered. One op is one whole run; ns/msg is per
// request. `make bench` runs it for both nodes and prints the ratio.
func BenchmarkEchoPipe(b *testing.B) {
	var in bytes.Buffer
	fmt.Fprintln(&in, `{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}`)
	for i := range echoRequests {
		fmt.Fprintf(&in, `{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":%d,"echo":"Please echo %d"}}`+"\n", i+2, i)
	}
	for _, node := range []struct {
		name string
		path func(*testing.B) string
	}{
		{"backoff-node", func(*testing.B) string { return backoffNode.Path }},
		{"maelstrom-echo", func(*testing.B) string { return echoNode.Path }},
	} {
		b.Run("node="+node.name, func(b *testing.B) {
			bin := node.path(b)
			logFile := filepath.Join(b.TempDir(), "stderr.log")
			for b.Loop() {
				logs, err := os.Create(logFile)
				if err != nil {
					b.Fatal(err)
				}
				cmd := exec.Command(bin)
				cmd.Stdin = bytes.NewReader(in.Bytes())
				cmd.Stderr = logs
				stdout, err := cmd.StdoutPipe()
				if err != nil {
					b.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				lines := countLines(stdout)
				if err := cmd.Wait(); err != nil {
					b.Fatalf("%s: %v", node.name, err)
				}
				logs.Close()
				if lines != echoRequests+1 {
					b.Fatalf("%s answered %d lines, want %d", node.name, lines, echoRequests+1)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/echoRequests, "ns/msg")
		})
	}
}

func countLines(r io.Reader) int {
	n := 0
	br := bufio.NewReaderSize(r, 1<<16)
	for {
		chunk, err := br.ReadSlice('\n')
		n += bytes.Count(chunk, []byte("\n"))
		if err != nil && err != bufio.ErrBufferFull {
			return n
		}
	}
}
