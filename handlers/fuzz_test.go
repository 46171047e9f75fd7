package handlers_test

import (
	"bytes"
	"testing"
)

// FuzzRequest sends any body to the full node, between init and an echo, in
// a synctest bubble so that relays run in fake time: whatever the body, the
// node writes only JSON messages from n1 and answers the echo exactly once.
func FuzzRequest(f *testing.F) {
	for _, s := range []string{
		`{"type":"compute_backoff","msg_id":5,"max_retries":10000,"base_delay":0.001,"max_delay":86400,"seed":9007199254740992}`,
		`{"type":"compute_backoff","msg_id":5,"max_retries":3,"jitter":1,"strategy":"exponential"}`,
		`{"type":"backoff_relay","msg_id":5,"target":"n2","payload":{"type":"read","k":[1,{"a":null}]},"max_retries":3,"attempt_timeout":0.01}`,
		`{"type":"backoff_relay","msg_id":5,"target":"n1","payload":{"type":"echo"}}`,
		`{"type":"echo","msg_id":5,"echo":"\u00e9\ud83d\ude42"}`,
		`{"type":"init","msg_id":5,"node_id":"n3"}`,
		`{"type":"read_ok","in_reply_to":1}`,
		`{"type":"compute_backoff","msg_id":5,"base_delay":1e-400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		body = bytes.ReplaceAll(body, []byte("\n"), nil)
		script := []byte(`{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2"]}}` + "\n" +
			`{"src":"c1","dest":"n1","body":` + string(body) + "}\n" +
			`{"src":"c9","dest":"n1","body":{"type":"echo","msg_id":77,"echo":"last"}}` + "\n")
		stdout, _ := runScript(t, script)
		echoes := 0
		for _, v := range jsonLines(t, stdout) {
			m, _ := v.(map[string]any)
			if m["src"] != "n1" {
				t.Fatalf("line without src n1: %v", m)
			}
			if b, _ := m["body"].(map[string]any); m["dest"] == "c9" && b["type"] == "echo_ok" {
				echoes++
			}
		}
		if echoes != 1 {
			t.Fatalf("the echo was answered %d times, want once", echoes)
		}
	})
}
