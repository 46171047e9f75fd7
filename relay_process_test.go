package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// cluster wires real node processes together by dest, as Maelstrom's network
// does, and lets a test drop messages on the way.
type cluster struct {
	t       *testing.T
	nodes   map[string]*proc
	clients chan message // lines addressed to c*

	mu   sync.Mutex
	drop func(m message) bool // reports whether to drop a node-to-node message
}

func newCluster(t *testing.T, ids ...string) *cluster {
	c := &cluster{t: t, nodes: map[string]*proc{}, clients: make(chan message, 1024)}
	for _, id := range ids {
		p := startNode(t)
		p.send(initLine(id, ids...))
		if m := p.nextMsg(); m.Body["type"] != "init_ok" || m.Src != id {
			t.Fatalf("%s answered init with %v", id, m)
		}
		c.nodes[id] = p
	}
	for _, p := range c.nodes {
		go c.route(p)
	}
	return c
}

func (c *cluster) route(p *proc) {
	for line := range p.lines {
		var m message
		if err := json.Unmarshal(line, &m); err != nil {
			c.t.Errorf("node wrote a non-JSON line: %s", line)
			continue
		}
		if strings.HasPrefix(m.Dest, "c") {
			c.clients <- decode(c.t, line)
			continue
		}
		dst, ok := c.nodes[m.Dest]
		if !ok {
			c.t.Errorf("message to unknown node %q: %s", m.Dest, line)
			continue
		}
		c.mu.Lock()
		drop := c.drop != nil && c.drop(m)
		c.mu.Unlock()
		if !drop {
			dst.send(string(line))
		}
	}
}

// setDrop installs the network's drop rule; it runs under c.mu.
func (c *cluster) setDrop(drop func(m message) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drop = drop
}

// call sends a client request to node id and returns the reply.
func (c *cluster) call(id, body string) message {
	c.t.Helper()
	c.nodes[id].send(fmt.Sprintf(`{"src":"c1","dest":%q,"body":%s}`, id, body))
	select {
	case m := <-c.clients:
		return m
	case <-timeout():
		c.t.Fatalf("no reply to %s", body)
	}
	return message{}
}

// TestRelayDropsFirstAttempts starts two node processes; the network drops
// the first k attempts from n1 to n2. The relay must report k+1 attempts and
// sleep exactly the first k delays of the schedule compute_backoff gives for
// the same fields and seed; with k beyond max_retries it gives up with code 0.
func TestRelayDropsFirstAttempts(t *testing.T) {
	const fields = `"max_retries":4,"base_delay":0.02,"max_delay":0.2,"jitter":0.5,"seed":%d`
	for _, k := range []int{0, 1, 3, 4, 5} {
		t.Run(fmt.Sprintf("drop %d", k), func(t *testing.T) {
			t.Parallel()
			c := newCluster(t, "n1", "n2")
			seed := 1000 + k
			sched := c.call("n1", fmt.Sprintf(`{"type":"compute_backoff","msg_id":1,`+fields+`}`, seed)).ints(t, "schedule_ms")
			dropped := 0
			c.setDrop(func(m message) bool {
				if m.Src == "n1" && m.Body["type"] == "echo" && dropped < k {
					dropped++
					return true
				}
				return false
			})
			m := c.call("n1", fmt.Sprintf(`{"type":"backoff_relay","msg_id":2,"target":"n2","payload":{"type":"echo","echo":"hi"},"attempt_timeout":0.15,`+fields+`}`, seed))
			delays := m.ints(t, "delays_ms")
			if k <= 4 {
				if m.Body["type"] != "backoff_relay_ok" || m.int(t, "attempts") != int64(k+1) {
					t.Fatalf("reply %v, want backoff_relay_ok after %d attempts", m.Body, k+1)
				}
				res, _ := m.Body["result"].(map[string]any)
				if res["type"] != "echo_ok" || res["echo"] != "hi" {
					t.Errorf("result = %v, want n2's echo_ok with echo hi", res)
				}
			} else if m.Body["type"] != "error" || m.int(t, "code") != 0 || m.int(t, "attempts") != 5 {
				t.Fatalf("reply %v, want error code 0 after 5 attempts", m.Body)
			}
			want := sched[:min(k, len(sched))]
			if !slices.Equal(delays, want) {
				t.Errorf("delays_ms = %v, want the first %d of schedule %v", delays, k, sched)
			}
			var sum int64
			for _, d := range want {
				sum += d
			}
			if got := m.int(t, "total_delay_ms"); got != sum {
				t.Errorf("total_delay_ms = %d, want %d", got, sum)
			}
			if k > 0 && c.nodes["n1"].logCount("retry ", min(k, 4)) != min(k, 4) {
				t.Errorf("want %d retries logged, stderr:\n%s", min(k, 4), c.nodes["n1"].logs())
			}
		})
	}
}

