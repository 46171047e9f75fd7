package handlers_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestRelaysLeakNothing runs 1000 relays whose target never answers in
// time: half get their replies late, after the relay gave up, half get none.
// Afterwards the node holds no pending call and its goroutine count is back
// at its idle level, measured after init. It runs in a synctest bubble, so
// the timeouts take no real time and "idle" is exact.
func TestRelaysLeakNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const relays = 1000
		pr, pw := io.Pipe()
		out := &outBuffer{}
		n := newNode(pr, out, io.Discard, testSeeds())
		runErr := make(chan error, 1)
		go func() { runErr <- n.Run() }()

		fmt.Fprintln(pw, initLine("n1", "n1", "n2"))
		synctest.Wait()
		idle := nodeGoroutines()
		if idle != 2 {
			t.Errorf("%d node goroutines when idle, want 2 (Run and its reader)", idle)
		}

		for i := range relays {
			fmt.Fprintln(pw, req(fmt.Sprintf(`{"type":"backoff_relay","msg_id":%d,"target":"n2","payload":{"type":"read"},"max_retries":2,"base_delay":0.01,"attempt_timeout":0.1,"retry_budget":false,"seed":%d}`, 10+i, i)))
		}
		time.Sleep(5 * time.Second) // every relay has given up by now
		synctest.Wait()

		// Late replies to every attempt of the even relays.
		attempts, gaveUp := 0, 0
		for _, m := range out.messages(t) {
			switch {
			case m.Dest == "n2":
				attempts++
				if m.int(t, "msg_id")%2 == 0 {
					fmt.Fprintf(pw, `{"src":"n2","dest":"n1","body":{"type":"read_ok","in_reply_to":%d}}`+"\n", m.int(t, "msg_id"))
				}
			case m.Body["type"] == "error" && m.int(t, "code") == 0:
				gaveUp++
			}
		}
		if attempts != 3*relays || gaveUp != relays {
			t.Fatalf("%d attempts and %d give-ups, want %d and %d", attempts, gaveUp, 3*relays, relays)
		}
		synctest.Wait()
		if p := n.Pending(); p != 0 {
			t.Errorf("%d calls still pending after every relay ended", p)
		}
		if got := nodeGoroutines(); got != idle {
			t.Errorf("%d node goroutines after the relays, %d when idle", got, idle)
		}
		pw.Close()
		if err := <-runErr; err != nil {
			t.Fatal(err)
		}
	})
}

// nodeGoroutines counts the goroutines running code of the node or its
// handlers (a timer's callback included). runtime.NumGoroutine would also
// count goroutines that other tests leave exiting in the background.
func nodeGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "backoff-node/node.") || strings.Contains(g, "backoff-node/handlers.") {
			count++
		}
	}
	return count
}

// messages decodes the lines written so far, numbers kept exact.
func (b *outBuffer) messages(t *testing.T) []message {
	var out []message
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	for sc.Scan() {
		var m message
		d := json.NewDecoder(strings.NewReader(sc.Text()))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatalf("bad output line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// initLine is an init from c0 for node id in a cluster of ids.
func initLine(id string, ids ...string) string {
	b, _ := json.Marshal(ids)
	return fmt.Sprintf(`{"src":"c0","dest":%q,"body":{"type":"init","msg_id":1,"node_id":%q,"node_ids":%s}}`, id, id, b)
}

// req is a request from c1 to n1 with the given body.
func req(body string) string { return `{"src":"c1","dest":"n1","body":` + body + `}` }

// message is an output line, numbers kept exact.
type message struct {
	Src, Dest string
	Body      map[string]any
}

func (m message) int(t *testing.T, key string) int64 {
	t.Helper()
	n, ok := m.Body[key].(json.Number)
	if !ok {
		t.Fatalf("%s of %v is not a number", key, m.Body)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%s of %v: %v", key, m.Body, err)
	}
	return i
}