// TestEndOfInputFinishesRelays: input ends right after a relay starts; the
// node still sends every attempt and the final reply, then exits 0.
func TestEndOfInputFinishesRelays(t *testing.T) {
	p := startNode(t)
	p.send(initLine("n1", "n1", "n2"),
		req(`{"type":"backoff_relay","msg_id":2,"target":"n2","payload":{"type":"read"},"max_retries":2,"base_delay":0.01,"attempt_timeout":0.05,"seed":3}`))
	p.nextMsg()
	rest, code := p.finish()
	if code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	if len(rest) != 4 {
		t.Fatalf("got %d lines after init_ok, want 3 attempts and the give-up:\n%s", len(rest), rest)
	}
	last := decode(t, rest[3])
	if last.Body["type"] != "error" || last.int(t, "code") != 0 || last.int(t, "attempts") != 3 {
		t.Errorf("last line %v, want the give-up error code 0 after 3 attempts", last.Body)
	}
	var ids []int64
	for _, l := range rest {
		ids = append(ids, decode(t, l).int(t, "msg_id"))
	}
	if !slices.Equal(ids, []int64{1, 2, 3, 4}) {
		t.Errorf("msg_ids %v, want 1, 2, 3, 4: one counter for every message", ids)
	}
}

// TestSeedReproducibleAcrossProcesses: two processes give the same schedule
// for the same request and seed; a request without a seed gets one back
// that reproduces its schedule.
func TestSeedReproducibleAcrossProcesses(t *testing.T) {
	ask := func(body string) message {
		p := startNode(t)
		p.send(initLine("n1", "n1"), req(body))
		p.nextMsg()
		return p.nextMsg()
	}
	a := ask(`{"type":"compute_backoff","msg_id":2,"max_retries":20,"seed":123456789}`)
	b := ask(`{"type":"compute_backoff","msg_id":2,"max_retries":20,"seed":123456789}`)
	if !slices.Equal(a.ints(t, "schedule_ms"), b.ints(t, "schedule_ms")) {
		t.Errorf("same seed, different schedules: %v and %v", a.ints(t, "schedule_ms"), b.ints(t, "schedule_ms"))
	}
	r := ask(`{"type":"compute_backoff","msg_id":2,"max_retries":20}`)
	again := ask(fmt.Sprintf(`{"type":"compute_backoff","msg_id":2,"max_retries":20,"seed":%d}`, r.int(t, "seed")))
	if !slices.Equal(r.ints(t, "schedule_ms"), again.ints(t, "schedule_ms")) {
		t.Errorf("the returned seed %d does not reproduce %v (got %v)", r.int(t, "seed"), r.ints(t, "schedule_ms"), again.ints(t, "schedule_ms"))
	}
	r2 := ask(`{"type":"compute_backoff","msg_id":2,"max_retries":20}`)
	if r.int(t, "seed") == r2.int(t, "seed") {
		t.Errorf("two processes chose the same seed %d: seeds must come from the OS, not a constant", r.int(t, "seed"))
	}
}
